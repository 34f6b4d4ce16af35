package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BPF_PROG_TEST_RUN through {@link TestRun} on the real kernel. */
class TestRunTest extends MapsObjectFixture {

    @Test
    void returnCodeAndDataOut() {
        try (TestRun run = obj.program("rc_prog").testRun()) {
            MemorySegment f = KernelAssumptions.frame(arena, 200);
            assertThat(run.run(f, 200)).isEqualTo(2); // XDP_PASS
            assertThat(run.dataOutLength()).isEqualTo(200);
            assertThat(run.dataOut().asSlice(0, 200).toArray(JAVA_BYTE)).isEqualTo(f.asSlice(0, 200).toArray(JAVA_BYTE));
            assertThat(obj.variable("last_len").get(JAVA_INT, 0)).isEqualTo(200);
        }
        try (TestRun run = obj.program("tx_prog").testRun()) {
            assertThat(run.run(KernelAssumptions.frame(arena, 64), 64)).isEqualTo(3); // XDP_TX
        }
    }

    @Test
    void repeatReportsDurationAndRunsThatOften() {
        try (TestRun run = obj.program("rc_prog").testRun()) {
            MemorySegment f = KernelAssumptions.frame(arena, 64);
            long before = obj.map("pcpu_arr").sumPerCpuLongs(0)[0];
            assertThat(run.run(f, 64, 100_000)).isEqualTo(2);
            assertThat(run.durationNanos()).isBetween(1L, 10_000L);
            assertThat(obj.map("pcpu_arr").sumPerCpuLongs(0)[0] - before).isEqualTo(100_000);
        }
    }

    @Test
    void framesBeyondTheLinearLimitAreTruncatedForTheProgram() {
        int max = TestRun.maxTestRunFrame();
        assertThat(max).isEqualTo(3520);
        try (TestRun run = obj.program("rc_prog").testRun(16384)) {
            MemorySegment f = KernelAssumptions.frame(arena, 9000);
            run.run(f, max);
            assertThat(obj.variable("last_len").get(JAVA_INT, 0)).isEqualTo(max);
            // longer: accepted, but the program only sees the linear part; data out has it all
            run.run(f, max + 1);
            assertThat(obj.variable("last_len").get(JAVA_INT, 0)).isEqualTo(max);
            run.run(f, 9000);
            assertThat(obj.variable("last_len").get(JAVA_INT, 0)).isEqualTo(max);
            assertThat(run.dataOutLength()).isEqualTo(9000);
            assertThat(run.dataOut().get(JAVA_BYTE, 8999)).isEqualTo(f.get(JAVA_BYTE, 8999));
            // below the Ethernet header: rejected
            assertThatThrownBy(() -> run.run(f, 13)).isInstanceOf(KernelException.class)
                    .hasMessageContaining("bpf_prog_test_run_opts(prog=rc_prog, size=13").hasMessageContaining("errno 22");
        }
    }
}
