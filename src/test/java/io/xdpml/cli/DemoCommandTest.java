package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.gen.TrafficKind;
import io.xdpml.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml demo} as the README runs it: live on this kernel the agent (blocks, firewall, flows,
 * the shipped tree, every packet mirrored to the detectors, mitigation with measures) runs on the
 * victim's end of a veth pair; every attack of the mix, the spoofed SYN flood and amplification
 * included, is down to at most 1% of its peak rate at the victim, counted by the tap (a packet
 * socket on the victim's interface), at least 99% of the benign packets reach it, and nothing the
 * demo created is left (no namespace, no XDP program, no pins). Offline, the same story holds on a
 * generated capture through the Java twin.
 */
class DemoCommandTest {
    /** A row of the summary: traffic, sent, reached, to Java, peak/s, last 3s/s, end. */
    static final Pattern ROW = Pattern.compile("(?m)^(\\w+) +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(-|[0-9.]+%) ");

    record Row(long sent, long reached, long copies, long peak, long last) {}

    static CliHarness.Result demo(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "demo";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliHarness.run(all);
    }

    static Map<TrafficKind, Row> rows(String out) {
        Map<TrafficKind, Row> rows = new EnumMap<>(TrafficKind.class);
        Matcher m = ROW.matcher(out);
        while (m.find()) {
            rows.put(TrafficKind.of(m.group(1)), new Row(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)),
                    Long.parseLong(m.group(5)), Long.parseLong(m.group(6))));
        }
        return rows;
    }

    /** What the summary says of every kind: each attack from its peak down to at most 1% of it at the end, benign through. */
    static Map<TrafficKind, Row> assertTheVerdictsParts(String out) {
        Map<TrafficKind, Row> rows = rows(out);
        assertThat(rows.keySet()).as("a row per kind").containsExactlyInAnyOrder(TrafficKind.values());
        for (TrafficKind k : TrafficKind.values()) {
            Row r = rows.get(k);
            assertThat(r.sent()).as("%s sent", k).isPositive();
            assertThat(r.reached()).as("%s reached (tap) <= sent", k).isLessThanOrEqualTo(r.sent());
            if (k == TrafficKind.BENIGN) {
                assertThat(r.reached() * 100).as("benign: at least 99%% reached the victim").isGreaterThanOrEqualTo(r.sent() * 99);
                assertThat(out).containsPattern("benign: kept flowing, " + r.reached() + " of " + r.sent() + " packets");
            } else {
                assertThat(r.peak()).as("%s peak", k).isPositive();
                assertThat(r.last() * 100).as("%s: at most 1%% of its peak at the end", k).isLessThanOrEqualTo(r.peak());
                assertThat(out).contains(k.cliName() + ": down, " + r.peak() + " -> " + r.last() + " pkt/s at the victim");
            }
        }
        assertThat(out).contains("demo: every attack is down to at most 1% at the victim, benign traffic kept flowing");
        return rows;
    }

    @Test
    void liveTheAgentBringsEveryAttackDownAndNothingIsLeft() throws Exception {
        TestData.assumeBpf();
        CliHarness.Result r = demo("--seconds", "10", "--rate", "10000");
        String out = r.out();
        assertThat(r.code()).as("exit code; out:%n%s%nerr:%n%s", out, r.err()).isZero();
        assertThat(out).contains("live on this kernel, by the agent")
                // the configuration, printed as loaded
                .contains("interfaces: [xdpml-victim]").contains("rule drop tcp port 23").contains("file: captures-oneway-dt.json")
                .contains("syn-limit: 10/s")
                // the agent's own lines
                .contains("running on xdpml-victim: parse -> blocks -> firewall -> flow -> model -> sample(packet) -> deliver(mirror)")
                .containsPattern("DETECTED .*portscan +10\\.77\\.0\\.7").containsPattern("DETECTED .*dnstunnel +10\\.55\\.0\\.9")
                .containsPattern("DETECTED .*amplification +10\\.99\\.0\\.1")
                .containsPattern("DETECTED .*synflood +10\\.99\\.0\\.1 .*spoofed sources.*flooded port 443")
                .contains("BLOCKED 10.77.0.7").contains("BLOCKED 10.55.0.9").containsPattern("BLOCKED 10\\.66\\.0\\.[1-6] ")
                .doesNotContainPattern("BLOCKED (10\\.10\\.|100\\.)")
                .contains("MEASURE syn-limit tcp->10.99.0.1:443 10/s").contains("MEASURE port-drop udp/53->10.99.0.1")
                .contains("MEASURE port-drop udp/123->10.99.0.1").contains("MEASURE port-drop udp/11211->10.99.0.1")
                .doesNotContain("syn-limit tcp->10.99.0.1:any").doesNotContain("syn-limit tcp->10.99.0.1:80 ")
                .contains("tap: a packet socket on xdpml-victim");
        Map<TrafficKind, Row> rows = assertTheVerdictsParts(out);
        if (!out.contains("the tap's socket dropped")) {
            for (TrafficKind k : TrafficKind.values()) {
                // both count what XDP passed: the tap every packet, the copies only those that reached Java
                assertThat(rows.get(k).copies()).as("%s: copies to Java <= reached (tap)", k).isLessThanOrEqualTo(rows.get(k).reached());
            }
        }
        assertThat(out).containsPattern("note: \\d+ copies reached Java, \\d+ were lost on the way \\(mirror ring full\\)");
        assertThat(ipNetnsList()).as("namespaces left").doesNotContain("xdpml-demo-" + ProcessHandle.current().pid() + "-");
        assertThat(Path.of("/sys/fs/bpf/xdpml/agent/xdpml-victim")).as("the agent's pins").doesNotExist();
        assertThat(Path.of("/sys/fs/bpf/xdpml/blocks/xdpml-victim")).as("the blocks' pins").doesNotExist();
    }

    @Test
    void offlineTheSameStoryHoldsOnACapture() {
        CliHarness.Result r = demo("--offline", "--seconds", "8", "--rate", "10000");
        String out = r.out();
        assertThat(r.code()).as("exit code; out:%n%s", out).isZero();
        assertThat(out).contains("the same story offline").contains("wrote 80000 frames").contains("interfaces: [xdpml-victim]")
                .contains("BLOCKED 10.77.0.7").contains("BLOCKED 10.55.0.9").containsPattern("BLOCKED 10\\.66\\.0\\.[1-6] ")
                .doesNotContainPattern("BLOCKED (10\\.10\\.|100\\.)")
                .contains("MEASURE syn-limit tcp->10.99.0.1:443 10/s").contains("MEASURE port-drop udp/53->10.99.0.1")
                .contains("MEASURE port-drop udp/123->10.99.0.1").contains("MEASURE port-drop udp/11211->10.99.0.1")
                .contains("note: offline: 'reached' is what the Java twin passed");
        Map<TrafficKind, Row> rows = assertTheVerdictsParts(out);
        assertThat(rows.values().stream().mapToLong(Row::sent).sum()).isEqualTo(80_000);
        for (TrafficKind k : TrafficKind.values()) {
            assertThat(rows.get(k).copies()).as("offline no copy is lost").isEqualTo(rows.get(k).reached());
        }
        // the one-way tree (docs/demo.md, "What the model does"): 0.02% of the benign packets called attack, some
        // Windows pings, since 2026-12-06 (evening: pings once a second per client, the tree retrained with real
        // pings); before, 2.9% (every Windows ping, 11 a second per client); the both-direction captures-dt.json
        // called about 17% (the one-way artifact). Under the verdict's 1%.
        assertThat(out).contains("file: captures-oneway-dt.json");
        Matcher benign = Pattern.compile("(?m)^benign\\s+(?:\\S+\\s+){6}(\\d+\\.\\d)%").matcher(out);
        assertThat(benign.find()).as("the benign row's model column; out:%n%s", out).isTrue();
        assertThat(Double.parseDouble(benign.group(1))).as("benign packets the demo's tree calls attack, %").isLessThan(1.0);
    }

    @Test
    void aRateTooLowForTheDetectorsIsRefused() {
        CliHarness.Result r = demo("--offline", "--rate", "5000");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--rate times --window must be at least 10000 frames");
    }

    @Test
    void theHelpSaysWhatTheVerdictIsWithoutAPicocliWarning() {
        PrintStream saved = System.err;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        CliHarness.Result r;
        try {
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            r = demo("--help");
        } finally {
            System.setErr(saved);
        }
        assertThat(r.code()).isZero();
        assertThat(stderr.toString(StandardCharsets.UTF_8)).as("picocli's warnings go to System.err").doesNotContain("picocli");
        String text = r.out().replaceAll("\\s+", " "); // as read, whatever picocli's wrapping
        assertThat(text).contains("every attack is down to at most 1% of its peak rate at the victim")
                .contains("at least 99% of the benign packets reached the victim").doesNotContain("%%");
    }

    private static String ipNetnsList() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        return s;
    }
}
