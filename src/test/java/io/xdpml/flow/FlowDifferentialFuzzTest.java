package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The flow pipeline beyond the shared captures: 60,000 hostile frames (FrameFuzzer: every layer
 * combination, mutations, VXLAN inner frames that fail before their IP header, IPv6 chains with
 * fragments, 3520-byte frames), a third of them repeats so that flows recur, at times that mostly
 * advance, sometimes jump past the idle and active timeouts and sometimes go back. Kernel and Java
 * must keep identical tables, records and counters. Seeds: -Dxdpml.fuzz.seed (frames).
 */
class FlowDifferentialFuzzTest {
    @Test
    void hostileFramesAndClocksGiveIdenticalFlowTablesAndRecords() {
        TestData.assumeBpf();
        long seed = Long.getLong("xdpml.fuzz.seed", 42L);
        FlowConfig config = new FlowConfig(1 << 18, 1_000_000_000L, 4789).withSampling(0, 3).withActiveTimeout(400_000_000L);
        List<String> kernelRecords = new ArrayList<>();
        List<String> javaRecords = new ArrayList<>();
        FrameFuzzer fuzzer = new FrameFuzzer(seed, TestRun.maxTestRunFrame());
        SplittableRandom rnd = new SplittableRandom(seed ^ 7);
        try (FlowEngine k = new KernelFlowEngine(config, FlowParityTest.recorder(kernelRecords));
             FlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), FlowParityTest.recorder(javaRecords))) {
            long t = 1_000_000_000L;
            List<byte[]> seen = new ArrayList<>();
            for (int i = 0; i < 60_000; i++) {
                byte[] f = !seen.isEmpty() && rnd.nextInt(3) == 0 ? seen.get(rnd.nextInt(seen.size())) : fuzzer.next();
                if (seen.size() < 2000) {
                    seen.add(f);
                }
                t += rnd.nextInt(3) == 0 ? rnd.nextLong(2_000_000_000L) : rnd.nextLong(1_000_000);
                if (rnd.nextInt(50) == 0) {
                    t -= rnd.nextLong(3_000_000_000L); // the clock goes back
                }
                MemorySegment s = MemorySegment.ofArray(f);
                k.packet(s, f.length, t);
                j.packet(s, f.length, t);
            }
            assertThat(k.parseCounters()).isEqualTo(j.parseCounters());
            for (FlowCounter c : FlowCounter.values()) {
                if (c != FlowCounter.SAMPLED_RANDOM) {
                    assertThat(k.counter(c)).as("%s (seed %d)", c, seed).isEqualTo(j.counter(c));
                }
            }
            assertThat(k.counter(FlowCounter.RECORDS)).as("records were emitted").isPositive();
            assertThat(kernelRecords).as("records (seed %d)", seed).isEqualTo(javaRecords);
            Map<String, byte[]> kt = FlowParityTest.table(k);
            Map<String, byte[]> jt = FlowParityTest.table(j);
            assertThat(kt.keySet()).isEqualTo(jt.keySet());
            long differing = jt.entrySet().stream().filter(e -> !java.util.Arrays.equals(kt.get(e.getKey()), e.getValue())).count();
            assertThat(differing).as("flows whose state differs (seed %d)", seed).isZero();
            assertThat(kt.size()).as("flows").isGreaterThan(1000);
        }
    }
}
