package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.Stage;
import io.xdpml.model.data.LabelRules;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.data.TrainingData;
import io.xdpml.model.eval.ConfidenceReport;
import io.xdpml.model.file.ModelFile;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.replay.CaptureReplay;
import io.xdpml.replay.CaptureReplay.Outcome;
import io.xdpml.replay.CaptureReplay.Tally;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code xdpml replay}: labeled captures through the Java twin of the agent a configuration
 * describes. Its counts are checked against what other paths give for the same packets.
 */
class ReplayCommandTest {
    private static final Path MODEL = Path.of("models/captures-wide-rf.json").toAbsolutePath();

    @TempDir
    Path dir;

    private Path config(String model, String detectors, String block) throws Exception {
        return config(model, detectors, block, "200ms");
    }

    private Path config(String model, String detectors, String block, String early) throws Exception {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, String.join("\n",
                "interfaces: [lo]",
                "blocks: {enabled: true}",
                "firewall: {enabled: false}",
                "flows: {max-flows: 65536}",
                model,
                "sampling: {every: 1}",
                "detectors: {enabled: " + detectors + ", window: 2s, early: " + early + "}",
                "mitigation: {block: " + block + ", measures: false}",
                ""));
        return f;
    }

    private Path rules(String... lines) throws Exception {
        Path f = dir.resolve("labels.rules");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    /**
     * The model alone acting (drop at confidence 0.9): per capture, the twin drops exactly the packets
     * {@code xdpml eval}'s confidence report counts as acted on as attack, by another path (samples
     * from the captures, the integer model on each).
     */
    @Test
    void modelDropsAreWhatEvalCounts() throws Exception {
        AgentConfig c = AgentConfigLoader.load(config(String.join("\n", "model:", "  file: " + MODEL, "  mode: packet",
                "  actions: {attack: drop, benign: pass}", "  min-confidence: {attack: 0.9}"), "none", "0"));
        Path rulesFile = rules("default benign", "attack file=attack/*");
        LabelRules rules = LabelRules.read(rulesFile);
        ModelFile m = ModelFile.read(MODEL);
        int[] thresholds = {0, 900};
        long caught = 0;
        long flagged = 0;
        for (Path f : List.of(TestData.capture("attack/portscan-1-10000.pcapng"), TestData.capture("attack/ndpi-synscan.pcap"),
                TestData.capture("attack/bacnet-amplification.pcapng"), TestData.capture("benign/ndpi-teams.pcap"),
                TestData.capture("benign/ndpi-tor.pcap"))) {
            Outcome o = CaptureReplay.run(c, f, rules);
            ConfidenceReport r = ConfidenceReport.of(f.toString(), TrainingData.load(List.of(f), rulesFile, SampleMode.parse("packet"),
                    m.classes()), m.integerModel(), thresholds);
            Tally attack = o.tally("attack");
            Tally benign = o.tally("benign");
            assertThat(attack.packets()).as("attack packets of %s", f).isEqualTo(r.attacks());
            assertThat(benign.packets()).as("benign packets of %s", f).isEqualTo(r.support()[0]);
            assertThat(attack.dropped()).as("attack dropped in %s", f).isEqualTo(attack.droppedBy(Stage.MODEL)).isEqualTo(r.attacksCaught());
            assertThat(benign.dropped()).as("benign dropped in %s", f).isEqualTo(benign.droppedBy(Stage.MODEL)).isEqualTo(r.benignFlagged());
            assertThat(o.detections()).isEmpty();
            caught += r.attacksCaught();
            flagged += benign.dropped();
        }
        assertThat(caught).as("the model drops some attack packets here").isGreaterThan(1000);
        System.out.printf("replay == eval: %d attack packets dropped by the model, %d benign%n", caught, flagged);
    }

    /** The packets of the scanner 10.77.1.1 in the capture from {@code sinceFirst} after its first packet on. */
    private static long scannerPacketsFrom(Path capture, long sinceFirst) throws Exception {
        long first = -1;
        long n = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                long time = r.timestampNanos();
                if (first < 0) {
                    first = time;
                }
                boolean scanner = r.capturedLength() >= 34 && r.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 26)
                        == (10 << 24 | 77 << 16 | 1 << 8 | 1);
                if (scanner && time >= first + sinceFirst) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * A UDP scan detected mid-capture: its source is blocked on the agent's next poll (every 0.1 s of
     * capture time), and from then on the blocks stage drops every packet it sends, none before.
     */
    @Test
    void aDetectedSourceIsDroppedFromItsBlockOn() throws Exception {
        AgentConfig c = AgentConfigLoader.load(config("model: {enabled: false}", "[udpscan]", "60s"));
        Path capture = TestData.dataDir().resolve("detect/hping3-udp-scan.pcap");
        Outcome o = CaptureReplay.run(c, capture, LabelRules.read(rules("default attack")));
        assertThat(o.detections()).anyMatch(d -> d.startsWith("udpscan "));
        assertThat(o.blocked()).containsExactly("10.77.1.1");
        Tally t = o.tally("attack");
        long fromScanner = scannerPacketsFrom(capture, t.timeToFirstDrop());
        assertThat(t.timeToFirstDrop()).as("acted on after the detection").isPositive();
        assertThat(fromScanner).isGreaterThan(100);
        assertThat(t.droppedBy(Stage.BLOCKS)).isEqualTo(fromScanner).isEqualTo(t.dropped());
        System.out.printf("blocked at %.3f s of capture time: %d packets of the scanner dropped after it, of %d%n", t.timeToFirstDrop() / 1e9,
                fromScanner, t.packets());
    }

    /**
     * A block shorter than the attack is kept while its source still sends: the detectors no longer
     * see the blocked scanner (its packets are dropped first), so no report renews the block; its own
     * hits do, every second. With a 0.5 s window and a 1 s block, every packet of the 5.3 s scan after
     * the block went in is dropped; without the renewal the block ran out and packets got through.
     */
    @Test
    void aBlockIsKeptWhileItsSourceStillSends() throws Exception {
        Path f = config("model: {enabled: false}", "[udpscan]", "1s");
        Files.writeString(f, Files.readString(f).replace("window: 2s", "window: 500ms"));
        AgentConfig c = AgentConfigLoader.load(f);
        Path capture = TestData.dataDir().resolve("detect/hping3-udp-scan.pcap");
        Outcome o = CaptureReplay.run(c, capture, LabelRules.read(rules("default attack")));
        assertThat(o.blocked()).containsExactly("10.77.1.1");
        Tally t = o.tally("attack");
        long fromScanner = scannerPacketsFrom(capture, t.timeToFirstDrop());
        assertThat(fromScanner).as("the scan goes on for seconds after its block").isGreaterThan(1000);
        assertThat(t.droppedBy(Stage.BLOCKS)).as("every one of them dropped").isEqualTo(fromScanner);
    }

    /**
     * A detected source that mitigation.never-block covers is not blocked (a named sender's address
     * can be forged: decoys, one spoofed address), nor one in the firewall's allow src; the same scan
     * is still detected, and nothing is dropped.
     */
    @Test
    void aSourceNeverToBlockIsDetectedButNotBlocked() throws Exception {
        Path capture = TestData.dataDir().resolve("detect/hping3-udp-scan.pcap");
        for (String spare : List.of("mitigation: {block: 60s, measures: false, never-block: [10.77.0.0/16]}",
                "mitigation: {block: 60s, measures: false}\nfirewall: {rules: \"allow src 10.77.1.1\"}")) {
            Path f = config("model: {enabled: false}", "[udpscan]", "60s");
            String text = Files.readString(f).replace("firewall: {enabled: false}\n", "")
                    .replace("mitigation: {block: 60s, measures: false}", spare);
            Files.writeString(f, text);
            AgentConfig c = AgentConfigLoader.load(f);
            Outcome o = CaptureReplay.run(c, capture, LabelRules.read(rules("default attack")));
            assertThat(o.detections()).as(spare).anyMatch(d -> d.startsWith("udpscan "));
            assertThat(o.blocked()).as(spare).isEmpty();
            assertThat(o.tally("attack").droppedBy(Stage.BLOCKS)).as(spare).isZero();
        }
    }

    /**
     * The same scan with early reports and without: reported 200 ms after it reached udpscan's floors
     * (not when its 2 s window closes), its source is blocked sooner and more of it is dropped.
     */
    @Test
    void earlyReportsBlockSooner() throws Exception {
        Path capture = TestData.dataDir().resolve("detect/hping3-udp-scan.pcap");
        LabelRules labels = LabelRules.read(rules("default attack"));
        Tally early = CaptureReplay.run(AgentConfigLoader.load(config("model: {enabled: false}", "[udpscan]", "60s", "200ms")), capture, labels)
                .tally("attack");
        Tally late = CaptureReplay.run(AgentConfigLoader.load(config("model: {enabled: false}", "[udpscan]", "60s", "0")), capture, labels)
                .tally("attack");
        System.out.printf("first drop at %.3f s with early reports, %.3f s without; dropped %d and %d of %d%n", early.timeToFirstDrop() / 1e9,
                late.timeToFirstDrop() / 1e9, early.dropped(), late.dropped(), early.packets());
        assertThat(late.timeToFirstDrop()).as("without: when the 2 s window closed").isGreaterThanOrEqualTo(2_000_000_000L);
        assertThat(early.timeToFirstDrop()).isPositive().isLessThan(late.timeToFirstDrop());
        assertThat(early.dropped()).isGreaterThan(late.dropped());
    }

    /**
     * A capture whose clock jumps years between two packets: the twin ends the seconds after the
     * first packet while a detection could still be renewed, then goes to the second packet's.
     */
    @Test
    void aClockThatJumpsYearsIsCrossedAtOnce() throws Exception {
        AgentConfig c = AgentConfigLoader.load(config("model: {enabled: false}", "[udpscan]", "60s"));
        int[] ended = {0};
        io.xdpml.replay.AgentTwin twin = new io.xdpml.replay.AgentTwin(c, new io.xdpml.replay.AgentTwin.Events() {
            @Override
            public void secondEnding(int s) {
                ended[0]++;
            }
        }, Integer.MAX_VALUE);
        byte[] f = new io.xdpml.packet.FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 53).build();
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(f);
        long t = 1_300_000_000_000_000_000L;
        twin.packet(seg, f.length, t);
        twin.packet(seg, f.length, t + 3L * 365 * 86_400 * 1_000_000_000L);
        assertThat(twin.secondOf(t + 3L * 365 * 86_400 * 1_000_000_000L)).isGreaterThan(90_000_000);
        assertThat(ended[0]).as("seconds ended").isBetween(2, 10);
    }

    /** The command: the table, and JSON whose totals are the captures' sums. */
    @Test
    void printsTheTableAndJson() throws Exception {
        Path cfg = config("model: {enabled: false}", "[udpscan]", "60s");
        Path rulesFile = rules("default benign", "attack file=*scan*");
        String[] data = {"--data", TestData.dataDir().resolve("detect/hping3-udp-scan.pcap").toString(),
            TestData.capture("benign/ndpi-ftp.pcap").toString()};
        StringWriter text = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(text));
        int rc = cl.execute(concat(new String[] {"replay", "--config", cfg.toString(), "--labels", rulesFile.toString()}, data));
        assertThat(rc).isZero();
        assertThat(text.toString()).contains("hping3-udp-scan.pcap").contains("ndpi-ftp.pcap").contains("udpscan 10.77.1.1")
                .contains("all 2 captures");
        StringWriter js = new StringWriter();
        cl = Main.commandLine();
        cl.setOut(new PrintWriter(js));
        rc = cl.execute(concat(new String[] {"replay", "--json", "--config", cfg.toString(), "--labels", rulesFile.toString()}, data));
        assertThat(rc).isZero();
        JsonNode j = new ObjectMapper().readTree(js.toString());
        for (String label : List.of("attack", "benign")) {
            long packets = 0;
            long dropped = 0;
            for (JsonNode cap : j.get("captures")) {
                packets += cap.at("/labels/" + label + "/packets").asLong();
                dropped += cap.at("/labels/" + label + "/dropped").asLong();
            }
            assertThat(j.at("/all/" + label + "/packets").asLong()).isEqualTo(packets);
            assertThat(j.at("/all/" + label + "/dropped").asLong()).isEqualTo(dropped);
        }
        assertThat(j.at("/all/attack/dropped").asLong()).isPositive();
        assertThat(j.at("/all/benign/packets").asLong()).isPositive();
        assertThat(j.at("/all/benign/dropped").asLong()).isZero();
    }

    /**
     * {@code --per-host}: the hosts of each capture (a twin each) and what each did, prefixed by the
     * host; in JSON {@code per_host} and each capture's {@code hosts}, which the default leaves out.
     */
    @Test
    void perHostNamesTheHostsAndPrefixesWhatEachDid() throws Exception {
        Path cfg = config("model: {enabled: false}", "[udpscan]", "60s");
        Path rulesFile = rules("default attack");
        String[] data = {"--data", TestData.dataDir().resolve("detect/hping3-udp-scan.pcap").toString()};
        StringWriter text = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(text));
        assertThat(cl.execute(concat(new String[] {"replay", "--per-host", "--config", cfg.toString(), "--labels", rulesFile.toString()}, data)))
                .isZero();
        assertThat(text.toString()).contains("each packet to the agent of the host it arrives at").contains("    hosts: 1 (10.77.0.1)")
                .contains("detected: at 10.77.0.1: udpscan 10.77.1.1").contains("blocked: at 10.77.0.1: 10.77.1.1");
        for (boolean perHost : new boolean[] {true, false}) {
            StringWriter js = new StringWriter();
            cl = Main.commandLine();
            cl.setOut(new PrintWriter(js));
            String[] args = {"replay", "--json", "--config", cfg.toString(), "--labels", rulesFile.toString()};
            assertThat(cl.execute(concat(perHost ? concat(args, new String[] {"--per-host"}) : args, data))).isZero();
            JsonNode j = new ObjectMapper().readTree(js.toString());
            JsonNode c = j.get("captures").get(0);
            if (perHost) {
                assertThat(j.get("per_host").asBoolean()).isTrue();
                assertThat(c.get("hosts").toString()).isEqualTo("[\"10.77.0.1\"]");
                assertThat(c.get("blocked").toString()).isEqualTo("[\"at 10.77.0.1: 10.77.1.1\"]");
            } else {
                assertThat(j.has("per_host")).isFalse();
                assertThat(c.has("hosts")).isFalse();
                assertThat(c.get("blocked").toString()).isEqualTo("[\"10.77.1.1\"]");
            }
        }
        StringWriter err = new StringWriter();
        cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        Path sweep = TestData.dataDir().resolve("detect/nmap-syn-sweep.pcap");
        assertThat(cl.execute("replay", "--per-host", "--config", cfg.toString(), "--labels", rulesFile.toString(), "--data", sweep.toString()))
                .isZero();
        assertThat(err.toString()).isEqualTo("xdpml replay --per-host: " + sweep + ": 257 hosts, read 5 times (64 twins at a time)"
                + System.lineSeparator());
    }

    /** A capture cut short: the table and the JSON say where and why, not only "damaged". */
    @Test
    void aDamagedCaptureShowsTheOffsetAndReason() throws Exception {
        byte[] whole = Files.readAllBytes(TestData.capture("benign/ndpi-ftp.pcap"));
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length * 3 / 10));
        Path cfg = config("model: {enabled: false}", "[udpscan]", "60s");
        Path rulesFile = rules("default benign");
        StringWriter text = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(text));
        assertThat(cl.execute("replay", "--config", cfg.toString(), "--labels", rulesFile.toString(), "--data", cut.toString())).isZero();
        assertThat(text.toString()).contains("cut.pcap (damaged)").contains("    damaged: " + cut + ": record at offset ")
                .contains("truncated");
        StringWriter js = new StringWriter();
        cl = Main.commandLine();
        cl.setOut(new PrintWriter(js));
        assertThat(cl.execute("replay", "--json", "--config", cfg.toString(), "--labels", rulesFile.toString(), "--data", cut.toString()))
                .isZero();
        JsonNode c = new ObjectMapper().readTree(js.toString()).get("captures").get(0);
        assertThat(c.get("damaged").asBoolean()).isTrue();
        assertThat(c.at("/damage/offset").asLong()).isPositive().isLessThan(whole.length * 3 / 10);
        assertThat(c.at("/damage/reason").asText()).contains("truncated");
    }

    /**
     * A directory holding an 802.11 capture beside a good one: the run fails (exit 2), as for a file
     * that is not a capture, and says which file, which link type and what is supported.
     */
    @Test
    void anUnsupportedLinkTypeNamesItsFile() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.copy(TestData.capture("benign/ndpi-ftp.pcap"), data.resolve("a-ftp.pcap"));
        Path wifi = data.resolve("b-wifi.pcap");
        try (io.xdpml.pcap.PcapWriter w = io.xdpml.pcap.PcapWriter.open(wifi, io.xdpml.pcap.LinkType.IEEE802_11)) {
            w.write(1_000_000_000L, java.lang.foreign.MemorySegment.ofArray(new byte[40]), 40, 40);
        }
        Path cfg = config("model: {enabled: false}", "[udpscan]", "60s");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("replay", "--config", cfg.toString(), "--labels", rules("default benign").toString(),
                "--data", data.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith("xdpml replay: " + wifi + ": packet at offset 24: link type 105 (IEEE802_11)"
                + " cannot be turned into Ethernet frames; supported: ETHERNET (1)");
    }

    /** A configuration with a problem: each printed, exit 1. */
    @Test
    void aBadConfigurationIsRejected() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "interfaces: [lo]\nflows: {max-flows: -1}\n");
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("replay", "--config", cfg.toString(), "--labels", rules("default benign").toString(), "--data",
                TestData.capture("benign/ndpi-ftp.pcap").toString());
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("max-flows").contains("problem");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
