package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml fw show --connections} and {@code fw stats} ({@link FirewallMaps#connectionLines},
 * {@link FirewallMaps#connections}) against a flood that opens a new connection with every packet
 * in a full conntrack table (each evicting the least recently used one), as KernelFlowSweepTest
 * does for the flow table.
 */
class ConnectionListingChurnTest {
    static final long S = 1_000_000_000L;
    static final int SPORT = 14 + 20; // the UDP header's offset: source port, then destination port

    /** Frame f with the UDP ports of connection number i (65,536 x 64,512 distinct). */
    static void connection(MemorySegment f, int i) {
        f.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), SPORT, (short) i);
        f.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), SPORT + 2, (short) (1024 + (i >>> 16)));
    }

    /** New connections, one per test run, from connection number {@code first} on, on a thread of its own until stopped (or 30 s). */
    static final class Flood implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final CompletableFuture<Void> done;

        Flood(KernelFirewall k, byte[] frame, int first) {
            done = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + 30 * S;
                try (Arena a = Arena.ofConfined(); TestRun r = k.program().program().testRun()) {
                    MemorySegment f = a.allocate(frame.length).copyFrom(MemorySegment.ofArray(frame));
                    for (int i = first; !stop.get() && System.nanoTime() < deadline; i++) {
                        connection(f, i);
                        r.run(f, frame.length);
                    }
                }
            }, task -> Thread.ofPlatform().name("flood").daemon().start(task));
        }

        boolean ended() {
            return done.isDone();
        }

        @Override
        public void close() {
            stop.set(true);
            done.join();
        }
    }

    /**
     * A full table of 65,536 connections and a thread opening new ones without pause: the listing
     * reads about the table's size of connections, each once, and ends; so does the count. Before
     * 2026-12-06 both walked the keys with get_next_key, which starts again at the first bucket
     * whenever the key it stands on is evicted, and the listing looked each key up after the walk:
     * it listed duplicates, and about 5,000 of the 65,536 (the rest evicted before their lookup).
     */
    @Test
    void theListingUnderAFloodOfNewConnectionsReadsTheTableOnce() throws Exception {
        TestData.assumeBpf();
        int size = 65_536;
        byte[] frame = new FrameBuilder().ethernet().ipv4("10.88.0.1", "10.77.0.2").udp(1, 1024).payload(8).build();
        try (KernelFirewall k = new KernelFirewall(new FirewallProgram.Limits(1 << 12, 1 << 14, 1 << 8, size, size), 4789);
             Arena a = Arena.ofConfined()) {
            k.install(FirewallConfigParser.parse("default pass\nconntrack on\n", "churn"));
            MemorySegment f = a.allocate(frame.length).copyFrom(MemorySegment.ofArray(frame));
            k.packet(f, frame.length, S); // sets the test clock: every entry is live
            for (int i = 1; i < size + size / 8; i++) { // full
                connection(f, i);
                k.testRun().run(f, frame.length);
            }
            FirewallMaps maps = k.program().maps();
            try (Flood flood = new Flood(k, frame, size + size / 8)) {
                long start = maps.counter(FirewallCounter.CT_NEW);
                while (maps.counter(FirewallCounter.CT_NEW) < start + size / 4 && !flood.ended()) {
                    Thread.onSpinWait(); // the flood runs
                }
                long before = maps.counter(FirewallCounter.CT_NEW);
                List<String> lines = maps.connectionLines(Integer.MAX_VALUE, S);
                long during = maps.counter(FirewallCounter.CT_NEW) - before;
                assertThat(flood.ended()).as("the flood still ran when the listing ended").isFalse();
                assertThat(during).as("new connections while the listing ran").isPositive();
                // what was there, and at most what came meanwhile (seen in a bucket not read yet); the table
                // stays full: most of it is there to list
                assertThat((long) lines.size()).as("connections listed (%d new meanwhile)", during).isLessThanOrEqualTo(size + during)
                        .isGreaterThan(size / 2L);
                Set<String> distinct = new HashSet<>(lines);
                assertThat(distinct).as("each once").hasSize(lines.size());

                before = maps.counter(FirewallCounter.CT_NEW);
                long counted = maps.connections();
                during = maps.counter(FirewallCounter.CT_NEW) - before;
                assertThat(flood.ended()).as("the flood still ran when the count ended").isFalse();
                assertThat(counted).as("connections counted (%d new meanwhile)", during).isLessThanOrEqualTo(size + during)
                        .isGreaterThan(size / 2L);
            }
        }
    }
}
