package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shared capture replayed with its own timing through the kernel's flow pipeline
 * (BPF_PROG_TEST_RUN, test clock) and the Java reference: the two flow tables must hold the same
 * keys with byte-identical state, the flow records (ring buffer vs reference) must be the same
 * sequence byte for byte, and the flow and parse counters must agree. Run with the default idle
 * timeout, and with 1 s idle and 0.5 s active timeouts (flows split and reported often); per-flow
 * sampling 1-in-7 on; a final sweep a day later empties both tables the same way. Each case keys the
 * flow hash with a seed of its own.
 */
class FlowParityTest {
    static Stream<Arguments> cases() {
        // a seed of the flow hash each (sampling by flow, probation slots): the twin hashes as the kernel with any
        return TestData.captures().stream().flatMap(c -> Stream.of(Arguments.of(c, 120_000_000_000L, 0, 0L),
                Arguments.of(c, 1_000_000_000L, 0, 0x6a09e667f3bcc908L), Arguments.of(c, 120_000_000_000L, 256, -0x4498517a7b3558c5L)));
    }

    static FlowRecordListener recorder(List<String> out) {
        return (t, reason, key, state) -> out.add(t + " " + reason + " " + HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE))
                + " " + HexFormat.of().formatHex(state.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE)));
    }

    static Map<String, byte[]> table(FlowEngine e) {
        Map<String, byte[]> m = new TreeMap<>();
        e.forEachFlow((k, v) -> m.put(HexFormat.of().formatHex(k.toArray(ValueLayout.JAVA_BYTE)),
                v.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE)));
        return m;
    }

    @ParameterizedTest(name = "{0} idle {1} ns, probation slots {2}, hash seed {3}")
    @MethodSource("cases")
    void kernelAndJavaFlowTablesAreIdentical(Path capture, long idleNanos, int probationSlots, long hashSeed) throws Exception {
        TestData.assumeBpf();
        FlowConfig config = new FlowConfig(1 << 18, idleNanos, 4789).withSampling(0, 7)
                .withActiveTimeout(idleNanos < 10_000_000_000L ? idleNanos / 2 : 0).withRingBytes(1 << 16).withProbation(probationSlots)
                .withHashSeed(hashSeed);
        List<String> kernelRecords = new ArrayList<>();
        List<String> javaRecords = new ArrayList<>();
        Map<String, byte[]> kernel;
        Map<String, byte[]> reference;
        long[] kc = new long[FlowCounter.values().length];
        long[] jc = new long[kc.length];
        try (FlowEngine k = new KernelFlowEngine(config, recorder(kernelRecords));
             FlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), recorder(javaRecords))) {
            FlowReplay.Result rk = FlowReplay.replay(capture, k);
            FlowReplay.Result rj = FlowReplay.replay(capture, j);
            assertThat(rk.replayed()).isEqualTo(rj.replayed()).isPositive();
            assertThat(k.counter(FlowCounter.RECORDS_LOST)).as("records lost").isZero();
            kernel = table(k);
            reference = table(j);
            for (FlowCounter c : FlowCounter.values()) {
                kc[c.ordinal()] = k.counter(c);
                jc[c.ordinal()] = j.counter(c);
            }
            assertThat(k.parseCounters()).isEqualTo(j.parseCounters());
            assertThat(kc).as("flow counters %s", List.of(FlowCounter.values())).isEqualTo(jc);
            assertThat(k.counter(FlowCounter.PACKETS) + k.counter(FlowCounter.NOT_IP) + k.counter(FlowCounter.PARKED))
                    .as("every packet tracked, not IP, or parked (a parked packet replayed at its flow's admission is not counted again)")
                    .isEqualTo(rk.replayed());
            if (probationSlots != 0) {
                // every flow entered the table at its second packet; every first packet was parked
                assertThat(k.counter(FlowCounter.PROMOTED)).isEqualTo(k.counter(FlowCounter.NEW));
                assertThat(k.counter(FlowCounter.PARKED)).isGreaterThanOrEqualTo(k.counter(FlowCounter.NEW));
            }
            assertThat(k.counter(FlowCounter.INSERT_FAILED)).isZero();
            assertThat((long) kernelRecords.size()).isEqualTo(k.counter(FlowCounter.RECORDS));
            long later = kernel.values().stream().mapToLong(v -> FlowLayout.u64(MemorySegment.ofArray(v), FlowLayout.LAST_NS))
                    .max().orElse(0) + 86_400_000_000_000L;
            int fromRing = kernelRecords.size();
            assertThat(javaRecords).hasSize(fromRing);
            int sweptK = k.sweep(later, 2_000_000_000L);
            int sweptJ = j.sweep(later, 2_000_000_000L);
            assertThat(sweptK).isEqualTo(sweptJ).isEqualTo(kernel.size());
            assertThat(table(k)).isEmpty();
            // the sweeper walks the kernel map in hash order, the Java map in insertion order
            java.util.Collections.sort(kernelRecords.subList(fromRing, kernelRecords.size()));
            java.util.Collections.sort(javaRecords.subList(fromRing, javaRecords.size()));
        }
        assertThat(kernelRecords).as("flow records, kernel (ring buffer + sweeper) vs Java").hasSameSizeAs(javaRecords);
        for (int i = 0; i < javaRecords.size(); i++) {
            assertThat(kernelRecords.get(i)).as("record %d of %d", i, javaRecords.size()).isEqualTo(javaRecords.get(i));
        }
        assertThat(kernel.keySet()).as("flow keys").isEqualTo(reference.keySet());
        List<String> diffs = new ArrayList<>();
        for (var e : reference.entrySet()) {
            byte[] kv = kernel.get(e.getKey());
            if (!java.util.Arrays.equals(kv, e.getValue()) && diffs.size() < 5) {
                diffs.add("key " + e.getKey() + "\n kernel " + describe(kv) + "\n java   " + describe(e.getValue()));
            }
        }
        assertThat(diffs).as("flows whose state differs").isEmpty();
    }

    static String describe(byte[] state) {
        if (state == null) {
            return "absent";
        }
        MemorySegment s = MemorySegment.ofArray(state);
        StringBuilder b = new StringBuilder();
        for (int off = 0; off < FlowLayout.FLOW_SIZE; off += 8) {
            b.append(off).append('=').append(FlowLayout.u64(s, off)).append(' ');
        }
        return b.toString();
    }
}
