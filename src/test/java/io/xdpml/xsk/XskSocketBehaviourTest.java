package io.xdpml.xsk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The socket's contract on a real veth: buffers go back to the kernel even when the handler
 * throws, more frames than the UMEM holds flow through (so they are recycled), need_wakeup off and
 * huge pages (with their fallback) work, and receiving allocates nothing per frame.
 */
class XskSocketBehaviourTest {
    static final String A = "xsk0";
    static final String B = "xsk1";

    /** Frame {@code i}: a UDP frame whose payload starts with i (4 bytes). */
    static byte[] frame(int i) {
        byte[] f = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(1000, 2000).payload(18).build();
        int at = 14 + 20 + 8;
        f[at] = (byte) (i >>> 24);
        f[at + 1] = (byte) (i >>> 16);
        f[at + 2] = (byte) (i >>> 8);
        f[at + 3] = (byte) i;
        return f;
    }

    static int indexOf(XskFrame f) { return f.getInt(14 + 20 + 8); }

    /** Sends frames [from, to) from A with AF_PACKET. */
    static void send(PacketSocket tx, MemorySegment buf, int from, int to) {
        for (int i = from; i < to; i++) {
            byte[] f = frame(i);
            MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
            tx.send(buf, f.length);
        }
    }

    interface Body {
        void run(XskSocket sock, PacketSocket tx, MemorySegment buf) throws Exception;
    }

    /** A namespace, a veth pair, the program on B with a socket of {@code config} on queue 0. */
    static void withSocket(XskConfig config, Body body) throws Exception {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xsk")) {
            ns.createVethPair(A, B);
            ns.run(() -> {
                int b = Interfaces.indexOf(B);
                try (XskProgram prog = XskProgram.load();
                     XskSocket sock = XskSocket.open(b, 0, config);
                     PacketSocket tx = PacketSocket.open(A);
                     Arena arena = Arena.ofConfined()) {
                    prog.register(sock);
                    prog.attach(b, XdpMode.NATIVE);
                    body.run(sock, tx, arena.allocate(2048));
                }
                return null;
            });
        }
    }

    @Test
    void aThrowingHandlerStillReturnsTheFramesAndTheRestFollowInOrder() throws Exception {
        withSocket(XskConfig.receiveOnly().withRings(256, 256), (sock, tx, buf) -> {
            send(tx, buf, 0, 10);
            List<Integer> seen = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (sock.rxPending() < 10 && System.nanoTime() < deadline) Thread.sleep(1);
            assertThatThrownBy(() -> sock.receive(f -> {
                seen.add(indexOf(f));
                if (seen.size() == 3) throw new IllegalStateException("handler failed");
            })).hasMessage("handler failed");
            assertThat(sock.received()).as("the throwing frame counts as handled").isEqualTo(3);
            assertThat(sock.receive(f -> seen.add(indexOf(f)))).isEqualTo(7);
            assertThat(seen).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            // 8x the UMEM's 256 frames: they only arrive if every buffer went back to the FILL ring
            int total = 10;
            for (int round = 0; round < 16; round++) {
                send(tx, buf, total, total + 128);
                total += 128;
                deadline = System.nanoTime() + 5_000_000_000L;
                while (seen.size() < total && System.nanoTime() < deadline) sock.receive(f -> seen.add(indexOf(f)), 20);
            }
            assertThat(seen).hasSize(total);
            for (int i = 0; i < total; i++) assertThat(seen.get(i)).isEqualTo(i);
            assertThat(sock.statistics().rxDropped()).isZero();
            assertThat(sock.statistics().rxFillRingEmptyDescs()).isZero();
        });
    }

    @Test
    void withoutNeedWakeupAndWithHugePagesAsked() throws Exception {
        withSocket(XskConfig.receiveOnly().withNeedWakeup(false).withHugePages(true), (sock, tx, buf) -> {
            Umem u = sock.umem();
            if (u.hugePages()) {
                assertThat(u.memory().address() % (2 << 20)).as("2 MiB aligned").isZero();
                if (u.hugePageFallback() != null) {
                    assertThat(u.hugePageFallback()).contains("MAP_HUGETLB").contains("transparent huge pages");
                }
            } else { // neither reserved nor transparent huge pages on this kernel
                assertThat(u.hugePageFallback()).as("why not huge pages").contains("MAP_HUGETLB");
            }
            send(tx, buf, 0, 100);
            List<Integer> seen = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (seen.size() < 100 && System.nanoTime() < deadline) sock.receive(f -> seen.add(indexOf(f)), 20);
            assertThat(seen).hasSize(100);
            assertThat(seen.get(99)).isEqualTo(99);
        });
    }

    @Test
    void receivingAllocatesNothingPerFrame() throws Exception {
        withSocket(XskConfig.receiveOnly(), (sock, tx, buf) -> {
            var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] sum = {0};
            XskFrameHandler h = f -> sum[0] += f.length() + f.getU8(0) + (f.metadata().present() ? f.metadata().flowHash() : 0);
            long[] allocated = new long[3];
            for (int round = 0; round < 3; round++) { // the first rounds warm up (JIT, thread-locals)
                send(tx, buf, 0, 1500);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (sock.rxPending() < 1500 && System.nanoTime() < deadline) Thread.sleep(1);
                long before = bean.getCurrentThreadAllocatedBytes();
                int got = 0;
                while (got < 1500) got += sock.receive(h);
                allocated[round] = bean.getCurrentThreadAllocatedBytes() - before;
            }
            assertThat(sum[0]).as("the handler ran").isNotZero();
            assertThat(allocated[2]).as("bytes allocated receiving 1500 frames").isLessThan(1500);
        });
    }
}
