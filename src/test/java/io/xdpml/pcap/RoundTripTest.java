package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Shared capture -> PcapWriter (micro/nano x little/big endian) -> CaptureReader: same packets. */
class RoundTripTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> variants() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (String file : new String[] {"benign/ndpi-tor.pcap", "attack/bacnet-amplification.pcapng",
                "malformed/ndpi-badpackets.pcap", "tunnel/zeek-vlan-qinqinq.pcap", "attack/portscan-1-10000.pcapng"}) {
            for (TimestampResolution res : TimestampResolution.values()) {
                for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                    s.add(Arguments.of(file, res, order));
                }
            }
        }
        return s.build();
    }

    @ParameterizedTest
    @MethodSource("variants")
    void roundTrip(String relative, TimestampResolution resolution, ByteOrder order) throws IOException {
        Path out = tmp.resolve("out.pcap");
        long written = 0;
        try (CaptureReader in = CaptureReader.open(TestData.file(relative));
                PcapWriter w = PcapWriter.open(out, LinkType.ETHERNET, 262_144, resolution, order)) {
            while (in.next()) {
                w.write(in.timestampNanos(), in.data(), in.capturedLength(), in.originalLength());
                written++;
            }
            assertThat(w.packetsWritten()).isEqualTo(written);
        }
        assertThat(written).isEqualTo(TestData.COUNTS.get(relative).longValue());

        byte[] head = Files.readAllBytes(out);
        int magic = MemorySegment.ofArray(head).get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), 0);
        assertThat(magic).isEqualTo(resolution == TimestampResolution.MICROS ? 0xa1b2c3d4 : 0xa1b23c4d);

        long unit = resolution.nanosPerUnit();
        try (CaptureReader a = CaptureReader.open(TestData.file(relative)); CaptureReader b = CaptureReader.open(out)) {
            assertThat(b.format()).isEqualTo(resolution == TimestampResolution.MICROS ? CaptureFormat.PCAP_MICROS : CaptureFormat.PCAP_NANOS);
            while (a.next()) {
                assertThat(b.next()).isTrue();
                assertThat(b.timestampNanos()).isEqualTo(Math.floorDiv(a.timestampNanos(), unit) * unit);
                assertThat(b.capturedLength()).isEqualTo(a.capturedLength());
                assertThat(b.originalLength()).isEqualTo(a.originalLength());
                assertThat(b.linkType()).isEqualTo(LinkType.ETHERNET);
                assertThat(b.data().mismatch(a.data())).as("bytes of packet %d", a.packetIndex()).isEqualTo(-1);
            }
            assertThat(b.next()).isFalse();
        }
    }

    @Test
    void writtenFileIsReadByTshark() throws Exception {
        Path tshark = Path.of("/usr/bin/tshark");
        io.xdpml.testing.Requirements.require(Files.isExecutable(tshark), "tshark not installed (apt-get install tshark): the oracle cannot run");
        Path out = tmp.resolve("be-nano.pcap");
        try (CaptureReader in = CaptureReader.open(TestData.file("tunnel/tcpdump-vxlan.pcap"));
                PcapWriter w = PcapWriter.open(out, LinkType.ETHERNET, 1500, TimestampResolution.NANOS, ByteOrder.BIG_ENDIAN)) {
            while (in.next()) {
                w.write(in.timestampNanos() + 123, in.data(), in.capturedLength(), in.originalLength());
            }
        }
        Process p = new ProcessBuilder(tshark.toString(), "-r", out.toString(), "-T", "fields", "-e", "frame.time_epoch")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(stdout.lines()).hasSize(10).allMatch(l -> l.endsWith("123"));
    }

    @Test
    void writerRejectsWhatPcapCannotHold() throws IOException {
        MemorySegment data = MemorySegment.ofArray(new byte[100]);
        try (PcapWriter w = PcapWriter.open(tmp.resolve("x.pcap"), LinkType.ETHERNET, 64, TimestampResolution.MICROS, ByteOrder.LITTLE_ENDIAN)) {
            assertThatThrownBy(() -> w.write(0, data, 65, 100)).hasMessageContaining("snap length");
            assertThatThrownBy(() -> w.write(0, MemorySegment.ofArray(new byte[10]), 20, 20)).hasMessageContaining("exceeds the data");
            assertThatThrownBy(() -> w.write(-1, data, 10, 10)).hasMessageContaining("1970 to 2106");
            assertThatThrownBy(() -> w.write(1L << 62, data, 10, 10)).hasMessageContaining("1970 to 2106");
            assertThatThrownBy(() -> w.write(0, data, 10, 1L << 32)).hasMessageContaining("32 bits");
            w.write(0, data, 64, 100);
        }
        try (CaptureReader r = CaptureReader.open(tmp.resolve("x.pcap"))) {
            assertThat(r.next()).isTrue();
            assertThat(r.capturedLength()).isEqualTo(64);
            assertThat(r.next()).isFalse();
        }
    }

    @Test
    void largePacketsAndManyRecordsGoThroughTheBuffer() throws IOException {
        Path out = tmp.resolve("big.pcap");
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        MemorySegment seg = MemorySegment.ofArray(big);
        try (PcapWriter w = PcapWriter.open(out, LinkType.RAW)) {
            for (int i = 0; i < 50; i++) {
                w.write(i * 1_000_000_000L + i * 1000, seg, i % 2 == 0 ? 200_000 : 1000 + i, 200_000);
            }
        }
        try (CaptureReader r = CaptureReader.open(out)) {
            for (int i = 0; i < 50; i++) {
                assertThat(r.next()).isTrue();
                assertThat(r.timestampNanos()).isEqualTo(i * 1_000_000_000L + i * 1000);
                assertThat(r.capturedLength()).isEqualTo(i % 2 == 0 ? 200_000 : 1000 + i);
                assertThat(r.linkType()).isEqualTo(LinkType.RAW);
                assertThat(r.data().mismatch(seg.asSlice(0, r.capturedLength()))).isEqualTo(-1);
            }
            assertThat(r.next()).isFalse();
        }
    }

    /** Accepts 10 bytes, then fails once (disk full), then accepts everything. */
    private static final class FailingOnceChannel implements WritableByteChannel {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        int calls;
        boolean open = true;

        @Override
        public int write(ByteBuffer src) throws IOException {
            calls++;
            if (calls == 2) {
                throw new IOException("No space left on device");
            }
            int n = calls == 1 ? Math.min(10, src.remaining()) : src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            received.writeBytes(b);
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    @Test
    void afterAFailedWriteTheWriterWritesNothingMore() throws IOException {
        FailingOnceChannel channel = new FailingOnceChannel();
        PcapWriter w = PcapWriter.open(channel, LinkType.ETHERNET, 100, TimestampResolution.MICROS, ByteOrder.LITTLE_ENDIAN);
        MemorySegment data = MemorySegment.ofArray(new byte[60]);
        w.write(0, data, 60, 60);
        IOException first = catchThrowableOfType(IOException.class, w::flush);
        assertThat(first).hasMessage("No space left on device");
        assertThat(catchThrowableOfType(IOException.class, w::flush)).isSameAs(first);
        assertThat(catchThrowableOfType(IOException.class, () -> w.write(0, data, 60, 60))).isSameAs(first);
        assertThat(catchThrowableOfType(IOException.class, w::close)).isSameAs(first);
        // only the 10 bytes that went out before the failure: no second copy of the buffer spliced after them
        assertThat(channel.received.size()).isEqualTo(10);
        assertThat(channel.isOpen()).isFalse();
    }
}
