package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pcapng features, on files built by hand. */
class PcapngReaderTest {
    private static final long S = 1_700_000_000L; // seconds since the epoch used in timestamps
    private static final long NS = 1_000_000_000L;

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    @Test
    void sectionsInterfacesResolutionsAndBlockKinds() throws IOException {
        byte[] p0 = bytes(60, 1), p1 = bytes(41, 2), p2 = bytes(80, 3), spb = bytes(64, 4), p4 = bytes(33, 5), p5 = bytes(17, 6);
        PcapngBuilder b = new PcapngBuilder()
                .section(ByteOrder.LITTLE_ENDIAN)
                .interfaceBlock(LinkType.ETHERNET, 64, 6, null)          // if 0: 10^-6, snap 64
                .interfaceBlock(LinkType.RAW, 0, 9, 100L)                // if 1: 10^-9, offset +100 s
                .interfaceBlock(LinkType.LINUX_SLL, 65535, 0x80 | 20, null) // if 2: 2^-20
                .block(0x0BAD, bytes(10, 9))                             // unknown type: skipped
                .enhancedPacket(0, S * 1_000_000 + 123_456, p0, 60)
                .enhancedPacket(1, S * NS + 123_456_789, p1, 1500)
                .block(5, bytes(24, 1))                                   // interface statistics: skipped
                .enhancedPacket(2, (S << 20) + (1 << 19) + 1, p2, 80)
                .simplePacket(spb, 100)                                   // caplen = min(100, snap 64)
                .block(0x40000BAD, bytes(12, 3))                          // custom block: skipped
                .section(ByteOrder.BIG_ENDIAN)
                .interfaceBlock(LinkType.IPV6, 65535, null, null)        // if 0 again: default 10^-6
                .enhancedPacket(0, S * 1_000_000 + 7, p4, 33)
                .packetBlock(0, S * 1_000_000 + 8, p5, 99);
        byte[] file = b.build();
        long[] offsets = b.blockOffsets.stream().mapToLong(Long::longValue).toArray();

        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(file), "hand.pcapng")) {
            assertThat(r.format()).isEqualTo(CaptureFormat.PCAPNG);
            expect(r, 0, offsets[5], 0, LinkType.ETHERNET, S * NS + 123_456_000, p0, 60);
            expect(r, 1, offsets[6], 1, LinkType.RAW, (S + 100) * NS + 123_456_789, p1, 1500);
            // 2^-20 s ticks: S s + 1/2 s + 1 tick (953.67 ns, truncated)
            expect(r, 2, offsets[8], 2, LinkType.LINUX_SLL, S * NS + 500_000_000 + 953, p2, 80);
            expect(r, 3, offsets[9], 0, LinkType.ETHERNET, 0, spb, 100);
            assertThat(r.snapLength()).isEqualTo(64);
            expect(r, 4, offsets[13], 0, LinkType.IPV6, S * NS + 7_000, p4, 33);
            expect(r, 5, offsets[14], 0, LinkType.IPV6, S * NS + 8_000, p5, 99);
            assertThat(r.next()).isFalse();
            assertThat(r.next()).isFalse();
        }
    }

    private static void expect(CaptureReader r, long index, long offset, int iface, int linkType, long ts, byte[] data,
            long origlen) throws IOException {
        assertThat(r.next()).as("packet %d", index).isTrue();
        assertThat(r.packetIndex()).isEqualTo(index);
        assertThat(r.recordOffset()).isEqualTo(offset);
        assertThat(r.interfaceId()).isEqualTo(iface);
        assertThat(r.linkType()).isEqualTo(linkType);
        assertThat(r.timestampNanos()).as("timestamp of packet %d", index).isEqualTo(ts);
        assertThat(r.capturedLength()).isEqualTo(data.length);
        assertThat(r.originalLength()).isEqualTo(origlen);
        assertThat(r.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
    }

    /**
     * if_fcslen cuts the FCS off every packet of its interface, as the pcap header's FCS bits do:
     * 32 is bits (4 bytes), as the spec's text and Wireshark read it; 4 cannot be whole bytes in bits
     * and is bytes, as the spec's example reads it; an interface without the option keeps its bytes.
     */
    @Test
    void ifFcslenCutsTheFcsOffThePacketsOfItsInterface() throws IOException {
        byte[] frame = bytes(68, 1); // 64 bytes of frame + 4 of FCS
        byte[] f = new PcapngBuilder().section(ByteOrder.BIG_ENDIAN)
                .interfaceBlock(LinkType.ETHERNET, 0, null, null, 32)      // if 0: 32 bits
                .interfaceBlock(LinkType.ETHERNET, 0, null, null)          // if 1: none
                .interfaceBlock(LinkType.ETHERNET, 66, null, null, 4)      // if 2: 4 (bytes), snap 66
                .enhancedPacket(0, 1, frame, 68)                           // whole: 64 left
                .enhancedPacket(0, 2, Arrays.copyOf(frame, 66), 68)        // 2 FCS bytes captured: 64
                .enhancedPacket(0, 3, Arrays.copyOf(frame, 40), 68)        // snapped before the FCS: 40
                .enhancedPacket(1, 4, frame, 68)                           // no if_fcslen: 68
                .packetBlock(2, 5, frame, 68)                              // obsolete PB, 4 bytes: 64
                .simplePacket(frame, 68)                                   // SPB (interface 0): 64
                .build();
        int[] captured = {64, 64, 40, 68, 64, 64};
        int[] fcs = {4, 4, 4, 0, 4, 4};
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(f), "fcs.pcapng")) {
            for (int i = 0; i < captured.length; i++) {
                assertThat(r.next()).isTrue();
                assertThat(r.capturedLength()).as("packet %d", i).isEqualTo(captured[i]);
                assertThat(r.data().byteSize()).isEqualTo(captured[i]);
                assertThat(r.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOf(frame, captured[i]));
                assertThat(r.fcsLength()).as("packet %d", i).isEqualTo(fcs[i]);
                assertThat(r.originalLength()).isEqualTo(68);
            }
            assertThat(r.next()).isFalse();
        }
        // an if_fcslen that is not 1 byte long is a damaged IDB, as a bad if_tsresol is
        byte[] bad = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN)
                .block(1, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 1).putShort((short) 0)
                        .putInt(0).putShort((short) 13).putShort((short) 2).putShort((short) 32).array())
                .build();
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(bad), "bad.pcapng")) {
            assertThatThrownBy(r::next).isInstanceOf(PcapFormatException.class)
                    .hasMessage("bad.pcapng: interface description block at offset 28: if_fcslen option has length 2, not 1");
        }
    }

    @Test
    void interfaceIdsRestartInEverySection() {
        byte[] file = new PcapngBuilder()
                .section(ByteOrder.BIG_ENDIAN).interfaceBlock(1, 0, null, null).interfaceBlock(1, 0, null, null)
                .enhancedPacket(1, 0, bytes(20, 0), 20)
                .section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, null)
                .enhancedPacket(1, 0, bytes(20, 0), 20).build();
        PcapFormatException e = failureAfter(file, 1);
        assertThat(e.getMessage()).contains("interface id 1 is not defined");
    }

    @Test
    void timestampResolutions() {
        assertThat(PcapngTimestamps.toNanos(5, 0)).isEqualTo(5 * NS);           // seconds
        assertThat(PcapngTimestamps.toNanos(5, 3)).isEqualTo(5_000_000);
        assertThat(PcapngTimestamps.toNanos(12_345, 12)).isEqualTo(12);          // picoseconds, truncated
        assertThat(PcapngTimestamps.toNanos(-1L, 18)).isEqualTo(18_446_744_073L);             // unsigned ticks
        assertThat(PcapngTimestamps.toNanos(7, 100)).isZero();                   // 10^-100: below 1 ns
        assertThat(PcapngTimestamps.toNanos(3L << 10, 0x80 | 10)).isEqualTo(3 * NS);
        assertThat(PcapngTimestamps.toNanos(1L << 62, 0x80 | 63)).isEqualTo(NS / 2);
        assertThat(PcapngTimestamps.toNanos(1L << 63, 0x80 | 64)).isEqualTo(NS / 2);
        assertThat(PcapngTimestamps.toNanos(-1L, 0x80 | 127)).isZero();
        assertThat(PcapngTimestamps.toNanos(7, 0x80)).isEqualTo(7 * NS);         // 2^0
    }

    @Test
    void timestampsPast2262AreCorruptNotWrapped() {
        assertThatThrownBy(() -> PcapngTimestamps.toNanos(0x0080_0000_0000_0000L, 6)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> PcapngTimestamps.toNanos(-1L, 9)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> PcapngTimestamps.toNanos(-1L, 0x80)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> PcapngTimestamps.toNanos(Long.MAX_VALUE / NS + 1, 0)).isInstanceOf(ArithmeticException.class);
        assertThat(PcapngTimestamps.toNanos(Long.MAX_VALUE, 9)).isEqualTo(Long.MAX_VALUE);

        // ts_high 0x00800000 in microseconds (the default): wrapped to 1942 before
        PcapngBuilder b = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, null)
                .enhancedPacket(0, S * 1_000_000, bytes(20, 0), 20)
                .enhancedPacket(0, 0x0080_0000_0000_0000L, bytes(20, 0), 20);
        PcapFormatException e = failureAfter(b.build(), 1);
        assertThat(e.offset()).isEqualTo(b.blockOffsets.get(3));
        assertThat(e.getMessage()).contains("enhanced packet block", "outside what nanoseconds in a long hold");

        // the ticks fit, adding if_tsoffset does not
        b = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, 9, 9_000_000_000L)
                .enhancedPacket(0, 300_000_000L * NS, bytes(20, 0), 20);
        e = failureAfter(b.build(), 0);
        assertThat(e.offset()).isEqualTo(b.blockOffsets.get(2));
        assertThat(e.getMessage()).contains("if_tsoffset 9000000000 s) is outside");

        // an if_tsoffset that is no nanosecond count at all
        b = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, -10_000_000_000L)
                .enhancedPacket(0, 0, bytes(20, 0), 20);
        e = failureAfter(b.build(), 0);
        assertThat(e.offset()).isEqualTo(b.blockOffsets.get(1));
        assertThat(e.getMessage()).contains("interface description block", "if_tsoffset -10000000000 s is outside");
    }

    @Test
    void interfacesPerSectionAreBounded() throws IOException {
        PcapngBuilder b = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i <= PcapngReader.MAX_INTERFACES; i++) {
            b.interfaceBlock(1, 0, null, null);
        }
        long last = b.blockOffsets.get(PcapngReader.MAX_INTERFACES + 1);
        byte[] f = b.build();
        PcapFormatException e = failureAfter(f, 0);
        assertThat(e.offset()).isEqualTo(last);
        assertThat(e.getMessage()).contains("more than 1048576 interfaces in one section");

        // a new section starts its count again
        byte[] more = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, null)
                .enhancedPacket(0, 0, bytes(20, 0), 20).build();
        byte[] g = Arrays.copyOf(f, (int) last + more.length);
        System.arraycopy(more, 0, g, (int) last, more.length);
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(g), "x")) {
            assertThat(r.next()).isTrue();
            assertThat(r.next()).isFalse();
        }
    }

    @Test
    void blockLengthChecks() {
        PcapngBuilder builder = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, null)
                .enhancedPacket(0, 0, bytes(20, 0), 20).enhancedPacket(0, 0, bytes(20, 0), 20);
        byte[] good = builder.build();
        int idb = 28;
        int epb2 = (int) (long) builder.blockOffsets.get(3);
        int len = good.length - epb2; // 64: 32 + 20 data + 12 options
        MemorySegment g = MemorySegment.ofArray(good);
        ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        assertThat(g.get(le, epb2 + 4)).isEqualTo(len).isEqualTo(64);

        byte[] f = good.clone();
        MemorySegment.ofArray(f).set(le, epb2 + 4, len - 2);
        assertThat(failureAfter(f, 1).getMessage()).contains("offset " + epb2, "not a multiple of 4");

        f = good.clone();
        MemorySegment.ofArray(f).set(le, epb2 + 4, 8);
        assertThat(failureAfter(f, 1).getMessage()).contains("less than the minimum 32");

        f = good.clone();
        MemorySegment.ofArray(f).set(le, epb2 + 4, len + 4);
        assertThat(failureAfter(f, 1).getMessage()).contains("truncated: block length 68 but only 64 bytes left");

        f = good.clone();
        MemorySegment.ofArray(f).set(le, good.length - 4, 48);
        assertThat(failureAfter(f, 1).getMessage()).contains("trailing block length 48 differs from the leading block length 64");

        f = good.clone();
        MemorySegment.ofArray(f).set(le, epb2 + 20, 33);  // captured length 33 > data area 32 (data and options)
        assertThat(failureAfter(f, 1).getMessage()).contains("captured length 33 exceeds the block's data area of 32 bytes");

        f = good.clone();
        MemorySegment.ofArray(f).set(le, idb + 16, 0x00FF0009); // if_tsresol with length 255 overruns the IDB
        assertThat(failureAfter(f, 0).offset()).isEqualTo(idb);

        f = Arrays.copyOf(good, good.length + 8); // 8 stray bytes: too short for a block
        assertThat(failureAfter(f, 2).getMessage()).contains("offset " + good.length, "truncated block header");
    }

    @Test
    void sectionHeaderChecks() {
        byte[] good = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).build();
        byte[] f = good.clone();
        f[8] = 0x11;
        PcapFormatException e = catchThrowableOfType(PcapFormatException.class,
                () -> CaptureReader.open(MemorySegment.ofArray(f), "x"));
        assertThat(e.getMessage()).contains("unknown byte-order magic 113c2b1a");

        byte[] v = good.clone();
        v[12] = 2;
        e = catchThrowableOfType(PcapFormatException.class, () -> CaptureReader.open(MemorySegment.ofArray(v), "x"));
        assertThat(e.getMessage()).contains("unsupported pcapng version 2.0");
    }

    @Test
    void simplePacketWithoutInterfaceIsCorrupt() {
        byte[] f = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).simplePacket(bytes(8, 0), 8).build();
        assertThat(failureAfter(f, 0).getMessage()).contains("simple packet block at offset 28", "no interface description block");
    }

    @Test
    void simplePacketWithoutSnapLengthTakesTheOriginalLength() throws IOException {
        byte[] data = bytes(30, 0);
        byte[] f = new PcapngBuilder().section(ByteOrder.BIG_ENDIAN).interfaceBlock(1, 0, null, null).simplePacket(data, 30).build();
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(f), "x")) {
            assertThat(r.next()).isTrue();
            assertThat(r.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
            assertThat(r.next()).isFalse();
        }
    }

    @Test
    void capturedLengthAbove2GiBIsCorruptNotACrash(@TempDir Path tmp) throws IOException {
        // 2 GiB blocks in sparse files: the data area is big enough, but the length does not fit an int.
        assertHugePacketRefused(tmp.resolve("epb.pcapng"), 6, 0x8000_0020L, 0x8000_0000L, "enhanced packet block");
        assertHugePacketRefused(tmp.resolve("spb.pcapng"), 3, 0x8000_0010L, 0x8000_0000L, "simple packet block");
    }

    private static void assertHugePacketRefused(Path path, int type, long blockLength, long length, String what)
            throws IOException {
        byte[] head = new PcapngBuilder().section(ByteOrder.LITTLE_ENDIAN).interfaceBlock(1, 0, null, null).build();
        ByteBuffer block = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt((int) blockLength);
        if (type == 6) {
            block.putInt(0).putInt(0).putInt(0).putInt((int) length).putInt((int) length); // EPB: caplen, origlen
        } else {
            block.putInt((int) length); // SPB: origlen; snap length 0, so caplen = origlen
        }
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
            f.write(head);
            f.write(block.array(), 0, block.position());
            f.setLength(head.length + blockLength);
            f.seek(head.length + blockLength - 4);
            f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) blockLength).array());
        }
        try (CaptureReader r = CaptureReader.open(path)) {
            PcapFormatException e = catchThrowableOfType(PcapFormatException.class, r::next);
            assertThat(e).as(what).isNotNull();
            assertThat(e.offset()).isEqualTo(head.length);
            assertThat(e.getMessage()).contains(what, "captured length " + length + " exceeds the maximum 2147483647");
        } finally {
            Files.delete(path);
        }
    }

    /** Reads {@code file}, expecting {@code good} packets and then a format exception. */
    static PcapFormatException failureAfter(byte[] file, int good) {
        return catchThrowableOfType(PcapFormatException.class, () -> {
            try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(file), "t.pcapng")) {
                for (int i = 0; i < good; i++) {
                    assertThat(r.next()).isTrue();
                }
                r.next();
            }
        });
    }
}
