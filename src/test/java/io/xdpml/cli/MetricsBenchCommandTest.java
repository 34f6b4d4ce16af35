package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code xdpml bench metrics}: help, bad options, and a tiny real run (it runs and prints; no timing asserted). */
class MetricsBenchCommandTest {
    @Test
    void helpListsTheOptions() {
        CliHarness.Result r = CliHarness.run("bench", "metrics", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench metrics").contains("--scrape-every").contains("--seconds").contains("--sample");
        assertThat(CliHarness.run("bench", "--help").out()).contains("metrics");
    }

    @Test
    void badOptionsAreRefused() {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("bench", "metrics", "--runs", "0");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("must be positive");
    }

    /** One pair of 1.5 s runs: both rows printed, the scraped run scraped at least once and got an exposition. */
    @Test
    void aTinyRunPrintsBothRows() {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("bench", "metrics", "--seconds", "1.5", "--runs", "1", "--scrape-every", "0.5");
        System.out.println(r.out());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("(?m)^no scrape\\s+[\\d.]+\\s+1\\.00x");
        Matcher m = Pattern.compile("(?m)^scraped every 0\\.5 s\\s+([\\d.]+)\\s+[\\d.]+x\\s+(\\d+)\\s+([\\d.]+)\\s+(\\d+)$").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).as("Mpps while scraped").isPositive();
        assertThat(Integer.parseInt(m.group(2))).as("scrapes in the run").isGreaterThanOrEqualTo(1);
        assertThat(Integer.parseInt(m.group(4))).as("bytes of the exposition").isGreaterThan(1000);
    }
}
