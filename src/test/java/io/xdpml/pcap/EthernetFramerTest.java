package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EthernetFramerTest {
    private final EthernetFramer framer = new EthernetFramer(16); // small, so growth is exercised

    private static final byte[] IPV4 = {0x45, 0, 0, 20, 1, 2, 3, 4};
    private static final byte[] IPV6 = {0x60, 0, 0, 0, 9, 9};

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private byte[] frame(int linkType, byte[] packet) {
        int n = framer.frame(linkType, MemorySegment.ofArray(packet));
        assertThat(n).isEqualTo(framer.frameLength());
        byte[] out = framer.frameSegment().toArray(ValueLayout.JAVA_BYTE);
        assertThat(out).hasSize(Math.max(n, 0));
        return out;
    }

    private static byte[] eth(int src0, int etherType, byte[] payload) {
        byte[] h = new byte[14];
        if (src0 >= 0) {
            for (int i = 0; i < 6; i++) {
                h[6 + i] = (byte) (src0 + i);
            }
        }
        h[12] = (byte) (etherType >>> 8);
        h[13] = (byte) etherType;
        return concat(h, payload);
    }

    @Test
    void ethernetIsPassedThroughWithoutCopy() {
        MemorySegment packet = MemorySegment.ofArray(eth(1, 0x0800, IPV4));
        assertThat(framer.frame(LinkType.ETHERNET, packet)).isEqualTo(22);
        assertThat(framer.frameSegment()).isSameAs(packet);
        assertThat(framer.frame(LinkType.ETHERNET, MemorySegment.ofArray(new byte[13]))).isEqualTo(EthernetFramer.TOO_SHORT);
        assertThat(framer.frameSegment().byteSize()).isZero();
    }

    @Test
    void linuxCookedV1() {
        byte[] sll = {0, 0, 0, 1, 0, 6, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0, 0, (byte) 0x86, (byte) 0xdd};
        byte[] expected = eth(-1, 0x86dd, IPV6);
        System.arraycopy(new byte[] {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}, 0, expected, 6, 6);
        assertThat(frame(LinkType.LINUX_SLL, concat(sll, IPV6))).isEqualTo(expected);

        byte[] sll4 = sll.clone();
        sll4[5] = 4; // 4-byte link-layer address: source stays zero
        assertThat(frame(LinkType.LINUX_SLL, concat(sll4, IPV6))).isEqualTo(eth(-1, 0x86dd, IPV6));
        assertThat(frame(LinkType.LINUX_SLL, sll)).isEqualTo(eth(0x0a, 0x86dd, new byte[0]));
        assertThat(framer.frame(LinkType.LINUX_SLL, MemorySegment.ofArray(new byte[15]))).isEqualTo(-1);
    }

    @Test
    void linuxCookedV2() {
        byte[] sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0, 0};
        assertThat(frame(LinkType.LINUX_SLL2, concat(sll2, IPV4))).isEqualTo(eth(0x21, 0x0800, IPV4));
        sll2[11] = 8;
        assertThat(frame(LinkType.LINUX_SLL2, concat(sll2, IPV4))).isEqualTo(eth(-1, 0x0800, IPV4));
        assertThat(framer.frame(LinkType.LINUX_SLL2, MemorySegment.ofArray(new byte[19]))).isEqualTo(-1);
    }

    @Test
    void rawIp() {
        for (int lt : new int[] {LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14, LinkType.IPV4, LinkType.IPV6}) {
            assertThat(frame(lt, IPV4)).isEqualTo(eth(-1, 0x0800, IPV4));
            assertThat(frame(lt, IPV6)).isEqualTo(eth(-1, 0x86dd, IPV6));
            assertThat(frame(lt, new byte[] {0x20, 1})).isEqualTo(eth(-1, 0, new byte[] {0x20, 1}));
            assertThat(framer.frame(lt, MemorySegment.ofArray(new byte[0]))).isEqualTo(-1);
        }
    }

    @Test
    void nullAndLoopAddressFamilies() {
        assertThat(frame(LinkType.NULL, concat(new byte[] {2, 0, 0, 0}, IPV4))).isEqualTo(eth(-1, 0x0800, IPV4));
        assertThat(frame(LinkType.NULL, concat(new byte[] {0, 0, 0, 2}, IPV4))).isEqualTo(eth(-1, 0x0800, IPV4));
        for (int family : new int[] {10, 24, 28, 30}) {
            assertThat(frame(LinkType.NULL, concat(new byte[] {(byte) family, 0, 0, 0}, IPV6))).isEqualTo(eth(-1, 0x86dd, IPV6));
            assertThat(frame(LinkType.NULL, concat(new byte[] {0, 0, 0, (byte) family}, IPV6))).isEqualTo(eth(-1, 0x86dd, IPV6));
            assertThat(frame(LinkType.LOOP, concat(new byte[] {0, 0, 0, (byte) family}, IPV6))).isEqualTo(eth(-1, 0x86dd, IPV6));
        }
        assertThat(frame(LinkType.LOOP, concat(new byte[] {0, 0, 0, 2}, IPV4))).isEqualTo(eth(-1, 0x0800, IPV4));
        // LOOP is network order only: little-endian 2 is family 0x02000000, unknown
        assertThat(frame(LinkType.LOOP, concat(new byte[] {2, 0, 0, 0}, IPV4))).isEqualTo(eth(-1, 0, IPV4));
        assertThat(frame(LinkType.NULL, concat(new byte[] {7, 0, 0, 0}, IPV4))).isEqualTo(eth(-1, 0, IPV4));
        assertThat(framer.frame(LinkType.NULL, MemorySegment.ofArray(new byte[3]))).isEqualTo(-1);
        assertThat(framer.frame(LinkType.LOOP, MemorySegment.ofArray(new byte[3]))).isEqualTo(-1);
    }

    @Test
    void unknownLinkTypesAreRefusedByNumber() {
        assertThat(EthernetFramer.supports(147)).isFalse();
        assertThat(EthernetFramer.supports(LinkType.LINUX_SLL2)).isTrue();
        assertThatThrownBy(() -> framer.frame(147, MemorySegment.ofArray(new byte[100])))
                .isInstanceOf(UnsupportedLinkTypeException.class).hasMessageContaining("link type 147");
        assertThatThrownBy(() -> EthernetFramer.requireSupported(LinkType.IEEE802_11))
                .isInstanceOf(UnsupportedLinkTypeException.class).hasMessageContaining("link type 105 (IEEE802_11)");
    }

    /** From a reader the refusal names the capture and where: a run over many files must say which one stopped it. */
    @Test
    void anUnsupportedLinkTypeFromAReaderNamesTheCapture() throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (PcapWriter w = PcapWriter.open(java.nio.channels.Channels.newChannel(out), LinkType.IEEE802_11,
                PcapWriter.DEFAULT_SNAP_LENGTH, TimestampResolution.MICROS, java.nio.ByteOrder.LITTLE_ENDIAN)) {
            w.write(0, MemorySegment.ofArray(new byte[30]), 30, 30);
        }
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(out.toByteArray()), "wifi.pcap")) {
            assertThat(r.next()).isTrue();
            assertThatThrownBy(() -> framer.frame(r)).isInstanceOfSatisfying(UnsupportedLinkTypeException.class, e -> {
                assertThat(e.source()).isEqualTo("wifi.pcap");
                assertThat(e.linkType()).isEqualTo(LinkType.IEEE802_11);
            }).hasMessageStartingWith("wifi.pcap: packet at offset 24: link type 105 (IEEE802_11) cannot be turned into Ethernet frames;")
                    .hasMessageContaining("supported: ETHERNET (1),");
        }
        byte[] ng = new PcapngBuilder().section(java.nio.ByteOrder.LITTLE_ENDIAN)
                .interfaceBlock(LinkType.ETHERNET, 0, null, null).interfaceBlock(LinkType.IEEE802_11_RADIOTAP, 0, null, null)
                .enhancedPacket(1, 0, new byte[20], 20).build();
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(ng), "mixed.pcapng")) {
            assertThat(r.next()).isTrue();
            assertThatThrownBy(() -> framer.frame(r)).isInstanceOf(UnsupportedLinkTypeException.class)
                    .hasMessageStartingWith("mixed.pcapng: packet at offset " + r.recordOffset()
                            + " (interface 1): link type 127 (IEEE802_11_RADIOTAP) cannot be turned into Ethernet frames;");
        }
    }

    @Test
    void bigPacketsGrowTheBuffer() {
        byte[] big = new byte[100_000];
        big[0] = 0x45;
        big[99_999] = 7;
        assertThat(framer.frame(LinkType.RAW, MemorySegment.ofArray(big))).isEqualTo(100_014);
        assertThat(framer.frameSegment().get(ValueLayout.JAVA_BYTE, 100_013)).isEqualTo((byte) 7);
    }

    @Test
    void sharedNullLinkTypeFile() throws IOException {
        try (CaptureReader r = CaptureReader.open(TestData.file(TestData.FUZZ_FILE))) {
            assertThat(r.next()).isTrue();
            EthernetFramer.requireSupported(r.linkType());
            assertThat(framer.frame(r)).isEqualTo(14 + 197 - 4);
            MemorySegment f = framer.frameSegment();
            // family bytes 00 2f 00 6c: no AF_INET/AF_INET6 in either byte order
            assertThat(f.get(ValueLayout.JAVA_SHORT_UNALIGNED, 12)).isZero();
            assertThat(f.asSlice(0, 12).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
            assertThat(f.asSlice(14).mismatch(r.data().asSlice(4))).isEqualTo(-1);
        }
    }

    @Test
    void everySharedEthernetFileFramesAsIs() throws IOException {
        try (CaptureReader r = CaptureReader.open(TestData.file("benign/ndpi-tor.pcap"))) {
            while (r.next()) {
                assertThat(framer.frame(r)).isEqualTo(r.capturedLength());
                assertThat(framer.frameSegment()).isSameAs(r.data());
            }
        }
    }
}
