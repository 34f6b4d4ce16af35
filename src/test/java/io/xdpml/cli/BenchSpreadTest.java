package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of {@code bench veth --spread} (timings are not asserted: BENCHMARKS.md has them):
 * every layout gets a row for drop and the model pipeline behind the CPU spread (an MLP: tail calls
 * from a CPUMAP program), and an unknown layout is named.
 */
class BenchSpreadTest {
    @Test
    void everyLayoutRunsAndPrintsItsRow() {
        TestData.assumeBpf();
        Requirements.require(Runtime.getRuntime().availableProcessors() >= 2, "the spreads need two CPUs");
        CliHarness.Result v = CliHarness.run("bench", "veth", "--spread", "one,rss,cpumap,cpumap-other", "--program", "mlp",
                "--seconds", "0.2", "--runs", "1");
        System.out.println(v.out());
        assertThat(v.code()).as(v.out() + v.err()).isZero();
        for (String layout : new String[] {"one", "rss"}) {
            assertThat(v.out()).containsPattern("(?m)^drop +" + layout + " +\\d+\\.\\d+ ");
        }
        for (String layout : new String[] {"one", "rss", "cpumap", "cpumap-other"}) {
            assertThat(v.out()).containsPattern("(?m)^mlp +" + layout + " +\\d+\\.\\d+ +\\d+\\.\\d+ ");
        }
        assertThat(v.out()).doesNotContainPattern("(?m)^drop +cpumap"); // XDP_DROP alone has no spread
        CliHarness.Result bad = CliHarness.run("bench", "veth", "--spread", "numa");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("no spread 'numa' (one, rss, cpumap, cpumap-other)");
    }
}
