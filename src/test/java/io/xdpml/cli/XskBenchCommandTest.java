package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code xdpml bench xsk} as a user meets it: help, and bad options refused with the reason. */
class XskBenchCommandTest {
    @Test
    void helpListsTheOptions() {
        CliTest.Run r = CliTest.run("bench", "xsk", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench xsk").contains("--sample").contains("--drain-rounds")
                .contains("--no-metadata");
        assertThat(CliTest.run("bench", "--help").out()).contains("xsk");
    }

    @Test
    void badSamplingIsRefusedWithTheReason() {
        CliTest.Run r = CliTest.run("bench", "xsk", "--sample", "1,0");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--sample values must be >= 1, got 0");
    }
}
