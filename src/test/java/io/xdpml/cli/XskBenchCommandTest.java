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

/** {@code xdpml bench xsk} as a user meets it: help, and bad options refused with the reason. */
class XskBenchCommandTest {
    @Test
    void helpListsTheOptions() {
        CliHarness.Result r = CliHarness.run("bench", "xsk", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench xsk").contains("--sample").contains("--drain-rounds")
                .contains("--no-metadata");
        assertThat(CliHarness.run("bench", "--help").out()).contains("xsk");
    }

    @Test
    void badSamplingIsRefusedWithTheReason() {
        CliHarness.Result r = CliHarness.run("bench", "xsk", "--sample", "1,0");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--sample values must be >= 1, got 0");
    }

    /** A tiny real run: both end-to-end rows, and the drain table with its first-batch/rest split for C and Java. */
    @Test
    void aTinyRunMeasuresBothConsumersAndSplitsTheDrain() {
        TestData.assumeBpf();
        Requirements.require(Runtime.getRuntime().availableProcessors() >= 2, "bench xsk needs 2 CPUs");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/gcc")) || Files.isExecutable(Path.of("/usr/bin/clang")),
                "gcc or clang to compile the C consumer");
        CliHarness.Result r = CliHarness.run("bench", "xsk", "--sample", "1", "--frames", "20000", "--runs", "1", "--drain-rounds", "5",
                "--drain-frames", "256");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^1/1\\s+c\\s").containsPattern("(?m)^1/1\\s+java\\s");
        Pattern drainRow = Pattern.compile("^(c|java)\\s+([\\d.]+)\\s+([\\d.]+)\\s+(?:[\\d.]+%\\s+)?([\\d.]+)\\s+(?:[\\d.]+%\\s+)?"
                + "(\\d+)\\s+([\\d.]+)\\s*(?:[\\d.]+%)?$");
        List<Matcher> rows = r.out().lines().map(drainRow::matcher).filter(Matcher::matches).toList();
        assertThat(rows).extracting(m -> m.group(1)).containsExactly("c", "java");
        for (Matcher m : rows) {
            double nsPerFrame = Double.parseDouble(m.group(2));
            double firstBatchNs = Double.parseDouble(m.group(5));
            double restNsPerFrame = Double.parseDouble(m.group(6));
            assertThat(nsPerFrame).as(m.group()).isPositive();
            assertThat(firstBatchNs).as(m.group()).isPositive();
            assertThat(restNsPerFrame).as(m.group()).isPositive();
            // a round is its first batch (64 frames) and the rest (192): the parts cannot exceed the whole by much
            // (medians of different rounds), nor can the first batch take longer than a whole round
            assertThat(firstBatchNs).as(m.group()).isLessThan(nsPerFrame * 256 * 3);
        }
    }
}
