package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.Pipelines;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The sweep of a kernel flow table against what the kernel does meanwhile: a flood of new flows
 * churning a full table (LRU evictions) while the sweep and a listing read it, and a packet that
 * restarts an idle flow between the sweep's read and its removal.
 */
class KernelFlowSweepTest {
    static final long S = 1_000_000_000L;

    static byte[] udp() {
        return new FrameBuilder().ethernet().ipv4("10.88.0.1", "10.77.0.2").udp(20003, 5353).payload(40).build();
    }

    static long packets(MemorySegment state) {
        return FlowLayout.u64(state, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS)
                + FlowLayout.u64(state, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
    }

    /** One test run a new flow (cfg_bench_new_flows: a random VNI per packet), repeated, until stopped; on a thread of its own. */
    static final class Flood implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final CompletableFuture<Void> done;

        Flood(KernelFlowEngine k, byte[] frame) {
            String program = Pipelines.get("flow").program();
            done = CompletableFuture.runAsync(() -> {
                try (TestRun r = k.object().program(program).testRun()) {
                    while (!stop.get()) {
                        r.run(MemorySegment.ofArray(frame), frame.length, 1000);
                    }
                }
            }, task -> Thread.ofPlatform().name("flood").daemon().start(task));
        }

        /** Whether it stopped by itself (it failed: {@link #close} throws why). */
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
     * A full table of 65,536 flows and a thread that adds new ones without pause (each evicting the
     * oldest): a listing and a sweep each read about the table's size of flows, each once, and end.
     * Before 2026-12-06 they walked the keys with get_next_key, which starts again at the first
     * bucket whenever the key it stands on is evicted: the reviewer measured 605,471 keys (521,288
     * distinct) for a table of 65,536 at 202,415 new flows/s.
     */
    @Test
    void aListingAndASweepUnderAFloodOfNewFlowsReadTheTableOnce() {
        TestData.assumeBpf();
        int size = 65_536;
        FlowConfig c = new FlowConfig(size, 120 * S, 4789);
        List<String> records = new ArrayList<>();
        FlowRecordListener l = (t, reason, key, state) -> records.add(reason.name());
        try (KernelFlowEngine k = new KernelFlowEngine(Pipelines.get("flow"), c, l, false, o -> o.setConstant("cfg_bench_new_flows", 1))) {
            k.drainEveryPacket(false);
            byte[] f = udp();
            k.packet(MemorySegment.ofArray(f), f.length, S);
            try (TestRun r = k.object().program(Pipelines.get("flow").program()).testRun()) {
                r.run(MemorySegment.ofArray(f), f.length, 2 * size); // full
            }
            try (Flood flood = new Flood(k, f)) {
                long start = k.counter(FlowCounter.NEW);
                while (k.counter(FlowCounter.NEW) < start + size / 4 && !flood.ended()) {
                    Thread.onSpinWait(); // the flood runs
                }
                long before = k.counter(FlowCounter.NEW);
                Set<String> distinct = new HashSet<>();
                int[] listed = {0};
                k.forEachFlow((key, v) -> {
                    listed[0]++;
                    distinct.add(HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE)));
                });
                long during = k.counter(FlowCounter.NEW) - before;
                assertThat(during).as("new flows while the listing ran").isPositive();
                assertThat(listed[0]).as("flows listed (%d new meanwhile)", during).isLessThanOrEqualTo(size + 64);
                assertThat(distinct).as("each once").hasSize(listed[0]);

                try (KernelFlowSweep sweep = new KernelFlowSweep(k.object().map("xdpml_flows"))) {
                    before = k.counter(FlowCounter.NEW);
                    int removed = sweep.sweep(1000 * S, c.idleTimeoutNanos(), 5 * S, l); // every flow idle: each one read is removed
                    during = k.counter(FlowCounter.NEW) - before;
                    assertThat(during).as("new flows while the sweep ran").isPositive();
                    assertThat(sweep.read()).as("flows the sweep read (%d new meanwhile)", during).isLessThanOrEqualTo(size + 64);
                    assertThat(removed).as("flows swept").isPositive().isLessThanOrEqualTo(sweep.read());
                    assertThat(records).as("each reported once").hasSize(removed).containsOnly(FlowReason.SWEPT_IDLE.name());
                }
            }
        }
    }

    /**
     * The reviewer's interleaving, replayed: the sweep has read an idle flow; a packet of it comes
     * (the kernel reports it idle and restarts it in place); then the sweep removes it. It is taken
     * out with lookup-and-delete, found restarted, and put back: the flow is reported once, and its
     * new start stays in the table. Before 2026-12-06 the sweep deleted it and reported its stale
     * copy as swept_idle: reported twice, the new start lost.
     */
    @Test
    void aFlowRestartedBetweenTheSweepsReadAndItsRemovalIsReportedOnceAndKept() {
        TestData.assumeBpf();
        List<String> records = new ArrayList<>();
        FlowRecordListener l = (t, reason, key, state) -> records.add(reason + " packets " + packets(state));
        FlowConfig c = new FlowConfig(1024, 10 * S, 4789);
        try (KernelFlowEngine k = new KernelFlowEngine(c, l); KernelFlowSweep sweep = new KernelFlowSweep(k.object().map("xdpml_flows"));
             Arena arena = Arena.ofConfined()) {
            byte[] f = udp();
            k.packet(MemorySegment.ofArray(f), f.length, S);
            k.packet(MemorySegment.ofArray(f), f.length, 2 * S);
            long now = 20 * S;
            MemorySegment[] read = new MemorySegment[2]; // what the sweep read: key, state
            k.forEachFlow((key, v) -> {
                read[0] = arena.allocate(key.byteSize(), 8).copyFrom(key);
                read[1] = arena.allocate(v.byteSize(), 8).copyFrom(v);
            });
            assertThat(FlowSweeper.decide(read[1], now, c.idleTimeoutNanos(), 5 * S)).isEqualTo(FlowSweeper.Action.REMOVE_IDLE);

            k.packet(MemorySegment.ofArray(f), f.length, now); // the flow's packet, on another CPU, at this moment
            assertThat(records).containsExactly("IDLE packets 2");

            boolean removed = sweep.removeIfDue(read[0], now, c.idleTimeoutNanos(), 5 * S, l);
            assertThat(records).as("reported once").containsExactly("IDLE packets 2");
            assertThat(removed).as("removed").isFalse();
            List<Long> left = new ArrayList<>();
            k.forEachFlow((key, v) -> left.add(packets(v)));
            assertThat(left).as("the restarted flow, kept").containsExactly(1L);

            // its own time comes
            assertThat(k.sweep(40 * S, 5 * S)).isEqualTo(1);
            assertThat(records).containsExactly("IDLE packets 2", "SWEPT_IDLE packets 1");
        }
    }

    /** A flow still due when taken out is removed and reported with the state taken, which the packets since the read are in. */
    @Test
    void aFlowStillDueIsReportedWithTheStateTakenOut() {
        TestData.assumeBpf();
        List<String> records = new ArrayList<>();
        FlowRecordListener l = (t, reason, key, state) -> records.add(reason + " packets " + packets(state));
        FlowConfig c = new FlowConfig(1024, 10 * S, 4789);
        try (KernelFlowEngine k = new KernelFlowEngine(c, l); KernelFlowSweep sweep = new KernelFlowSweep(k.object().map("xdpml_flows"));
             Arena arena = Arena.ofConfined()) {
            byte[] f = udp();
            k.packet(MemorySegment.ofArray(f), f.length, S);
            MemorySegment[] key = new MemorySegment[1];
            k.forEachFlow((kk, v) -> key[0] = arena.allocate(kk.byteSize(), 8).copyFrom(kk));
            k.packet(MemorySegment.ofArray(f), f.length, 2 * S); // after the read, still long before the sweep's time
            assertThat(sweep.removeIfDue(key[0], 20 * S, c.idleTimeoutNanos(), 5 * S, l)).isTrue();
            assertThat(records).containsExactly("SWEPT_IDLE packets 2");
            BpfMap flows = k.object().map("xdpml_flows");
            assertThat(flows.countElements(16)).isZero();
        }
    }
}
