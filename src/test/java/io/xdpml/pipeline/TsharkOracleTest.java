package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static io.xdpml.testing.Requirements.require;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.LinkType;
import io.xdpml.testing.TestData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * tshark, an implementation nobody here wrote, decodes every shared capture; each packet's
 * protocol set must match ours. tshark's chain ({@code frame.protocols}) is read with our
 * documented semantics (docs/parser.md): nothing after the first icmp/icmpv6 (a quoted header),
 * nothing after a second IP header without VXLAN between (IP-in-IP is not parsed). For packets
 * our parser stopped on an error, what we found must be a subset of tshark's (tshark decodes
 * damaged headers as far as it can); for all others the sets must be equal.
 */
class TsharkOracleTest {
    /** The flags compared: the IPv4, IPv6, TCP, UDP, VLAN, and ICMP, ICMPv6, VXLAN, Ethernet. */
    static final int COMPARED = ParseFlags.ETHERNET | ParseFlags.VLAN | ParseFlags.IPV4 | ParseFlags.IPV6 | ParseFlags.TCP
            | ParseFlags.UDP | ParseFlags.ICMP | ParseFlags.ICMPV6 | ParseFlags.VXLAN;

    static Stream<Path> captures() {
        return TestData.captures().stream();
    }

    static boolean tsharkInstalled() {
        try {
            return new ProcessBuilder("tshark", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Our flags for tshark's protocol chain of one packet. */
    static int flagsOf(String chain) {
        int f = 0;
        boolean ipSeen = false;
        for (String t : chain.split(":")) {
            switch (t) {
                case "eth" -> f |= ParseFlags.ETHERNET;
                case "vlan" -> f |= ParseFlags.VLAN;
                case "ip", "ipv6" -> {
                    if (ipSeen) {
                        return f; // IP-in-IP: not parsed
                    }
                    ipSeen = true;
                    f |= t.equals("ip") ? ParseFlags.IPV4 : ParseFlags.IPV6;
                }
                case "tcp" -> f |= ParseFlags.TCP;
                case "udp" -> f |= ParseFlags.UDP;
                case "vxlan" -> {
                    f |= ParseFlags.VXLAN;
                    ipSeen = false;
                }
                case "icmp" -> {
                    return f | ParseFlags.ICMP;
                }
                case "icmpv6" -> {
                    return f | ParseFlags.ICMPV6;
                }
                default -> { }
            }
        }
        return f;
    }

    static List<String> tsharkChains(Path capture) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tshark", "-n", "-r", capture.toString(), "-o", "ip.defragment:FALSE", "-o",
                "ipv6.defragment:FALSE", "-T", "fields", "-e", "frame.protocols")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null;) {
                lines.add(l);
            }
        }
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return lines;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void protocolsAgreeWithTshark(Path capture) throws Exception {
        require(tsharkInstalled(), "tshark is not installed (apt-get install tshark)");
        List<String> chains = tsharkChains(capture);
        PacketParser parser = new PacketParser();
        ParseSummary s = new ParseSummary();
        EthernetFramer framer = new EthernetFramer();
        Map<String, Integer> differences = new TreeMap<>();
        List<String> examples = new ArrayList<>();
        int compared = 0;
        try (CaptureReader reader = CaptureReader.open(capture)) {
            while (nextOrDamage(reader)) {
                int i = (int) reader.packetIndex();
                assertThat(i).as("tshark saw fewer packets").isLessThan(chains.size());
                int length = framer.frame(reader);
                if (length < 14) {
                    continue;
                }
                parser.parse(framer.frameSegment(), length, s);
                int theirs = flagsOf(chains.get(i));
                if (reader.linkType() != LinkType.ETHERNET) {
                    theirs |= ParseFlags.ETHERNET; // we frame other link types as Ethernet
                }
                int ours = s.flags() & COMPARED;
                compared++;
                boolean ok = s.error() == 0 ? ours == theirs : (ours & ~theirs) == 0;
                if (!ok) {
                    String key = "ours=" + names(ours) + " tshark=" + names(theirs)
                            + (s.error() != 0 ? " error=" + s.errorCounter().jsonName() : "");
                    differences.merge(key, 1, Integer::sum);
                    if (examples.size() < 5) {
                        examples.add("packet " + (i + 1) + " (tshark numbering): " + chains.get(i) + " / " + s);
                    }
                }
            }
        }
        assertThat(compared).isPositive();
        assertThat(differences).as("differences from tshark in %s, e.g. %s", capture.getFileName(), examples).isEmpty();
    }

    /** Damaged captures (one shared file ends in a cut record): compare what comes before. */
    static boolean nextOrDamage(CaptureReader reader) {
        try {
            return reader.next();
        } catch (io.xdpml.pcap.PcapFormatException e) {
            return false;
        }
    }

    static String names(int flags) {
        StringBuilder b = new StringBuilder();
        String[] n = {"eth", "vlan", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "vxlan"};
        for (int i = 0; i < n.length; i++) {
            if ((flags & (1 << i)) != 0) {
                b.append(b.isEmpty() ? "" : "+").append(n[i]);
            }
        }
        return b.toString();
    }
}
