package io.xdpml.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.cli.Main;
import io.xdpml.detect.CaptureDetection;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.LinkType;
import io.xdpml.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * Scenarios written to pcap files (no root): tshark decodes every frame without a malformed
 * packet, expert warning or error, checksums verified; all detectors with their default settings
 * find exactly the expected (detector, subject) pairs - the attacker for scans and tunnels, the
 * victim for floods, nothing for benign traffic; every kind comes from its own source range;
 * the same seed gives the same bytes.
 */
class ScenarioCaptureTest {
    static final String VICTIM = "10.99.0.1";
    static final String SCANNER = "10.77.0.7";
    static final String TUNNEL = "10.55.0.9";

    @TempDir
    Path dir;

    static Path write(Path file, String scenario, ScenarioSettings settings, long rate, long frames) throws IOException {
        try (PcapSink sink = PcapSink.open(file)) {
            ScenarioSender sender = new ScenarioSender(sink);
            assertThat(sender.run(Scenarios.create(scenario, settings, rate), rate, frames, () -> false)).isEqualTo(frames);
            assertThat(sender.sent()).isEqualTo(frames);
        }
        return file;
    }

    /** "detector subject" of every detection by all detectors with their defaults. */
    static Set<String> detections(Path capture) throws IOException {
        DetectorSet set = new DetectorSet(Detectors.create("all"));
        CaptureDetection.Result r = CaptureDetection.run(capture, set);
        assertThat(r.damage()).isNull();
        return set.detections().stream().map(d -> d.detector() + " " + d.subject()).collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest(name = "{0} at {1}/s")
    @CsvSource(delimiter = ';', value = {
        "benign;        1000; 5000; ''",
        // >= 5000 packets/s at one destination with no baseline is volumetric, whatever they are
        "benign;       10000; 30000; volumetric 10.99.0.1",
        "synflood;      1000; 3000; synflood 10.99.0.1",
        // nmap's polite timing (-T2): a scan alone
        "portscan;        50; 1200; portscan 10.77.0.7",
        // a fast scan also meets the SYN flood rule (>= 1000 uncompleted SYNs at >= 100/s) for its victim
        "portscan;      1000; 3000; portscan 10.77.0.7|synflood 10.99.0.1",
        "amplification; 1000; 3000; amplification 10.99.0.1",
        "dnstunnel;      100;  300; dnstunnel 10.55.0.9",
        "spoofedsyn;    1000; 3000; synflood 10.99.0.1",
        "mix;           1000; 12000; synflood 10.99.0.1|portscan 10.77.0.7|amplification 10.99.0.1|dnstunnel 10.55.0.9",
    })
    void tsharkDecodesItCleanlyAndTheDetectorsFindExactlyTheAttack(String scenario, long rate, long frames, String expected)
            throws Exception {
        GenTshark.require();
        Path pcap = write(dir.resolve(scenario + ".pcap"), scenario, ScenarioSettings.defaults(), rate, frames);
        assertThat(GenTshark.problems(pcap)).as("tshark: malformed frames, expert warnings or errors").isEmpty();
        assertThat(GenTshark.run("-r", pcap.toString(), "-T", "fields", "-e", "frame.number")).hasSize((int) frames);
        Set<String> want = new TreeSet<>(expected.isEmpty() ? List.of() : List.of(expected.split("\\|")));
        assertThat(detections(pcap)).isEqualTo(want);
    }

    @Test
    void theJudgeCatchesABadChecksum() throws Exception {
        GenTshark.require();
        Scenario s = Scenarios.create("benign", ScenarioSettings.defaults());
        Path pcap = dir.resolve("bad.pcap");
        try (PcapWriter w = PcapWriter.open(pcap, LinkType.ETHERNET)) {
            for (int i = 0; i < 50; i++) {
                s.next();
                MemorySegment f = s.frame();
                if (i == 20) {
                    f.set(ValueLayout.JAVA_BYTE, s.length() - 1, (byte) (f.get(ValueLayout.JAVA_BYTE, s.length() - 1) ^ 0x5a));
                }
                w.write(1_000_000_000L * (1000 + i), f, s.length(), s.length());
            }
        }
        assertThat(GenTshark.problems(pcap)).hasSize(1).first().asString().startsWith("21\t");
    }

    @Test
    void benignConnectionsGoSynThenAckedSegmentsThenFin() throws Exception {
        GenTshark.require();
        Path pcap = write(dir.resolve("benign.pcap"), "benign", ScenarioSettings.defaults(), 1000, 4000);
        Map<String, List<Integer>> flagsByStream = new HashMap<>();
        for (String line : GenTshark.run("-r", pcap.toString(), "-Y", "tcp", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.flags")) {
            String[] f = line.split("\t");
            flagsByStream.computeIfAbsent(f[0], k -> new java.util.ArrayList<>()).add(Integer.decode(f[1]));
        }
        assertThat(flagsByStream).hasSizeGreaterThan(50);
        int finished = 0;
        for (List<Integer> flags : flagsByStream.values()) {
            assertThat(flags.get(0)).as("a connection starts with a SYN").isEqualTo(0x002);
            for (int f : flags.subList(1, flags.size())) {
                assertThat(f & 0x010).as("after the SYN everything carries ACK").isNotZero();
                assertThat(f & 0x006).as("no SYN or RST after the first").isZero();
            }
            if ((flags.get(flags.size() - 1) & 0x001) != 0 || flags.size() > 1 && (flags.get(flags.size() - 2) & 0x001) != 0) {
                finished++;
            }
        }
        assertThat(finished).as("connections run to their FIN").isGreaterThan(flagsByStream.size() / 3);
        List<String> http = GenTshark.run("-r", pcap.toString(), "-Y", "http.request.method == \"POST\"", "-T", "fields", "-e", "http.host");
        assertThat(http).isNotEmpty().allMatch(h -> List.of(BenignTraffic.NAMES).contains(h));
        List<String> dns = GenTshark.run("-r", pcap.toString(), "-Y", "dns.flags.response == 0", "-T", "fields", "-e", "dns.qry.name");
        assertThat(dns).isNotEmpty().allMatch(n -> List.of(BenignTraffic.NAMES).contains(n));
        assertThat(GenTshark.run("-r", pcap.toString(), "-Y", "icmp.type == 8", "-T", "fields", "-e", "frame.number")).isNotEmpty();
        assertThat(GenTshark.run("-r", pcap.toString(), "-Y", "ntp.flags.mode == 3", "-T", "fields", "-e", "frame.number")).isNotEmpty();
    }

    /**
     * The benign clients ping as a real {@code ping} does, whatever the rate and the mix: each client
     * once a second, its echo requests one ICMP flow (one identifier, sequence 1, 2, 3, ...), every
     * client of the range pinging. Before 2026-12-06 (evening) pings were 8% of the benign frames: at
     * 20,000 frames/s of the mix about 11 a second per client, with one sequence counter for all.
     */
    @ParameterizedTest
    @CsvSource({"benign, 1000, 12000", "mix, 20000, 100000"})
    void benignClientsPingOnceASecondEachOneFlowWithItsOwnSequence(String scenario, long rate, long frames) throws Exception {
        GenTshark.require();
        Path pcap = write(dir.resolve(scenario + "-pings.pcap"), scenario, ScenarioSettings.defaults(), rate, frames);
        double seconds = (double) frames / rate;
        Map<String, List<String[]>> byClient = new HashMap<>();
        for (String line : GenTshark.run("-r", pcap.toString(), "-Y", "icmp.type == 8", "-T", "fields", "-e", "ip.src", "-e", "icmp.ident",
                "-e", "icmp.seq", "-e", "frame.time_epoch")) {
            String[] f = line.split("\t");
            byClient.computeIfAbsent(f[0], k -> new java.util.ArrayList<>()).add(f);
        }
        assertThat(byClient).as("every benign client pings").hasSize(62);
        assertThat(byClient.keySet()).allMatch(a -> a.startsWith("10.10.0."));
        for (Map.Entry<String, List<String[]>> e : byClient.entrySet()) {
            List<String[]> pings = e.getValue();
            assertThat(pings.size()).as("%s: pings in %.0f s", e.getKey(), seconds).isBetween((int) seconds - 1, (int) seconds + 1);
            assertThat(pings.stream().map(f -> f[1]).distinct().count()).as("%s: one identifier, one flow", e.getKey()).isEqualTo(1);
            for (int i = 0; i < pings.size(); i++) {
                assertThat(Integer.parseInt(pings.get(i)[2])).as("%s: sequence", e.getKey()).isEqualTo(i + 1);
                if (i > 0) {
                    double gap = Double.parseDouble(pings.get(i)[3]) - Double.parseDouble(pings.get(i - 1)[3]);
                    assertThat(gap).as("%s: seconds between pings %d and %d", e.getKey(), i, i + 1).isBetween(0.997, 1.003);
                }
            }
        }
    }

    /**
     * The benign clients' TCP is what real stacks send (tshark reads it): each connection's SYN has
     * one of three real layouts (Linux 74 bytes, Windows 66, macOS 78: TTL, window, options), never
     * the scanner's 58-byte MSS-only SYN; every later segment of a stack with timestamps carries one
     * echoing the server's, and has its stack's TTL and window. Before 2026-12-06 every benign SYN
     * was 58 bytes, MSS only, TTL 64, exactly the portscan scenario's (and nmap's) SYN.
     */
    @Test
    void benignClientsSendTheHandshakesOfRealStacks() throws Exception {
        GenTshark.require();
        Path pcap = write(dir.resolve("stacks.pcap"), "benign", ScenarioSettings.defaults(), 1000, 4000);
        // SYN: length, TTL, window, option kinds, MSS, window scale
        Map<String, String> synShapes = Map.of(
                "74\t64\t64240\t2,4,8,1,3\t1460\t7", "linux",
                "66\t128\t64240\t2,1,3,1,1,4\t1460\t8", "windows",
                "78\t64\t65535\t2,1,3,1,1,8,4,0,0\t1460\t6", "macos");
        Map<String, String> stackOfStream = new HashMap<>();
        Map<String, Integer> streamsPerStack = new HashMap<>();
        int later = 0;
        for (String line : GenTshark.run("-r", pcap.toString(), "-Y", "tcp", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.flags",
                "-e", "frame.len", "-e", "ip.ttl", "-e", "tcp.window_size_value", "-e", "tcp.option_kind", "-e", "tcp.options.mss_val",
                "-e", "tcp.options.wscale.shift", "-e", "tcp.options.timestamp.tsecr", "-e", "tcp.len")) {
            String[] f = line.split("\t", -1);
            if (Integer.decode(f[1]) == 0x002) {
                String shape = String.join("\t", f[2], f[3], f[4], f[5], f[6], f[7]);
                assertThat(synShapes).as("SYN of stream %s: a real stack's, not the scanner's 58 bytes", f[0]).containsKey(shape);
                stackOfStream.put(f[0], synShapes.get(shape));
                streamsPerStack.merge(synShapes.get(shape), 1, Integer::sum);
                continue;
            }
            String stack = stackOfStream.get(f[0]);
            if (stack == null) {
                continue; // a connection whose SYN went before the capture's start: none here, but harmless
            }
            later++;
            switch (stack) {
                case "linux" -> assertThat(List.of(f[3], f[4], f[5])).as("Linux segment %s", line).containsExactly("64", "502", "1,1,8");
                case "macos" -> assertThat(List.of(f[3], f[4], f[5])).as("macOS segment %s", line).containsExactly("64", "2058", "1,1,8");
                default -> assertThat(List.of(f[3], f[4], f[5])).as("Windows segment %s", line).containsExactly("128", "1026", "");
            }
            if (!stack.equals("windows")) {
                assertThat(Long.parseLong(f[8])).as("timestamp echo of the server's, %s", line).isNotZero();
            }
            assertThat(Integer.parseInt(f[2])).as("at most a full 1514-byte frame").isLessThanOrEqualTo(1514);
        }
        assertThat(streamsPerStack).as("all three stacks among the clients").containsOnlyKeys("linux", "windows", "macos");
        assertThat(later).isGreaterThan(1000);
        // the scan's SYN, for contrast: the 58-byte shape the benign clients no longer have
        Path scan = write(dir.resolve("scan.pcap"), "portscan", ScenarioSettings.defaults(), 1000, 50);
        assertThat(GenTshark.run("-r", scan.toString(), "-T", "fields", "-e", "frame.len")).containsOnly("58");
    }

    @Test
    void everyKindComesFromItsOwnRangeInTheSharesAsked() throws Exception {
        ScenarioSettings settings = ScenarioSettings.defaults()
                .withShares(ScenarioSettings.parseShares("benign=5,synflood=2,portscan=1,amplification=1,dnstunnel=1,spoofedsyn=2"));
        Path pcap = dir.resolve("mix.pcap");
        Map<TrafficKind, Long> sent;
        try (PcapSink sink = PcapSink.open(pcap)) {
            ScenarioSender sender = new ScenarioSender(sink);
            sender.run(Scenarios.create("mix", settings), 1000, 12_000, () -> false);
            sent = sender.sentByKind();
        }
        assertThat(sent).containsEntry(TrafficKind.BENIGN, 5000L).containsEntry(TrafficKind.SYNFLOOD, 2000L)
                .containsEntry(TrafficKind.PORTSCAN, 1000L).containsEntry(TrafficKind.AMPLIFICATION, 1000L)
                .containsEntry(TrafficKind.DNSTUNNEL, 1000L).containsEntry(TrafficKind.SPOOFEDSYN, 2000L);
        Set<Integer> spoofed = new java.util.HashSet<>();
        Map<TrafficKind, Long> bySource = new EnumMap<>(TrafficKind.class);
        long previous = -1;
        try (CaptureReader r = CaptureReader.open(pcap)) {
            while (r.next()) {
                assertThat(r.timestampNanos()).as("1 ms apart").isEqualTo(previous < 0 ? PcapSink.DEFAULT_START_NANOS : previous + 1_000_000);
                previous = r.timestampNanos();
                MemorySegment f = r.data();
                int src = f.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 26);
                int dst = f.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 30);
                assertThat(Ipv4Range.text(dst)).isEqualTo(VICTIM);
                TrafficKind kind = null;
                for (TrafficKind k : TrafficKind.values()) {
                    Ipv4Range range = settings.source(k);
                    if (Integer.compareUnsigned(src - range.first(), range.count()) < 0) {
                        assertThat(kind).as("ranges do not overlap").isNull();
                        kind = k;
                    }
                }
                assertThat(kind).as("source %s is in a kind's range", Ipv4Range.text(src)).isNotNull();
                bySource.merge(kind, 1L, Long::sum);
                if (kind == TrafficKind.SPOOFEDSYN) {
                    spoofed.add(src);
                    assertThat(f.get(ValueLayout.JAVA_BYTE, 47)).as("a SYN").isEqualTo((byte) 0x02);
                    assertThat(Short.toUnsignedInt(f.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 36)))
                            .as("to its port").isEqualTo(443);
                }
            }
        }
        assertThat(bySource).isEqualTo(sent);
        assertThat(spoofed).as("a source of its own for nearly every spoofed SYN (from a /10)").hasSizeGreaterThan(1990);
    }

    @Test
    void theSpoofedFloodNamesNoSourceAndGetsASynLimitOnItsPort() throws Exception {
        Path pcap = write(dir.resolve("spoofed.pcap"), "spoofedsyn", ScenarioSettings.defaults().withSpoofedPort(8443), 2000, 6000);
        DetectorSet set = new DetectorSet(Detectors.create("synflood"));
        CaptureDetection.run(pcap, set);
        assertThat(set.detections()).hasSize(1);
        Detection d = set.detections().getFirst();
        assertThat(d.subject()).isEqualTo(VICTIM);
        assertThat(d.sources()).as("spoofed: nobody to block").isEmpty();
        assertThat(d.reasons()).anyMatch(r -> r.contains("per SYN: spoofed sources"));
        // the generator's SYNs carry no TCP options (as hping3's): a bare-syn-drop of the port first (since 2026-12-07)
        assertThat(io.xdpml.firewall.Measures.forDetection(d, io.xdpml.firewall.MeasureSettings.defaults().withSynLimit(20, 20), 0))
                .extracting(Object::toString).containsExactly("bare-syn-drop tcp->10.99.0.1:8443", "syn-limit tcp->10.99.0.1:8443 20/s");
    }

    @Test
    void theSameSeedGivesTheSameBytesAnotherSeedOthers() throws Exception {
        Path a = write(dir.resolve("a.pcap"), "mix", ScenarioSettings.defaults().withSeed(7), 1000, 3000);
        Path b = write(dir.resolve("b.pcap"), "mix", ScenarioSettings.defaults().withSeed(7), 1000, 3000);
        Path c = write(dir.resolve("c.pcap"), "mix", ScenarioSettings.defaults().withSeed(8), 1000, 3000);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        assertThat(Files.readAllBytes(a)).isNotEqualTo(Files.readAllBytes(c));
    }

    static String gen(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return rc + "\n" + out + err;
    }

    @Test
    void theCommandWritesACaptureWithTheAddressesAsked() throws Exception {
        GenTshark.require();
        Path pcap = dir.resolve("cli.pcap");
        String out = gen("gen", "--scenario", "mix", "--write", pcap.toString(), "--duration", "12", "--victim", "192.0.2.10",
                "--victim-mac", "02:aa:bb:cc:dd:ee", "--sources", "synflood=198.51.100.0/30,portscan=198.51.100.77",
                "--sources", "dnstunnel=198.51.100.99,spoofedsyn=100.96.0.0/11", "--spoofed-port", "8443", "--seed", "3");
        assertThat(out).startsWith("0\n").contains("wrote 12000 frames of mix (benign 4800, synflood 2400, portscan 600, amplification 1200, "
                + "dnstunnel 600, spoofedsyn 2400)").contains("12.000 s of traffic at 1000/s, victim 192.0.2.10");
        assertThat(GenTshark.problems(pcap)).isEmpty();
        assertThat(detections(pcap)).containsExactlyInAnyOrder("synflood 192.0.2.10", "portscan 198.51.100.77",
                "amplification 192.0.2.10", "dnstunnel 198.51.100.99");
        assertThat(GenTshark.run("-r", pcap.toString(), "-T", "fields", "-e", "eth.dst").stream().distinct().toList())
                .containsExactly("02:aa:bb:cc:dd:ee");
        assertThat(GenTshark.run("-r", pcap.toString(), "-Y", "tcp.flags == 0x002 && tcp.window_size_value == 512 && tcp.dstport == 80", "-T", "fields",
                "-e", "ip.src").stream().distinct().sorted().toList()).containsExactly("198.51.100.1", "198.51.100.2");
        List<String> spoofed = GenTshark.run("-r", pcap.toString(), "-Y", "tcp.flags == 0x002 && tcp.dstport == 8443", "-T", "fields",
                "-e", "ip.src");
        assertThat(spoofed).hasSize(2400).allMatch(a -> a.startsWith("100.") && Integer.parseInt(a.split("\\.")[1]) >= 96
                && Integer.parseInt(a.split("\\.")[1]) < 128);
        assertThat(spoofed.stream().distinct().count()).as("spoofed: nearly a source per SYN").isGreaterThan(2390);
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        assertThat(gen("gen", "--scenario", "smurf", "--write", dir.resolve("x.pcap").toString()))
                .startsWith("2\n").contains("unknown scenario 'smurf'").contains("benign, synflood").contains("spoofedsyn");
        assertThat(gen("gen", "--scenario", "mix", "--write", dir.resolve("x.pcap").toString(), "--sources", "spoofedsyn=10.0.0.0/8"))
                .startsWith("2\n").contains("source ranges of").contains("spoofedsyn (10.0.0.0/8) overlap");
        assertThat(gen("gen", "--scenario", "spoofedsyn", "--write", dir.resolve("x.pcap").toString(), "--spoofed-port", "0"))
                .startsWith("2\n").contains("spoofed flood port must be 1..65535, not 0");
        assertThat(gen("gen", "--scenario", "mix", "--write", dir.resolve("x.pcap").toString(), "--mix", "benign=x"))
                .startsWith("2\n").contains("share 'benign=x': weight is not an integer");
        assertThat(gen("gen", "--scenario", "mix", "--write", dir.resolve("x.pcap").toString(), "--victim", "10.0.0.300"))
                .startsWith("2\n").contains("not an IPv4 address: '10.0.0.300'");
        assertThat(gen("gen", "--scenario", "mix", "--write", dir.resolve("x.pcap").toString(), "--victim-mac", "02:00"))
                .startsWith("2\n").contains("not a MAC address");
        assertThat(gen("gen", "--scenario", "mix")).startsWith("2\n").contains("--iface (or --write FILE.pcap) is needed");
        assertThat(gen("gen", "--scenario", "mix", "--write", "x.pcap", "--count", "5", "--duration", "1"))
                .startsWith("2\n").contains("--count and --duration exclude each other");
        assertThat(gen("gen", "--scenario", "mix", "--write", dir.resolve("x.pcap").toString(), "--sources", "portscan=10.66.0.3"))
                .startsWith("2\n").contains("source ranges of synflood (10.66.0.0/29) and portscan (10.66.0.3) overlap");
        assertThat(gen("gen", "--scenario", "portscan", "--write", dir.resolve("swap.pcap").toString(), "--count", "10",
                "--sources", "synflood=10.77.0.7,portscan=10.66.0.0/29")).as("two kinds swap ranges").startsWith("0\n");
        assertThatThrownBy(() -> ScenarioSettings.defaults().withSources(TrafficKind.BENIGN, "10.0.0.0/40"))
                .hasMessageContaining("prefix length of '10.0.0.0/40' must be 8..32");
        assertThatThrownBy(() -> {
            try (PcapSink sink = PcapSink.open(dir.resolve("y.pcap"))) {
                new ScenarioSender(sink).run(Scenarios.create("mix", ScenarioSettings.defaults()), 0, 1, () -> false);
            }
        }).hasMessageContaining("a capture file needs a rate");
    }
}
