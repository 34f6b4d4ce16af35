package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code xdpml fleet}: a parent command, {@code run} its detector; bad parameters refused before any connection. */
class FleetCommandTest {
    @Test
    void fleetIsAParentWithRunAndTheBareFormShowsUsage() {
        CliHarness.Result r = CliHarness.run("fleet");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml fleet").contains("run").contains("--kafka=BOOTSTRAP");
        CliHarness.Result help = CliHarness.run("fleet", "run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--window=S").contains("--set=fleet.PARAM=V").contains("--blocks=S");
    }

    @Test
    void runNeedsKafkaAndRefusesBadParametersBeforeConnecting() {
        CliHarness.Result noKafka = CliHarness.run("fleet", "run");
        assertThat(noKafka.code()).isEqualTo(2);
        assertThat(noKafka.err()).contains("--kafka");
        // an unreachable broker: the refusal comes first, nothing waits for it
        CliHarness.Result bad = CliHarness.run("fleet", "run", "--kafka", "127.0.0.1:1", "--set", "fleet.nope=1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown fleet parameter 'nope'");
        CliHarness.Result bare = CliHarness.run("fleet", "--kafka", "127.0.0.1:1", "--window", "0");
        assertThat(bare.code()).isEqualTo(2);
        assertThat(bare.err()).contains("windowSeconds must be 1..86400");
        CliHarness.Result prop = CliHarness.run("fleet", "run", "--kafka", "127.0.0.1:1", "--property", "nonsense");
        assertThat(prop.code()).isEqualTo(2);
        assertThat(prop.err()).contains("--property 'nonsense' is not K=V");
    }
}
