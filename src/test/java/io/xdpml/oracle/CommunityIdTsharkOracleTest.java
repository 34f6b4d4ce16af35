package io.xdpml.oracle;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.output.CaptureFlows;
import io.xdpml.output.CommunityId;
import io.xdpml.output.EveLines;
import io.xdpml.output.EveWriter;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * tshark 4.0's Community ID ({@code --enable-protocol communityid}, Wireshark's own implementation of
 * the spec) as an independent oracle: per packet of every shared capture, our hash of tshark's tuple
 * equals tshark's; and per flow of our flow engine, the {@code community_id} of its EVE flow event
 * equals the one tshark gives every packet of that flow.
 *
 * <p>Packets left out of the packet comparison (counted): those without a Community ID from tshark
 * (not IP, or a packet tshark did not take apart), IPv4 and IPv6 headers in one packet (6in4: we do
 * not take 6in4 apart, and the tuple tshark hashes cannot be told from its fields), TCP/UDP without
 * ports (fragments) and IPv6 packets whose next header is an extension header (the transport is not
 * in the fields we read). For ICMP and ICMPv6 tshark hashes the outer header with the message's type and code
 * (an error's quoted header is not the tuple), except inside VXLAN, where the inner packet's is.
 */
class CommunityIdTsharkOracleTest {
    static Stream<Path> captures() {
        return TestData.captures().stream();
    }

    static boolean tsharkHasCommunityId() {
        return Tshark.installed() && Tshark.run("-G", "protocols").stream().anyMatch(l -> l.endsWith("\tcommunityid"));
    }

    /** (proto, lower end, higher end) as text: a direction-free tuple. */
    static String key(int proto, String a, int pa, String b, int pb) throws Exception {
        String x = InetAddress.getByName(a).getHostAddress() + "/" + pa;
        String y = InetAddress.getByName(b).getHostAddress() + "/" + pb;
        return proto + " " + (x.compareTo(y) <= 0 ? x + " " + y : y + " " + x);
    }

    static String first(String s) {
        int i = s.indexOf('|');
        return i < 0 ? s : s.substring(0, i);
    }

    static String last(String s) {
        return s.substring(s.lastIndexOf('|') + 1);
    }

    @ParameterizedTest
    @MethodSource("captures")
    void ourCommunityIdsAreTsharks(Path capture) throws Exception {
        require(tsharkHasCommunityId(), "tshark with the communityid dissector is not installed (apt-get install tshark, 3.3.1 or newer)");
        String[] fields = {"ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst", "ipv6.nxt", "tcp.srcport", "tcp.dstport",
            "udp.srcport", "udp.dstport", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "communityid"};
        List<String> args = new ArrayList<>(List.of("--enable-protocol", "communityid", "-r", capture.toString(), "-T", "fields",
                "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"));
        for (String f : fields) {
            args.add("-e");
            args.add(f);
        }
        Map<String, Set<String>> byTuple = new HashMap<>();
        int packets = 0;
        int compared = 0;
        int skipped = 0;
        List<String> mismatches = new ArrayList<>();
        for (String line : Tshark.run(args.toArray(String[]::new))) {
            packets++;
            String[] v = line.split("\t", -1);
            if (v.length < fields.length || v[14].isEmpty() || (!v[0].isEmpty() && !v[3].isEmpty())) {
                skipped++;
                continue;
            }
            boolean v4 = !v[0].isEmpty();
            String src = v4 ? v[0] : v[3];
            String dst = v4 ? v[1] : v[4];
            String proto = v4 ? v[2] : v[5];
            String ours;
            String tuple = null;
            if (!v[10].isEmpty() || !v[12].isEmpty()) {
                boolean inVxlan = v[9].contains("4789");
                String s = inVxlan ? last(src) : first(src);
                String d = inVxlan ? last(dst) : first(dst);
                int p = !v[10].isEmpty() ? 1 : 58;
                String type = p == 1 ? v[10] : v[12];
                String code = p == 1 ? v[11] : v[13];
                ours = CommunityId.DEFAULT.of(InetAddress.getByName(s), InetAddress.getByName(d), p,
                        Integer.parseInt(inVxlan ? last(type) : first(type)), Integer.parseInt(inVxlan ? last(code) : first(code)));
            } else if (!v[6].isEmpty() || !v[8].isEmpty()) {
                int p = !v[6].isEmpty() ? 6 : 17;
                int sp = Integer.parseInt(last(p == 6 ? v[6] : v[8]));
                int dp = Integer.parseInt(last(p == 6 ? v[7] : v[9]));
                ours = CommunityId.DEFAULT.of(InetAddress.getByName(last(src)), InetAddress.getByName(last(dst)), p, sp, dp);
                tuple = key(p, last(src), sp, last(dst), dp);
            } else {
                int p = Integer.parseInt(last(proto));
                if (p == 0 || p == 43 || p == 44 || p == 60 || p == 6 || p == 17) {
                    skipped++;
                    continue;
                }
                ours = CommunityId.DEFAULT.of(InetAddress.getByName(last(src)), InetAddress.getByName(last(dst)), p, 0, 0);
                tuple = key(p, last(src), 0, last(dst), 0);
            }
            compared++;
            if (!ours.equals(v[14]) && mismatches.size() < 10) {
                mismatches.add(line + " -> ours " + ours);
            }
            if (tuple != null) {
                byTuple.computeIfAbsent(tuple, k -> new TreeSet<>()).add(v[14]);
            }
        }
        assertThat(mismatches).as("packets whose Community ID differs from tshark's").isEmpty();
        assertThat(compared + skipped).isEqualTo(packets);

        // Flows: the community_id of each flow event, against tshark's for the packets of that flow.
        StringWriter sw = new StringWriter();
        try (EveWriter w = new EveWriter(sw, EveWriter.Options.defaults())) {
            CaptureFlows.of(capture).flows().forEach(w::flow);
        }
        int flows = 0;
        int matched = 0;
        int withCid = 0;
        List<String> flowMismatches = new ArrayList<>();
        for (JsonNode l : EveLines.parse(sw.toString())) {
            flows++;
            if (!l.has("community_id")) {
                continue;
            }
            withCid++;
            Set<String> theirs = byTuple.get(key(EveLines.protoNumber(l.get("proto").asText()), l.get("src_ip").asText(),
                    l.path("src_port").asInt(0), l.get("dest_ip").asText(), l.path("dest_port").asInt(0)));
            if (theirs == null) {
                continue; // tshark saw this tuple only in packets left out above
            }
            matched++;
            if (!theirs.equals(Set.of(l.get("community_id").asText())) && flowMismatches.size() < 10) {
                flowMismatches.add(l + " vs tshark " + theirs);
            }
        }
        System.out.printf("%s: %d packets, %d compared with tshark, %d left out; %d flows, %d with community_id, %d of them checked"
                + " against tshark%n", TestData.dataDir().relativize(capture), packets, compared, skipped, flows, withCid, matched);
        assertThat(flowMismatches).as("flows whose community_id differs from tshark's").isEmpty();
        if (withCid > 0 && !byTuple.isEmpty()) {
            assertThat(matched).as("flows checked against tshark").isPositive();
        }
    }
}
