package io.xdpml.xsk;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpMode;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The longest frames with the metadata in front of them ({@link MetadataLayout#IN_FRAME}): in copy
 * mode the kernel copies a redirected frame into a chunk after its 256 bytes of headroom and drops
 * (rx_dropped) one that does not fit, and in this layout the 16 bytes of metadata count. A socket of
 * 2048-byte chunks holds 1792 bytes: packets up to 1776 arrive byte for byte, longer ones must not
 * be redirected (a redirected frame is gone from the stack) but go on, counted META_FAILED.
 */
class MetadataInFrameSizeTest {
    static final String A = "xsz0";
    static final String B = "xsz1";

    @Test
    void aPacketTooLongForTheSocketsFramesWithTheMetadataGoesOnInsteadOfBeingDropped() throws Exception {
        TestData.assumeBpf();
        List<Integer> lengths = new ArrayList<>();
        for (int len = 1766; len <= 1800; len += 2) lengths.add(len);
        List<byte[]> got = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        long[] dropped = new long[1];
        AtomicReference<Map<XskCounter, Long>> counters = new AtomicReference<>();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xsksz")) {
            ns.createVethPair(A, B);
            ns.exec("ip", "link", "set", A, "mtu", "1800");
            ns.exec("ip", "link", "set", B, "mtu", "1800");
            ns.run(() -> {
                int b = Interfaces.indexOf(B);
                XskConfig cfg = new XskConfig(2048, 256, 256, 0, 0, 64, XskBindMode.COPY, true, false);
                try (XskProgram prog = XskProgram.load(1, XskProgram.XDP_PASS, true, MetadataLayout.IN_FRAME);
                     XskSocket sock = XskSocket.open(b, 0, cfg)) {
                    assertThat(sock.inFrameMetadataRoom()).isEqualTo(2048 - 256 - 16);
                    prog.register(sock);
                    prog.attach(b, XdpMode.NATIVE);
                    try (PacketSocket tx = PacketSocket.open(A); Arena arena = Arena.ofConfined()) {
                        MemorySegment buf = arena.allocate(4096);
                        for (int len : lengths) {
                            for (int i = 0; i < len; i++) buf.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + len));
                            buf.set(ValueLayout.JAVA_BYTE, 12, (byte) 0x88); // local experimental EtherType
                            buf.set(ValueLayout.JAVA_BYTE, 13, (byte) 0xb5);
                            sent.add(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
                            tx.send(buf, len);
                        }
                    }
                    long end = System.nanoTime() + 2_000_000_000L;
                    while (System.nanoTime() < end) {
                        sock.receive(f -> {
                            assertThat(f.metadata().present()).as("metadata in front of every frame").isTrue();
                            got.add(f.toByteArray());
                        }, 50);
                    }
                    dropped[0] = sock.statistics().rxDropped();
                    counters.set(prog.counters());
                }
                return null;
            });
        }
        long fit = lengths.stream().filter(l -> l <= 1776).count();
        assertThat(dropped[0]).as("frames the kernel dropped for want of room").isZero();
        assertThat(counters.get().get(XskCounter.SEEN)).isEqualTo(lengths.size());
        assertThat(counters.get().get(XskCounter.REDIRECTED)).as("those that fit").isEqualTo(fit);
        assertThat(counters.get().get(XskCounter.META_FAILED)).as("too long: went on").isEqualTo(lengths.size() - fit);
        assertThat(got).hasSize((int) fit);
        for (int i = 0; i < fit; i++) {
            assertThat(got.get(i)).as("frame of %d bytes byte for byte", lengths.get(i)).isEqualTo(sent.get(i));
        }
    }
}
