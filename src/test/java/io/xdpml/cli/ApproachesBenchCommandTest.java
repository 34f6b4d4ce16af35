package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code xdpml bench approaches}: help, bad options refused, and a tiny real run (no timing asserted). */
class ApproachesBenchCommandTest {
    @Test
    void helpListsTheOptions() {
        CliHarness.Result r = CliHarness.run("bench", "approaches", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: xdpml bench approaches").contains("--models").contains("--approaches")
                .contains("--cores").contains("--seconds").contains("--runs").contains("--json");
        assertThat(CliHarness.run("bench", "--help").out()).contains("approaches");
    }

    @Test
    void anUnknownApproachIsRefusedWithTheReason() {
        CliHarness.Result r = CliHarness.run("bench", "approaches", "--approaches", "xdp,dpdk");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("unknown dpdk");
    }

    /** Every approach, model and core count gives a row, and each classified frames (the class counts add up to more than 0). */
    @Test
    void aTinyRunPrintsARowPerApproachWithFramesClassified() {
        TestData.assumeBpf();
        Requirements.require(Runtime.getRuntime().availableProcessors() >= 2, "bench approaches needs 2 CPUs");
        CliHarness.Result r = CliHarness.run("bench", "approaches", "--seconds", "0.2", "--runs", "1");
        assertThat(r.code()).as(r.err()).isZero();
        System.out.println(r.out());
        assertThat(r.out()).containsPattern("XDP_DROP \\(same run\\): 1 core [\\d.]+ Mpps; 2 cores [\\d.]+ Mpps");
        Pattern row = Pattern.compile("^(dt|mlp)\\s+(\\d)\\s+(xdp|af_xdp|af_packet)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)"
                + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$");
        List<Matcher> rows = r.out().lines().map(row::matcher).filter(Matcher::matches).toList();
        assertThat(rows).extracting(m -> m.group(1) + "/" + m.group(2) + "/" + m.group(3)).containsExactlyInAnyOrder(
                "dt/1/xdp", "dt/1/af_xdp", "dt/1/af_packet", "mlp/1/xdp", "mlp/1/af_xdp", "mlp/1/af_packet",
                "dt/2/xdp", "dt/2/af_xdp", "dt/2/af_packet", "mlp/2/xdp", "mlp/2/af_xdp", "mlp/2/af_packet");
        for (Matcher m : rows) {
            assertThat(Double.parseDouble(m.group(4))).as("offered: " + m.group()).isPositive();
            assertThat(Long.parseLong(m.group(9)) + Long.parseLong(m.group(10))).as("classified: " + m.group()).isPositive();
        }
        assertThat(r.out()).contains("paper (Hara & Sasabe 2024");
    }
}
