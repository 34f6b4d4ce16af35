package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Bad options of the bench commands are refused whole, naming the option, before anything runs
 * (no BPF needed to be refused). Before 2026-12-06 a --runs 0 of veth, firewall --veth and vxlan
 * ended in "Index 0 out of bounds for length 0", --frames 0 of veth and firewall --veth ran and
 * printed NaN, and a --size below the headers (veth, approaches, xsk, metrics) silently sent
 * longer frames than asked while approaches printed the size asked.
 */
class BenchOptionsTest {
    @Test
    void zeroCountsAreRefusedNamingTheOption() {
        refused("--runs must be positive, not 0", "veth", "--runs", "0", "--frames", "1000");
        refused("--frames must be positive, not 0", "veth", "--frames", "0", "--runs", "1");
        refused("--runs must be positive, not 0", "firewall", "--veth", "--runs", "0", "--entries", "10", "--frames", "1000");
        refused("--frames must be positive, not 0", "firewall", "--veth", "--frames", "0", "--entries", "10", "--runs", "1");
        refused("--entries must be 1 to 4000000 each", "firewall", "--veth", "--entries", "0", "--frames", "1000", "--runs", "1");
        refused("--runs must be positive, not 0", "vxlan", "--runs", "0", "--repeat", "1000", "--frames", "1000");
        refused("--repeat must be positive, not 0", "vxlan", "--repeat", "0", "--runs", "1", "--frames", "1000");
        refused("--allow-entries must be positive, not 0", "vxlan", "--allow-entries", "0", "--repeat", "100", "--runs", "1",
                "--frames", "1000");
        refused("--runs must be positive, not 0", "testrun", "--runs", "0");
        refused("--frames must be positive, not 0", "stages", "--veth", "--frames", "0");
    }

    @Test
    void aSizeBelowTheHeadersIsRefused() {
        refused("--size must be between 42 and", "veth", "--size", "10", "--frames", "1000", "--runs", "1");
        refused("--size must be between 42 and", "approaches", "--size", "10", "--models", "dt", "--approaches", "xdp", "--cores", "1",
                "--seconds", "0.1", "--runs", "1");
        refused("--size must be between 42 and", "xsk", "--size", "10", "--frames", "1000", "--runs", "1", "--sample", "1");
        refused("--size must be between 42 and", "metrics", "--size", "10", "--seconds", "0.5", "--runs", "1");
        refused("--size must be between 62 and", "testrun", "--frame", "qinq", "--size", "61");
    }

    private static void refused(String message, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        CliHarness.Result r = CliHarness.run(all);
        assertThat(r.code()).as(String.join(" ", all) + ": " + r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).as(String.join(" ", all)).contains(message);
    }
}
