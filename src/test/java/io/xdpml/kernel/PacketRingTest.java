package io.xdpml.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packet socket with a receive ring: frames sent into one end of a veth pair (by a plain
 * packet socket on the other) come out of the ring in order, each cut to the snap length with its
 * whole length told, blocks handed over when full or after the retire timeout, none dropped while
 * there is room, and counted as dropped when there is none.
 */
class PacketRingTest {
    /** An EtherType of the local experimental range: the test's frames, told apart from what the interfaces send themselves. */
    static final int ETHERTYPE = 0x88b5;
    NetworkNamespace ns;
    Arena arena;

    @BeforeEach
    void setUp() {
        KernelAssumptions.assumeBpf();
        arena = Arena.ofShared();
        ns = NetworkNamespace.create("xdpml-test");
        ns.createVethPair("ra", "rb");
    }

    @AfterEach
    void tearDown() {
        try {
            if (ns != null) ns.close();
        } finally {
            if (arena != null) arena.close();
        }
    }

    /** Frame {@code i}: broadcast, the test's EtherType, its number at byte 14, {@code length} bytes. */
    private MemorySegment frame(int i, int length) {
        MemorySegment f = arena.allocate(length);
        for (int b = 0; b < 6; b++) {
            f.set(JAVA_BYTE, b, (byte) 0xff);
        }
        f.set(JAVA_BYTE, 6, (byte) 0x02);
        f.set(JAVA_BYTE, 12, (byte) (ETHERTYPE >> 8));
        f.set(JAVA_BYTE, 13, (byte) ETHERTYPE);
        f.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 14, i);
        return f;
    }

    private void send(int count, int length) {
        ns.run(() -> {
            try (PacketSocket s = PacketSocket.open("ra")) {
                for (int i = 0; i < count; i++) {
                    s.send(frame(i, length), length);
                }
            }
            return null;
        });
    }

    record Seen(int number, int captured, int length) {}

    private static List<Seen> drain(PacketRing ring, int want, long timeoutNanos) {
        List<Seen> seen = new ArrayList<>();
        long deadline = System.nanoTime() + timeoutNanos;
        while (seen.size() < want && System.nanoTime() < deadline) {
            ring.poll((m, offset, captured, length) -> {
                int type = (Byte.toUnsignedInt(m.get(JAVA_BYTE, offset + 12)) << 8) | Byte.toUnsignedInt(m.get(JAVA_BYTE, offset + 13));
                if (type == ETHERTYPE) {
                    seen.add(new Seen(m.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), offset + 14), captured, length));
                }
            }, 100);
        }
        return seen;
    }

    @Test
    void framesComeOutInOrderCutToTheSnapLength() {
        try (PacketRing ring = ns.run(() -> PacketRing.open("rb", 64, 64 << 10, 16, 5))) {
            ring.statistics();
            // read while sending, as a real reader does: every 5 ms a block is handed over however
            // full, so a slow sender on a busy machine would fill all 16 before a late reader began
            java.util.concurrent.CompletableFuture<Void> sent = java.util.concurrent.CompletableFuture.runAsync(() -> send(3000, 600));
            List<Seen> seen = drain(ring, 3000, 10_000_000_000L);
            sent.join();
            assertThat(seen).hasSize(3000);
            for (int i = 0; i < seen.size(); i++) {
                assertThat(seen.get(i)).isEqualTo(new Seen(i, 64, 600));
            }
            PacketRing.Statistics st = ring.statistics();
            assertThat(st.drops()).isZero();
            assertThat(st.packets()).isGreaterThanOrEqualTo(3000);
        }
    }

    @Test
    void aFewFramesAreHandedOverByTheRetireTimeout() throws Exception {
        try (PacketRing ring = ns.run(() -> PacketRing.open("rb", 128, 1 << 20, 4, 20))) {
            send(3, 100);
            long t0 = System.nanoTime();
            List<Seen> seen = drain(ring, 3, 2_000_000_000L);
            assertThat(seen).containsExactly(new Seen(0, 100, 100), new Seen(1, 100, 100), new Seen(2, 100, 100));
            assertThat(System.nanoTime() - t0).as("a block that is not full is handed over after its timeout").isLessThan(1_000_000_000L);
        }
    }

    @Test
    void whatFindsNoFreeBlockIsDroppedAndCounted() {
        try (PacketRing ring = ns.run(() -> PacketRing.open("rb", 1024, 8 << 10, 2, 1000))) {
            ring.statistics();
            send(200, 1000); // two 8 KiB blocks hold 14 of these; nothing is read meanwhile
            PacketRing.Statistics st = ring.statistics();
            assertThat(st.drops()).isGreaterThan(150);
            List<Seen> seen = drain(ring, 200, 300_000_000L);
            assertThat(seen.size()).isLessThan(50);
            assertThat(seen).extracting(Seen::number).isSorted();
        }
    }

    @Test
    void badRingsAreRefused() {
        assertThatThrownBy(() -> PacketRing.open(1, 32, 4096, 1, 10)).hasMessageContaining("bad ring");
        assertThatThrownBy(() -> PacketRing.open(1, 64, 5000, 1, 10)).hasMessageContaining("bad ring");
    }
}
