package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/**
 * Tiny runs of the benchmarks issue 14 added (timings are not asserted: BENCHMARKS.md has them):
 * the reference programs, the admission pipelines, where the models' time goes and their other forms
 * of inference (item 4: compiled, packed, fewer tail calls) load, run and get a row each, per test
 * run and end to end on veth.
 */
class BenchReferenceTest {
    static final String[] PROGRAMS = {"ref-parse", "ref-flow", "ref-flow44", "ref-flow296", "ref-flow44-296", "ref-clock", "ref-tree", "dt-leaf", "dt-length", "rf-leaf", "rf-length", "mlp-1-3-3-2", "mlp-12-3-3-2", "mlp-12-2", "dt-compiled", "rf-compiled", "dt-packed", "rf-packed", "dt-packed-branch", "rf-packed-branch", "rf-regvotes", "mlp-layers", "mlp-inline", "flow-coarse", "flow-probation", "flow-new-probation", "flow-new-promote", "flow-new-promote-budget", "flow-to-entry", "flow-to-key", "flow-to-lookup", "flow-to-clock", "flow-to-update", "cached-to-check", "cached-to-clock", "cached-to-update", "cached-to-counted", "cached-to-outcome"};

    @Test
    void referenceAndAdmissionPipelinesRunInTestRunAndOnVeth() {
        TestData.assumeBpf();
        CliHarness.Result t = CliHarness.run("bench", "testrun", "--program", "drop," + String.join(",", PROGRAMS), "--repeat", "2000",
                "--runs", "1");
        System.out.println(t.out());
        assertThat(t.code()).as(t.out() + t.err()).isZero();
        CliHarness.Result v = CliHarness.run("bench", "veth", "--program", "drop,ref-tree,flow-new-probation", "--frames", "20000",
                "--runs", "1");
        System.out.println(v.out());
        assertThat(v.code()).as(v.out() + v.err()).isZero();
        for (String p : PROGRAMS) {
            assertThat(t.out()).containsPattern("(?m)^" + p + " +\\d+\\.\\d+ +\\d+\\.\\d+ +\\d+\\.\\d+x$");
        }
        assertThat(v.out()).containsPattern("(?m)^ref-tree +\\d+\\.\\d+ +\\(sent\\)")
                .containsPattern("(?m)^flow-new-probation +\\d+\\.\\d+ +20000 ");
    }
}
