package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of {@code xdpml bench firewall} with the SYN scenarios: through BPF_PROG_TEST_RUN
 * (syn-drop; syn-cookie refused there, with why) and end to end through a veth pair (deny-hit,
 * syn-drop, syn-cookie), every frame judged. The bench checks each scenario's verdict itself
 * (syn-cookie: answered with a cookie for the socket it listens with). The test-run table has a
 * row for a bare XDP_DROP of the same run and an "x drop" column. No timing is asserted.
 */
class BenchFirewallTest {
    @Test
    void theSynScenariosRunInBothModesAndTheirVerdictsAreChecked() {
        TestData.assumeBpf();
        var tr = CliHarness.run("bench", "firewall", "--scenarios",
                "pass-all,syn-drop,measures-udp-miss,measures-udp-hit,measures-syn-miss,measures-bare-miss,measures-bare-hit,bare-drop,icmp-drop",
                "--entries", "10",
                "--repeat", "10000", "--runs", "1");
        assertThat(tr.code()).as(tr.err()).isZero();
        assertThat(tr.out()).containsPattern("(?m)^syn-drop +10 +[0-9.]+ +[0-9.]+x ");
        // the udp-limit scenarios (since 2026-12-07): the verdict of each (passed, dropped by the udp-limit) checked before it is timed
        assertThat(tr.out()).containsPattern("(?m)^measures-udp-miss +10 +[0-9.]+ +[0-9.]+x ");
        assertThat(tr.out()).containsPattern("(?m)^measures-udp-hit +10 +[0-9.]+ +[0-9.]+x ");
        // the SYN and bare-syn-drop scenarios (since 2026-12-07): passed, passed, dropped by the bare-syn-drop, each checked first
        // and the buckets of all sources (since 2026-12-07): a SYN without options over bare-syn-flood, an echo over icmp-flood
        for (String s : new String[] {"measures-syn-miss", "measures-bare-miss", "measures-bare-hit", "bare-drop", "icmp-drop"}) {
            assertThat(tr.out()).containsPattern("(?m)^" + s + " +10 +[0-9.]+ +[0-9.]+x ");
        }
        // the XDP_DROP of the same run (since 2026-12-06), the scenarios given as ratios to it
        assertThat(tr.out()).containsPattern("(?m)^drop +0 +[0-9.]+ +1\\.00x ");
        assertThat(tr.out()).containsPattern("(?m)^pass-all +0 +[0-9.]+ +[0-9.]+x ");

        var refused = CliHarness.run("bench", "firewall", "--scenarios", "syn-cookie", "--entries", "10", "--repeat", "10", "--runs", "1");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("syn-cookie is measured with --veth only");

        var veth = CliHarness.run("bench", "firewall", "--veth", "--scenarios", "deny-hit,syn-drop,syn-cookie", "--entries", "10",
                "--frames", "20000", "--runs", "1");
        assertThat(veth.code()).as(veth.err()).isZero();
        System.out.print(veth.out());
        for (String s : new String[] {"deny-hit", "syn-drop", "syn-cookie"}) {
            Matcher m = Pattern.compile("(?m)^" + s + " +10 +[0-9.]+ +(\\d+)$").matcher(veth.out());
            assertThat(m.find()).as("%s's row in%n%s", s, veth.out()).isTrue();
            assertThat(Long.parseLong(m.group(1))).as("%s: frames the firewall judged (of 20,000)", s).isGreaterThan(18_000);
        }
    }
}
