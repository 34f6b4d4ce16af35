package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/** {@code xdpml bench soak}: help and bad options (the run itself: io.xdpml.agent.SoakTest). */
class SoakBenchCommandTest {
    @Test
    void helpListsTheOptions() {
        CliHarness.Result r = CliHarness.run("bench", "soak", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench soak").contains("--minutes").contains("--seconds").contains("--sample-every")
                .contains("--heap-limit").contains("--rss-limit");
        assertThat(CliHarness.run("bench", "--help").out()).contains("soak");
    }

    @Test
    void badOptionsAreRefused() {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("bench", "soak", "--minutes", "1", "--seconds", "5");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("not both");
        assertThat(CliHarness.run("bench", "soak", "--seconds", "0").err()).contains("must be positive");
    }
}
