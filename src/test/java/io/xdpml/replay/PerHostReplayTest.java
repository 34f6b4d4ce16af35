package io.xdpml.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.Stage;
import io.xdpml.model.data.LabelRules;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.PcapWriter;
import io.xdpml.pcap.TimestampResolution;
import io.xdpml.replay.CaptureReplay.Outcome;
import io.xdpml.replay.CaptureReplay.Tally;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code xdpml replay --per-host} ({@link CaptureReplay#runPerHost}): each IP packet to the twin of
 * the host it arrives at. The expected hosts and each host's packets are found here without the
 * project's parser (the Ethernet and IP headers read byte by byte), and each host's share of a
 * capture is written to a capture of its own (a one-way cut) and replayed alone by the one-twin
 * {@link CaptureReplay#run}: per host must be what those cuts give.
 */
class PerHostReplayTest {
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @TempDir
    Path dir;

    private static AgentConfig shipped() throws Exception {
        return AgentConfigLoader.load(Path.of("config/xdpml.example.yaml"));
    }

    private static AgentConfig everyPacketEveryDetector() throws Exception {
        return shipped().withSamplingEvery(1).withDetectorsEnabled(List.of("all"));
    }

    private LabelRules rules(String... lines) throws Exception {
        Path f = Files.createTempFile(dir, "labels", ".rules");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return LabelRules.read(f);
    }

    /** The frame's IP destination as a host (broadcast and multicast: the shared one), or null without an IP header. */
    private static String destination(CaptureReader r) throws Exception {
        MemorySegment d = r.data();
        int n = r.capturedLength();
        int off = 12;
        int type = n >= 14 ? d.get(BE16, off) & 0xffff : -1;
        while ((type == 0x8100 || type == 0x88a8) && off + 6 <= n) {
            off += 4;
            type = d.get(BE16, off) & 0xffff;
        }
        off += 2;
        if (type == 0x0800 && off + 20 <= n) {
            byte[] a = d.asSlice(off + 16, 4).toArray(ValueLayout.JAVA_BYTE);
            boolean shared = (a[0] & 0xf0) == 0xe0 || (a[0] & a[1] & a[2] & a[3]) == -1;
            return shared ? CaptureReplay.NOT_UNICAST : InetAddress.getByAddress(a).getHostAddress();
        }
        if (type == 0x86dd && off + 40 <= n) {
            byte[] a = d.asSlice(off + 24, 16).toArray(ValueLayout.JAVA_BYTE);
            return a[0] == (byte) 0xff ? CaptureReplay.NOT_UNICAST : InetAddress.getByAddress(a).getHostAddress();
        }
        return null;
    }

    /** The capture's IP packets split by destination, each host's into a capture of its own, hosts in the order of their first packet. */
    private Map<String, Path> cuts(Path capture) throws Exception {
        Map<String, PcapWriter> writers = new LinkedHashMap<>();
        Map<String, Path> files = new LinkedHashMap<>();
        Path to = Files.createTempDirectory(dir, "cuts");
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                String host = destination(r);
                if (host == null) {
                    continue;
                }
                PcapWriter w = writers.get(host);
                if (w == null) {
                    Path f = to.resolve("host" + files.size() + ".pcap");
                    files.put(host, f);
                    w = PcapWriter.open(f, r.linkType(), PcapWriter.DEFAULT_SNAP_LENGTH, TimestampResolution.NANOS, ByteOrder.LITTLE_ENDIAN);
                    writers.put(host, w);
                }
                w.write(r.timestampNanos(), r.data(), r.capturedLength(), r.originalLength());
            }
        } finally {
            for (PcapWriter w : writers.values()) {
                w.close();
            }
        }
        return files;
    }

    private static String counts(Tally t) {
        return t.packets() + " packets, " + t.dropped() + " dropped: blocks " + t.droppedBy(Stage.BLOCKS) + ", firewall "
                + t.droppedBy(Stage.FIREWALL) + " " + t.firewallReasons() + ", model " + t.droppedBy(Stage.MODEL);
    }

    /** Everything an outcome says, its hosts' prefixes taken off its lines. */
    private static String summary(Outcome o, List<String> labels) {
        StringBuilder b = new StringBuilder();
        for (String l : labels) {
            Tally t = o.tally(l);
            b.append(l).append(": ").append(counts(t)).append(", first drop after ").append(t.timeToFirstDrop()).append(" ns\n");
        }
        return b.append("detected ").append(unprefixed(o.detections())).append("\nblocked ").append(unprefixed(o.blocked()))
                .append("\nmeasures ").append(unprefixed(o.measures())).toString();
    }

    /** Host names as addresses (parsed, no name lookup), so that the text form does not matter. */
    private static List<Object> addresses(java.util.Collection<String> names) throws Exception {
        List<Object> out = new ArrayList<>();
        for (String n : names) {
            out.add(n.equals(CaptureReplay.NOT_UNICAST) ? n : InetAddress.getByName(n));
        }
        return out;
    }

    private static List<String> unprefixed(List<String> lines) {
        return lines.stream().map(s -> s.replaceFirst("^at [^ ]+: ", "")).toList();
    }

    private static List<String> at(String host, List<String> lines) {
        return lines.stream().filter(s -> s.startsWith("at " + host + ": ")).map(s -> s.substring(("at " + host + ": ").length())).toList();
    }

    /** Per host on {@code capture} is what its one-way cuts give, each replayed alone, added up; its hosts are the cuts'. Its benign tally. */
    private Tally assertTheSumOfItsCuts(Path capture, AgentConfig c, LabelRules r, long seed) throws Exception {
        Map<String, Path> cuts = cuts(capture);
        Outcome perHost = CaptureReplay.runPerHost(c, capture, r, seed, CaptureReplay.HOSTS_PER_PASS);
        assertThat(addresses(perHost.hosts())).as("%s: one twin per destination", capture).containsExactlyElementsOf(addresses(cuts.keySet()));
        long packets = 0;
        long dropped = 0;
        long[] by = new long[CaptureReplay.DROPPERS.size()];
        for (Map.Entry<String, Path> e : cuts.entrySet()) {
            Outcome cut = CaptureReplay.run(c, e.getValue(), r, seed);
            Tally t = cut.tally("benign");
            packets += t.packets();
            dropped += t.dropped();
            for (int i = 0; i < by.length; i++) {
                by[i] += t.droppedBy(CaptureReplay.DROPPERS.get(i));
            }
            String host = e.getKey();
            assertThat(at(host, perHost.detections())).as("%s at %s, seed %d", capture, host, seed).isEqualTo(cut.detections());
            assertThat(at(host, perHost.blocked())).as("%s at %s, seed %d", capture, host, seed).isEqualTo(cut.blocked());
            assertThat(at(host, perHost.measures())).as("%s at %s, seed %d", capture, host, seed).isEqualTo(cut.measures());
        }
        Tally t = perHost.tally("benign");
        assertThat(t.packets()).as("%s", capture).isEqualTo(packets);
        assertThat(t.dropped()).as("%s, seed %d", capture, seed).isEqualTo(dropped);
        for (int i = 0; i < by.length; i++) {
            assertThat(t.droppedBy(CaptureReplay.DROPPERS.get(i))).as("%s by %s, seed %d", capture, CaptureReplay.DROPPERS.get(i), seed)
                    .isEqualTo(by[i]);
        }
        System.out.printf("%s, seed %d: %d hosts, %s%n", capture.getFileName(), seed, cuts.size(), counts(t));
        return t;
    }

    /**
     * Each twin draws its salts as if it were alone, whichever host came first: the slow SYN scan
     * (whose blocks depend on the salts: ReplaySeedTest) after one packet of the FTP capture to
     * another host, a second earlier. The victim's twin is made second, yet gives what the scan's cut
     * gives alone, for seeds 1-6; twins drawing from one sequence in turn gave other blocks.
     */
    @Test
    void eachTwinDrawsItsSaltsAsIfAlone() throws Exception {
        Path scan = TestData.dataDir().resolve("detect/nmap-slow-syn-scan.pcap");
        Path merged = dir.resolve("ftp-packet-then-slow-scan.pcap");
        try (CaptureReader s = CaptureReader.open(scan); CaptureReader f = CaptureReader.open(TestData.capture("benign/ndpi-ftp.pcap"));
             PcapWriter w = PcapWriter.open(merged, io.xdpml.pcap.LinkType.ETHERNET, PcapWriter.DEFAULT_SNAP_LENGTH, TimestampResolution.NANOS,
                     ByteOrder.LITTLE_ENDIAN)) {
            boolean first = true;
            while (s.next()) {
                if (first) {
                    while (f.next() && destination(f) == null) {
                        // to the first IP packet
                    }
                    w.write(s.timestampNanos() - 1_000_000_000L, f.data(), f.capturedLength(), f.originalLength());
                    first = false;
                }
                w.write(s.timestampNanos(), s.data(), s.capturedLength(), s.originalLength());
            }
        }
        LabelRules r = rules("default benign");
        for (long seed = 1; seed <= 6; seed++) {
            assertTheSumOfItsCuts(merged, everyPacketEveryDetector(), r, seed);
        }
        assertThat(cuts(merged).keySet()).hasSize(3).last().isEqualTo("10.77.1.1");
    }

    /**
     * Captures with one destination (the UDP scan's and the spoofed SYN flood's victim): the one twin of
     * the host gets every packet, from the first, with the salts the one twin of the default gets, so
     * per host is the default exactly, with and without every packet to Java.
     */
    @Test
    void aCaptureWithOneDestinationGivesWhatTheOneTwinGives() throws Exception {
        LabelRules r = rules("default attack");
        for (AgentConfig c : List.of(shipped(), everyPacketEveryDetector())) {
            for (Path capture : List.of(TestData.dataDir().resolve("detect/hping3-udp-scan.pcap"), TestData.capture("attack/synflood-spoofed.pcap"))) {
                Outcome one = CaptureReplay.run(c, capture, r, 1);
                Outcome perHost = CaptureReplay.runPerHost(c, capture, r, 1, CaptureReplay.HOSTS_PER_PASS);
                assertThat(perHost.hosts()).as("%s", capture).hasSize(1);
                assertThat(one.hosts()).isEmpty();
                assertThat(perHost.detections()).allMatch(d -> d.startsWith("at " + perHost.hosts().get(0) + ": "));
                assertThat(summary(perHost, List.of("attack"))).as("%s", capture).isEqualTo(summary(one, List.of("attack")));
                System.out.printf("%s, one destination %s: %s%n", capture.getFileName(), perHost.hosts(), summary(perHost, List.of("attack")));
            }
        }
        Outcome scan = CaptureReplay.runPerHost(everyPacketEveryDetector(), TestData.dataDir().resolve("detect/hping3-udp-scan.pcap"), r, 1, 64);
        assertThat(scan.detections()).as("the scan is seen where it arrives").contains("at 10.77.0.1: udpscan 10.77.1.1");
    }

    /**
     * Two-way captures (an FTP session, a Teams call, the slow SYN scan with its answers, every packet
     * to Java and every detector there): per host is what the one-way cuts to each destination give,
     * each replayed alone by the one twin, added up; its hosts are the cuts' (the twin count is the
     * number of destinations, found here byte by byte), in the order of their first packets; and the
     * hosts grouped one per pass give the same. The Teams call shows why it matters: the model as
     * shipped (trained one way) drops more of it one way than two ways.
     */
    @Test
    void aCaptureGivesWhatItsOneWayCutsAddUpTo() throws Exception {
        LabelRules r = rules("default benign");
        List<String> labels = List.of("benign");
        Object[][] cases = {{TestData.capture("benign/ndpi-ftp.pcap"), shipped()}, {TestData.capture("benign/ndpi-teams.pcap"), shipped()},
            {TestData.dataDir().resolve("detect/nmap-slow-syn-scan.pcap"), everyPacketEveryDetector()}};
        for (Object[] k : cases) {
            Path capture = (Path) k[0];
            AgentConfig c = (AgentConfig) k[1];
            Tally t = assertTheSumOfItsCuts(capture, c, r, 3);
            assertThat(t.packets()).as("%s", capture).isEqualTo(CaptureReplay.run(c, capture, r, 3).tally("benign").packets());
            assertThat(summary(CaptureReplay.runPerHost(c, capture, r, 3, 1), labels)).as("%s, one host a pass", capture)
                    .isEqualTo(summary(CaptureReplay.runPerHost(c, capture, r, 3, CaptureReplay.HOSTS_PER_PASS), labels));
            System.out.printf("%s: per host %s; one twin %s%n", capture.getFileName(), counts(t),
                    counts(CaptureReplay.run(c, capture, r, 3).tally("benign")));
        }
        Path teams = TestData.capture("benign/ndpi-teams.pcap");
        assertThat(CaptureReplay.runPerHost(shipped(), teams, r, 1, 64).tally("benign").droppedBy(Stage.MODEL))
                .as("the Teams call one way: more called attack by the one-way model than two ways")
                .isGreaterThan(CaptureReplay.run(shipped(), teams, r, 1).tally("benign").droppedBy(Stage.MODEL));
    }

    /**
     * Hosts are named as detections name addresses: IPv6 in RFC 5952 text (the longest run of zero
     * groups compressed, the first of equal runs), not Java's uncompressed form; multicast shared.
     */
    @Test
    void hostsAreNamedAsDetectionsNameAddresses() throws Exception {
        String[] to = {"192.0.2.1", "2001:db8:0:0:0:0:0:1", "fe80:0:0:0:2:0:0:1", "2001:db8:0:1:0:0:0:5", "2001:db8:0:0:1:0:0:0", "ff02::1"};
        Path c = dir.resolve("v6-hosts.pcap");
        try (PcapWriter w = PcapWriter.open(c, io.xdpml.pcap.LinkType.ETHERNET, PcapWriter.DEFAULT_SNAP_LENGTH, TimestampResolution.NANOS,
                ByteOrder.LITTLE_ENDIAN)) {
            long t = 1_000_000_000L;
            for (String d : to) {
                FrameBuilder b = new FrameBuilder().ethernet();
                byte[] f = (d.contains(":") ? b.ipv6("2001:db8::99", d) : b.ipv4("192.0.2.99", d)).udp(40000, 53).payload(new byte[8]).build();
                w.write(t += 1_000_000, MemorySegment.ofArray(f), f.length, f.length);
            }
        }
        Outcome o = CaptureReplay.runPerHost(shipped(), c, rules("default benign"), 1, CaptureReplay.HOSTS_PER_PASS);
        assertThat(o.hosts()).containsExactly("192.0.2.1", "2001:db8::1", "fe80::2:0:0:1", "2001:db8:0:1::5", "2001:db8:0:0:1::",
                CaptureReplay.NOT_UNICAST);
    }

    /**
     * Each host's twin knows the host's address as its own, as the agent on it does: an ICMP echo
     * flood forged with the victim's own address as its source (LAND-like), IPv4 and IPv6, is dropped
     * whole by the victim's firewall ({@code drop_own_source}); echo requests from another source to
     * it pass the firewall. A loopback host's twin is an agent on lo, where the host's own packets
     * arrive: it knows no address (a capture on lo passes). The one twin of {@code run} knows no
     * address, and passes the flood.
     */
    @Test
    void eachHostsTwinKnowsItsOwnAddress() throws Exception {
        Path c = dir.resolve("own-source-flood.pcap");
        try (PcapWriter w = PcapWriter.open(c, io.xdpml.pcap.LinkType.ETHERNET, PcapWriter.DEFAULT_SNAP_LENGTH, TimestampResolution.NANOS,
                ByteOrder.LITTLE_ENDIAN)) {
            long t = 1_000_000_000L;
            for (int i = 0; i < 40; i++) {
                byte[][] frames = {
                    new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.1").icmpEcho(7, i).payload(new byte[32]).build(),
                    new FrameBuilder().ethernet().ipv6("2a01:4f8::1", "2a01:4f8::1").icmpv6Echo(7, i).payload(new byte[32]).build(),
                    new FrameBuilder().ethernet().ipv4("198.51.100.9", "198.51.100.1").icmpEcho(9, i).payload(new byte[32]).build(),
                    new FrameBuilder().ethernet().ipv4("127.0.0.1", "127.0.0.1").udp(35181, 40000).payload(new byte[32]).build()};
                for (byte[] f : frames) {
                    w.write(t += 50_000_000L, MemorySegment.ofArray(f), f.length, f.length);
                }
            }
        }
        LabelRules r = rules("default benign", "forged src=198.51.100.1", "forged src=2a01:4f8::1", "other src=198.51.100.9", "loopback src=127.0.0.1");
        Outcome each = CaptureReplay.runPerHost(shipped(), c, r, 1, CaptureReplay.HOSTS_PER_PASS);
        assertThat(each.hosts()).containsExactly("198.51.100.1", "2a01:4f8::1", "127.0.0.1");
        assertThat(each.tally("forged").packets()).isEqualTo(80);
        assertThat(each.tally("forged").droppedBy(Stage.FIREWALL)).isEqualTo(80);
        assertThat(each.tally("forged").firewallReasons()).containsEntry("drop_own_source", 80L);
        assertThat(each.tally("other").droppedBy(Stage.FIREWALL)).isZero();
        assertThat(each.tally("loopback").packets()).isEqualTo(40);
        assertThat(each.tally("loopback").droppedBy(Stage.FIREWALL)).as("an agent on lo: its own packets arrive there").isZero();
        Outcome one = CaptureReplay.run(shipped(), c, r, 1);
        assertThat(one.tally("forged").droppedBy(Stage.FIREWALL)).as("no address known").isZero();
    }

    /**
     * A SYN scan with its answers: the probes go to the victim's twin, which names and blocks the
     * scanner; the answers go to the scanner's own twin, which blocks nobody and so drops none of
     * them by a block. A host sweep (one probe or two to each of 256 addresses) is seen by the one
     * twin ({@code sweep}, {@code portscan}) and by no host's twin: no host receives a sweep.
     */
    @Test
    void theScannersAnswersGoToItsOwnTwinAndASweepIsSeenByNoHost() throws Exception {
        LabelRules r = rules("default benign", "probe src=10.77.1.1", "answer dst=10.77.1.1");
        Path scan = TestData.dataDir().resolve("detect/nmap-slow-syn-scan.pcap");
        Outcome o = CaptureReplay.runPerHost(shipped(), scan, r, 1, 64);
        assertThat(o.hosts()).containsExactly("10.77.0.1", "10.77.1.1");
        assertThat(o.detections()).contains("at 10.77.0.1: slowscan 10.77.1.1").noneMatch(d -> d.startsWith("at 10.77.1.1: "));
        assertThat(o.blocked()).containsExactly("at 10.77.0.1: 10.77.1.1");
        assertThat(o.tally("answer").packets()).isEqualTo(164);
        assertThat(o.tally("answer").droppedBy(Stage.BLOCKS)).isZero();
        assertThat(o.tally("probe").droppedBy(Stage.BLOCKS)).isPositive();

        Path sweep = TestData.dataDir().resolve("detect/nmap-syn-sweep.pcap");
        Outcome one = CaptureReplay.run(shipped(), sweep, r, 1);
        assertThat(one.detections()).contains("sweep 10.77.1.1");
        Outcome each = CaptureReplay.runPerHost(shipped(), sweep, r, 1, CaptureReplay.HOSTS_PER_PASS);
        List<String> hosts = new ArrayList<>(cuts(sweep).keySet());
        assertThat(each.hosts()).as("one twin per destination").hasSize(257).containsExactlyElementsOf(hosts);
        assertThat(each.detections()).isEmpty();
        assertThat(each.tally("answer").packets()).isEqualTo(30);
        assertThat(each.tally("probe").packets()).as("every probe counted, over %d passes", 257 / CaptureReplay.HOSTS_PER_PASS + 1)
                .isEqualTo(one.tally("probe").packets()).isEqualTo(482);
        System.out.printf("sweep: one twin %s, %s; per host (%d twins) %s, %s%n", one.detections(), counts(one.tally("probe")),
                each.hosts().size(), each.detections(), counts(each.tally("probe")));
    }

    /**
     * Broadcast and multicast packets all go to one twin, each counted once: the office LAN trace's
     * NetBIOS and SSDP, found here byte by byte.
     */
    @Test
    void broadcastAndMulticastShareOneTwin() throws Exception {
        Path lan = TestData.capture("benign/lan-trace-2012.pcap");
        LabelRules r = rules("default benign");
        Outcome o = CaptureReplay.runPerHost(shipped(), lan, r, 1, CaptureReplay.HOSTS_PER_PASS);
        List<String> hosts = new ArrayList<>();
        try (CaptureReader c = CaptureReader.open(lan)) {
            while (c.next()) {
                String h = destination(c);
                if (h != null && !hosts.contains(h)) {
                    hosts.add(h);
                }
            }
        }
        assertThat(hosts).contains(CaptureReplay.NOT_UNICAST);
        assertThat(o.hosts()).containsExactlyElementsOf(hosts);
        assertThat(o.tally("benign").packets()).isEqualTo(CaptureReplay.run(shipped(), lan, r, 1).tally("benign").packets());
        System.out.printf("LAN trace: %d hosts, one of them %s%n", o.hosts().size(), CaptureReplay.NOT_UNICAST);
    }
}
