package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code xdpml bench processor} as a user meets it: help, bad options refused, and a tiny real run. */
class ProcessorBenchCommandTest {
    private static final Pattern ROW = Pattern.compile("^(1/\\d+)\\s+(\\S+)\\s+([\\d.]+)\\s+(\\d+)\\s+([\\d.]+)%\\s+(?:([\\d.]+%)\\s+)?([\\d.]+)\\s*(\\S*)$");

    @Test
    void helpListsTheOptionsAndTheRows() {
        CliHarness.Result r = CliHarness.run("bench", "processor", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench processor").contains("--sample").contains("--detectors")
                .contains("--frames").contains("--runs").contains("--no-flows").contains("MlPacketProcessor");
        assertThat(CliHarness.run("bench", "--help").out()).contains("processor");
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        CliHarness.Result r = CliHarness.run("bench", "processor", "--sample", "1,0");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--sample values must be >= 1, got 0");
        CliHarness.Result d = CliHarness.run("bench", "processor", "--detectors", "portscan,nosuch");
        assertThat(d.code()).isNotZero();
        assertThat(d.err()).contains("unknown detector 'nosuch'");
    }

    /** A tiny run: every row present for each sampling, each consumer received frames, ratios to C printed. */
    @Test
    void aTinyRunPrintsEveryRowWithFramesReceived() {
        TestData.assumeBpf();
        Requirements.require(Runtime.getRuntime().availableProcessors() >= 2, "bench processor needs 2 CPUs");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/gcc")) || Files.isExecutable(Path.of("/usr/bin/clang")),
                "gcc or clang to compile the C consumer");
        CliHarness.Result r = CliHarness.run("bench", "processor", "--sample", "1,10", "--frames", "20000", "--runs", "1",
                "--detectors", "portscan,synflood", "--warm-up", "0.2");
        assertThat(r.code()).as(r.err()).isZero();
        List<Matcher> rows = r.out().lines().map(ROW::matcher).filter(Matcher::matches).toList();
        List<String> keys = rows.stream().map(m -> m.group(1) + " " + m.group(2)).toList();
        assertThat(keys).containsExactly("1/1 c", "1/1 java", "1/1 flows", "1/1 portscan", "1/1 synflood",
                "1/10 c", "1/10 java", "1/10 flows", "1/10 portscan", "1/10 synflood");
        for (Matcher m : rows) {
            long received = Long.parseLong(m.group(4));
            // every frame (1/1) or exactly 1 in 10 (per-CPU counting); a few of the veth's own IPv6 packets may come along
            long cap = (m.group(1).equals("1/1") ? 20_000 : 2_000) + 50;
            assertThat(received).as(m.group()).isPositive().isLessThanOrEqualTo(cap);
            assertThat(Double.parseDouble(m.group(5))).as(m.group()).isEqualTo(100.0 * received / (cap - 50), org.assertj.core.data.Offset.offset(0.06));
            assertThat(m.group(6) == null).as(m.group()).isEqualTo(m.group(2).equals("c"));
            assertThat(m.group(8)).as(m.group()).matches(m.group(2).equals("c") ? "" : "\\d+\\.\\d%");
        }
    }
}
