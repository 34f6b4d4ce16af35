package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of {@code xdpml bench vxlan}: the test-run table has a row for a bare XDP_DROP of the
 * same run (same packet, same repeat) and gives the gateway as a ratio to it (since 2026-12-06;
 * before, the gateway's ns stood alone). No timing is asserted.
 */
class BenchVxlanTest {
    @Test
    void theTestRunTableHasTheDropOfTheSameRunAndTheRatio() {
        TestData.assumeBpf();
        var r = CliHarness.run("bench", "vxlan", "--repeat", "10000", "--runs", "1", "--frames", "20000");
        assertThat(r.code()).as(r.err()).isZero();
        System.out.print(r.out());
        assertThat(r.out()).containsPattern("(?m)^drop +[0-9.]+ +1\\.00x$");
        assertThat(r.out()).containsPattern("(?m)^gateway \\(forward mode.*\\) +[0-9.]+ +[0-9.]+x$");
        assertThat(r.out()).containsPattern("(?m)^veth redirect +[0-9.]+ Mpps");
    }
}
