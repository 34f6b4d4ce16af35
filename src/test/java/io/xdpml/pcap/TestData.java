package io.xdpml.pcap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The test captures (testdata/pcap) and their packet counts (from testdata/README.md). */
final class TestData {
    static final Map<String, Integer> COUNTS = new LinkedHashMap<>();

    static {
        COUNTS.put("benign/lan-trace-2012.pcap", 62_781);
        COUNTS.put("benign/ndpi-firefox.pcap", 5_441);
        COUNTS.put("benign/ndpi-ftp.pcap", 1_192);
        COUNTS.put("benign/ndpi-teams.pcap", 2_817);
        COUNTS.put("benign/ndpi-tor.pcap", 3_859);
        COUNTS.put("attack/cicddos2019-synflood.pcap", 26_316);
        COUNTS.put("attack/synflood-spoofed.pcap", 37_841);
        COUNTS.put("attack/portscan-1-10000.pcapng", 10_009);
        COUNTS.put("attack/ndpi-synscan.pcap", 2_011);
        COUNTS.put("attack/synack-reflection.pcap", 8_000);
        COUNTS.put("attack/bacnet-amplification.pcapng", 9_617);
        COUNTS.put("attack/dns-tunnel-iodine.pcap", 438);
        COUNTS.put("tunnel/ndpi-vxlan.pcap", 127);
        COUNTS.put("tunnel/tcpdump-vxlan.pcap", 10);
        COUNTS.put("tunnel/zeek-vlan-qinqinq.pcap", 14);
        COUNTS.put("malformed/ndpi-badpackets.pcap", 93);
        COUNTS.put("malformed/ndpi-ip_fragmented_garbage.pcap", 9_077);
        COUNTS.put("malformed/ndpi-malformed_icmp.pcap", 1);
        COUNTS.put("malformed/ndpi-fuzz-2021-10-13.pcap", 1);
        COUNTS.put("malformed/ndpi-6in4tunnel.pcap", 127);
        COUNTS.put("malformed/suricata-ipv6-exthdr-dos.pcap", 39_838);
        COUNTS.put("malformed/tcpdump-ipv6-srh-truncated.pcap", 1);
    }

    /** The NULL-link-type, nanosecond pcap whose last record header is cut to 2 bytes. */
    static final String FUZZ_FILE = "malformed/ndpi-fuzz-2021-10-13.pcap";
    static final long FUZZ_FILE_DAMAGE_OFFSET = 24 + 16 + 197;

    private TestData() {}

    /** testdata/pcap (or -Dxdpml.data=DIR): through the one lookup every test uses, which requires it present. */
    static Path pcapDir() {
        return io.xdpml.testing.TestData.dataDir().resolve("pcap");
    }

    static Path file(String relative) {
        return pcapDir().resolve(relative);
    }

    static byte[] bytes(String relative) throws IOException {
        return Files.readAllBytes(file(relative));
    }

    static MemorySegment segment(byte[] bytes, int length) {
        return MemorySegment.ofArray(bytes).asSlice(0, length);
    }
}
