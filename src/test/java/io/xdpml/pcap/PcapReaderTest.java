package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classic pcap header handling and error messages. */
class PcapReaderTest {

    /** A pcap with one record per {caplen, origlen} pair. */
    static byte[] pcap(ByteOrder order, int magic, int minor, int snap, int linkType, int... lengths) {
        int size = 24;
        for (int i = 0; i < lengths.length; i += 2) {
            size += 16 + Math.min(lengths[i], lengths[i + 1]);
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(order);
        b.putInt(magic).putShort((short) 2).putShort((short) minor).putInt(0).putInt(0).putInt(snap).putInt(linkType);
        for (int i = 0; i < lengths.length; i += 2) {
            b.putInt(1000 + i).putInt(i).putInt(lengths[i]).putInt(lengths[i + 1]);
            b.position(b.position() + Math.min(lengths[i], lengths[i + 1]));
        }
        return b.array();
    }

    @Test
    void bothByteOrdersAndResolutions() throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(pcap(order, 0xa1b23c4d, 4, 100, 228, 10, 20)), "n")) {
                assertThat(r.format()).isEqualTo(CaptureFormat.PCAP_NANOS);
                assertThat(r.next()).isTrue();
                assertThat(r.timestampNanos()).isEqualTo(1000 * 1_000_000_000L);
                assertThat(r.capturedLength()).isEqualTo(10);
                assertThat(r.originalLength()).isEqualTo(20);
                assertThat(r.linkType()).isEqualTo(LinkType.IPV4);
                assertThat(r.snapLength()).isEqualTo(100);
                assertThat(r.recordOffset()).isEqualTo(24);
                assertThat(r.dataOffset()).isEqualTo(40);
                assertThat(r.next()).isFalse();
            }
            try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(pcap(order, 0xa1b2c3d4, 4, 100, 1, 10, 10, 5, 5)), "u")) {
                assertThat(r.format()).isEqualTo(CaptureFormat.PCAP_MICROS);
                assertThat(r.next()).isTrue();
                assertThat(r.next()).isTrue();
                assertThat(r.timestampNanos()).isEqualTo(1002 * 1_000_000_000L + 2_000);
                assertThat(r.recordOffset()).isEqualTo(24 + 16 + 10);
                assertThat(r.next()).isFalse();
            }
        }
    }

    @Test
    void fcsBitsOfTheLinkTypeFieldCutTheFcsOffEveryPacket() throws IOException {
        // 0x24000001: Ethernet, FCS present, 2 words = 4 bytes. Records: whole frame 64+4; snapped so 2 of
        // the 4 FCS bytes are in; snapped before the FCS; 3 bytes, all of them "FCS".
        byte[] f = pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 1000, 0x24000001, 68, 68, 66, 68, 40, 68, 3, 3);
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(f), "fcs.pcap")) {
            int[] expected = {64, 64, 40, 0};
            long data = 24 + 16;
            for (int i = 0; i < expected.length; i++) {
                assertThat(r.next()).isTrue();
                assertThat(r.linkType()).isEqualTo(LinkType.ETHERNET);
                assertThat(r.fcsLength()).isEqualTo(4);
                assertThat(r.capturedLength()).as("record %d", i).isEqualTo(expected[i]);
                assertThat(r.data().byteSize()).isEqualTo(expected[i]);
                assertThat(r.dataOffset()).isEqualTo(data);
                assertThat(r.originalLength()).isEqualTo(i == 3 ? 3 : 68);
                data += new int[] {68, 66, 40, 3}[i] + 16;
            }
            assertThat(r.next()).isFalse();
        }
        // the length bits without the present bit (as in the shared fuzz file's 0x40000000) mean nothing
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(
                pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 1000, 0x20000001, 68, 68)), "x.pcap")) {
            assertThat(r.next()).isTrue();
            assertThat(r.fcsLength()).isZero();
            assertThat(r.capturedLength()).isEqualTo(68);
        }
    }

    @Test
    void capturedLengthAboveTheSnapLengthIsCorrupt() {
        byte[] f = pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 65535, 1, 100, 100, 70000, 65535);
        // write caplen 70000 into the second record (its data then is not there either: the snap check comes first)
        MemorySegment.ofArray(f).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 24 + 16 + 100 + 8, 70000);
        PcapFormatException e = PcapngReaderTest.failureAfter(f, 1);
        assertThat(e.offset()).isEqualTo(140);
        assertThat(e.getMessage()).isEqualTo("t.pcapng: record at offset 140: captured length 70000 exceeds the snap length 65535");
    }

    @Test
    void withoutSnapLengthTheLimitIs262144() {
        byte[] f = pcap(ByteOrder.BIG_ENDIAN, 0xa1b2c3d4, 4, 0, 1, 10, 10);
        MemorySegment.ofArray(f).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 24 + 8, 262_145);
        assertThat(PcapngReaderTest.failureAfter(f, 0).getMessage()).contains("captured length 262145 exceeds the maximum 262144");
    }

    @Test
    void truncatedData() {
        byte[] f = pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 0, 1, 10, 10, 30, 30);
        byte[] cut = java.util.Arrays.copyOf(f, f.length - 1);
        PcapFormatException e = PcapngReaderTest.failureAfter(cut, 1);
        assertThat(e.offset()).isEqualTo(50);
        assertThat(e.getMessage()).contains("truncated packet data: captured length 30 but only 29 bytes left");
    }

    @Test
    void oldVersionsHaveSwappedLengths() throws IOException {
        // 2.2: always swapped; 2.3: swapped only when "captured" > "original"
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 2, 0, 1, 60, 8)), "v22")) {
            assertThat(r.next()).isTrue();
            assertThat(r.capturedLength()).isEqualTo(8);
            assertThat(r.originalLength()).isEqualTo(60);
        }
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 3, 0, 1, 60, 8, 8, 60)), "v23")) {
            assertThat(r.next()).isTrue();
            assertThat(r.capturedLength()).isEqualTo(8);
            assertThat(r.next()).isTrue();
            assertThat(r.capturedLength()).isEqualTo(8);
            assertThat(r.originalLength()).isEqualTo(60);
        }
    }

    @Test
    void notACapture(@TempDir Path tmp) throws IOException {
        Path zip = tmp.resolve("x.pcap");
        Files.write(zip, new byte[] {0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0});
        PcapFormatException e = catchThrowableOfType(PcapFormatException.class, () -> CaptureReader.open(zip));
        assertThat(e.offset()).isZero();
        assertThat(e.getMessage()).contains(zip.toString(), "unknown magic number 50 4b 03 04");

        Path empty = tmp.resolve("empty.pcap");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> CaptureReader.open(empty)).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("0 bytes long");

        byte[] v = pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 0, 1);
        v[4] = 1;
        assertThatThrownBy(() -> CaptureReader.open(MemorySegment.ofArray(v), "v")).isInstanceOf(PcapFormatException.class)
                .hasMessageContaining("unsupported pcap version 1.4");
    }

    @Test
    void accessorsNeedACurrentPacket() throws IOException {
        CaptureReader r = CaptureReader.open(MemorySegment.ofArray(pcap(ByteOrder.LITTLE_ENDIAN, 0xa1b2c3d4, 4, 0, 1, 1, 1)), "a");
        assertThatThrownBy(r::timestampNanos).isInstanceOf(IllegalStateException.class);
        assertThat(r.next()).isTrue();
        assertThat(r.data().isReadOnly()).isTrue();
        r.close();
        assertThatThrownBy(r::data).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(r::next).isInstanceOf(IllegalStateException.class);
        r.close();
    }
}
