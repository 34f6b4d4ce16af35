package io.xdpml.pcap;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every shared capture opens by magic number and yields the README's packet count. */
class SharedCaptureTest {

    static Stream<String> files() {
        return TestData.COUNTS.keySet().stream();
    }

    @Test
    void theCountTableCoversEveryFileInTheDirectory() throws IOException {
        List<String> present;
        try (Stream<Path> walk = Files.walk(TestData.pcapDir())) {
            present = walk.filter(Files::isRegularFile).map(p -> TestData.pcapDir().relativize(p).toString()).toList();
        }
        assertThat(present).containsExactlyInAnyOrderElementsOf(TestData.COUNTS.keySet());
    }

    @ParameterizedTest
    @MethodSource("files")
    void yieldsThePacketCountOfTheReadme(String relative) throws IOException {
        long count = 0;
        long lastEnd = -1;
        PcapFormatException failure = null;
        try (CaptureReader r = CaptureReader.open(TestData.file(relative))) {
            try {
                while (r.next()) {
                    assertThat(r.packetIndex()).isEqualTo(count);
                    assertThat(r.data().byteSize()).isEqualTo(r.capturedLength());
                    assertThat(r.recordOffset()).isGreaterThan(lastEnd);
                    lastEnd = r.dataOffset() + r.capturedLength() - 1;
                    assertThat(r.linkType()).isEqualTo(relative.equals(TestData.FUZZ_FILE) ? LinkType.NULL : LinkType.ETHERNET);
                    assertThat(r.interfaceId()).isZero();
                    count++;
                }
            } catch (PcapFormatException e) {
                failure = e;
            }
        }
        assertThat(count).isEqualTo(TestData.COUNTS.get(relative).longValue());
        if (relative.equals(TestData.FUZZ_FILE)) {
            // 2 stray bytes follow the only record; tshark says "cut short in the middle of a packet"
            assertThat(failure).isNotNull();
            assertThat(failure.offset()).isEqualTo(TestData.FUZZ_FILE_DAMAGE_OFFSET);
            assertThat(failure.getMessage()).contains("offset 237", "truncated record header: 2 of 16 bytes");
        } else {
            assertThat(failure).isNull();
        }
    }

    @Test
    void formatComesFromTheMagicNumberNotTheName() throws IOException {
        assertThat(format("benign/ndpi-tor.pcap")).isEqualTo(CaptureFormat.PCAPNG);
        assertThat(format("attack/portscan-1-10000.pcapng")).isEqualTo(CaptureFormat.PCAPNG);
        assertThat(format("attack/bacnet-amplification.pcapng")).isEqualTo(CaptureFormat.PCAP_MICROS);
        assertThat(format(TestData.FUZZ_FILE)).isEqualTo(CaptureFormat.PCAP_NANOS);
        assertThat(format("benign/lan-trace-2012.pcap")).isEqualTo(CaptureFormat.PCAP_MICROS);
    }

    private static CaptureFormat format(String relative) throws IOException {
        try (CaptureReader r = CaptureReader.open(TestData.file(relative))) {
            return r.format();
        }
    }

    @Test
    void fuzzFileIsNullLinkTypeWithSwappedLengthsOfPcap20() throws IOException {
        try (CaptureReader r = CaptureReader.open(TestData.file(TestData.FUZZ_FILE))) {
            assertThat(r.next()).isTrue();
            assertThat(r.linkType()).isEqualTo(LinkType.NULL); // header says 0x40000000: FCS bits, link type 0
            // pcap 2.0 stores original and captured length swapped (as libpcap and tshark read them)
            assertThat(r.capturedLength()).isEqualTo(197);
            assertThat(r.originalLength()).isEqualTo(524_501);
            assertThat(r.snapLength()).isZero();
            // the nanosecond fraction 1882137472 is out of range; it is added as is
            assertThat(r.timestampNanos()).isEqualTo(980_658_802L * 1_000_000_000L + 1_882_137_472L);
            assertThatThrownBy(r::next).isInstanceOf(PcapFormatException.class);
            assertThatThrownBy(r::next).as("keeps failing").isInstanceOf(PcapFormatException.class);
        }
    }

    @Test
    void pcapngInterfaceSnapLengthIsReported() throws IOException {
        try (CaptureReader r = CaptureReader.open(TestData.file("attack/portscan-1-10000.pcapng"))) {
            assertThat(r.next()).isTrue();
            assertThat(r.snapLength()).isEqualTo(524_288);
            assertThat(r.recordOffset()).isEqualTo(200 + 132); // after the SHB (200 bytes) and the IDB (132 bytes)
        }
    }

    /** tshark (Wireshark 4) as an independent oracle for timestamps and lengths. */
    @ParameterizedTest
    @ValueSource(strings = {"benign/ndpi-tor.pcap", "attack/portscan-1-10000.pcapng", "tunnel/tcpdump-vxlan.pcap",
            "malformed/ndpi-badpackets.pcap", "attack/dns-tunnel-iodine.pcap"})
    void agreesWithTshark(String relative) throws Exception {
        require(Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark not installed (apt-get install tshark): the oracle cannot run");
        Process p = new ProcessBuilder("/usr/bin/tshark", "-r", TestData.file(relative).toString(), "-T", "fields",
                "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
            }
        }
        assertThat(p.waitFor()).isZero();
        assertThat(lines).hasSize(TestData.COUNTS.get(relative));
        try (CaptureReader r = CaptureReader.open(TestData.file(relative))) {
            for (String line : lines) {
                assertThat(r.next()).isTrue();
                String[] f = line.split("\t");
                String[] t = f[0].split("\\.");
                long nanos = Long.parseLong(t[0]) * 1_000_000_000L + Long.parseLong((t[1] + "000000000").substring(0, 9));
                assertThat(r.timestampNanos()).as("packet %d", r.packetIndex()).isEqualTo(nanos);
                assertThat(r.capturedLength()).isEqualTo(Integer.parseInt(f[1]));
                assertThat(r.originalLength()).isEqualTo(Long.parseLong(f[2]));
            }
            assertThat(r.next()).isFalse();
        }
    }
}
