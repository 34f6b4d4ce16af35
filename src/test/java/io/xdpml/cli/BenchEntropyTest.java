package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of the payload entropy's benchmark pipelines (timings are not asserted: BENCHMARKS.md,
 * "Payload entropy", has them): parse-entropy and parse-entropy32 load, run and get a row each.
 */
class BenchEntropyTest {
    @Test
    void entropyPipelinesRunInTestRun() {
        TestData.assumeBpf();
        CliHarness.Result t = CliHarness.run("bench", "testrun", "--program", "parse,parse-entropy,parse-entropy32", "--size", "1500",
                "--repeat", "2000", "--runs", "1");
        System.out.println(t.out());
        assertThat(t.code()).as(t.out() + t.err()).isZero();
        for (String p : new String[] {"parse", "parse-entropy", "parse-entropy32"}) {
            assertThat(t.out()).containsPattern("(?m)^" + p + " +\\d+\\.\\d+ +\\d+\\.\\d+ +\\d+\\.\\d+x$");
        }
    }
}
