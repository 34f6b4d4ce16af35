package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowEngine;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReplay;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyEngine;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.JavaClassifyEngine;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStage;
import io.xdpml.model.kernel.KernelClassifyEngine;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every packet of every shared capture through the kernel's classify pipeline (BPF_PROG_TEST_RUN)
 * and the Java reference in lockstep: the same class and XDP action for every packet, the same
 * model counters and per-class statistics, byte-identical flow tables (cached classes included).
 * For a depth-10 tree, an 8-tree forest and a 12-16-16-3 MLP (seeded random, thresholds and input
 * ranges from real traffic), each per packet and per flow at the 3rd packet; a new model at the
 * start of each capture and another half-way through (hot swaps: cached classes go stale). Every
 * class comes with its confidence (random leaf confidences, a random MLP calibration table), and
 * the dropped class needs 500 thousandths: below, the packet goes to Java instead (both alike).
 * The default action is drop, so that a counted class (dropped), a passed one and one sent to Java
 * (passed: no socket here) end differently, and each must end alike in both.
 */
class ModelKernelParityTest {
    static List<long[]> samples;

    @BeforeAll
    static void sample() throws Exception {
        samples = new ArrayList<>();
        for (String c : List.of("benign/lan-trace-2012.pcap", "attack/cicddos2019-synflood.pcap", "attack/bacnet-amplification.pcapng")) {
            samples.addAll(RandomModels.samples(TestData.capture(c), 3000));
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of("dt", "rf", "mlp").flatMap(kind -> Stream.of(Arguments.of(kind, "packet"), Arguments.of(kind, "flow:3")));
    }

    /** A random model of the kind that gives at least two classes over the samples. */
    static IntegerModel model(String kind, long seed) {
        for (long s = seed * 1000; ; s++) {
            RandomModels r = new RandomModels(s, samples);
            IntegerModel m = switch (kind) {
                case "dt" -> r.forest(3, 1, 10);
                case "rf" -> r.forest(3, 8, 8);
                default -> r.mlp(12, new int[] {16, 16}, 3);
            };
            if (RandomModels.distinctClasses(m, samples) > 1) {
                return m;
            }
        }
    }

    /**
     * One kernel object and one reference per model kind and mode, fed every capture in turn
     * (loading the classify object costs more than classifying a capture): flows and statistics
     * carry over from capture to capture in both alike, and are compared after each capture.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void kernelAndJavaClassifyEveryPacketAlike(String kind, String mode) throws Exception {
        TestData.assumeBpf();
        ClassifyMode m = ClassifyMode.parse(mode);
        // class 0 counted, class 1 dropped, class 2 passed: all three action paths in use
        ClassAction[] actions = {ClassAction.COUNT, ClassAction.DROP, ClassAction.PASS};
        int[] minConfidence = {0, 500, 0};
        FlowConfig config = new FlowConfig(1 << 18, 120_000_000_000L, 4789);
        long seed = 1;
        // the default action drop: a passed class (and one sent to Java, with no socket here) must pass all the same
        try (KernelClassifyEngine k = new KernelClassifyEngine(config, ModelStage.XDP_DROP);
             JavaClassifyEngine j = new JavaClassifyEngine(config, TestRun.maxTestRunFrame(), ModelStage.XDP_DROP)) {
            for (Path capture : TestData.captures()) {
                IntegerModel first = model(kind, seed++);
                IntegerModel second = model(kind, seed++);
                long before = k.stats().counter(ModelCounter.CLASSIFIED);
                Lockstep both = new Lockstep(k, j, TestData.packetCount(capture) / 2, new Deployment(second, m, actions, minConfidence));
                k.deploy(new Deployment(first, m, actions, minConfidence));
                j.deploy(new Deployment(first, m, actions, minConfidence));
                FlowReplay.replay(capture, both);
                String what = capture.getFileName() + " " + kind + " " + mode;
                assertThat(both.mismatches).as("%s: packets whose class or action differ", what).isEmpty();
                assertThat(k.stats()).as(what).isEqualTo(j.stats());
                assertThat(table(k)).as("%s: flow tables", what).isEqualTo(table(j));
                assertThat(k.counter(FlowCounter.CACHED)).as("%s: packets counted without timing", what)
                        .isEqualTo(j.counter(FlowCounter.CACHED));
                if (!m.perFlow() && both.packets > 50) {
                    assertThat(k.stats().counter(ModelCounter.CLASSIFIED)).as("%s: packets classified", what).isGreaterThan(before);
                }
            }
            var stats = k.stats();
            assertThat(stats.counter(ModelCounter.RETRIES) + stats.counter(ModelCounter.GAVE_UP)).isZero();
            assertThat(stats.counter(ModelCounter.CLASSIFIED)).isPositive();
            assertThat(stats.classPackets(1)).as("dropped class used").isPositive();
            assertThat(stats.counter(ModelCounter.LOW_CONFIDENCE)).as("classes below their confidence threshold").isPositive();
            if (m.perFlow()) {
                assertThat(stats.counter(ModelCounter.CACHED)).as("cached classes used").isPositive();
                assertThat(k.counter(FlowCounter.CACHED)).as("their flows counted without timing").isPositive();
                assertThat(stats.counter(ModelCounter.UNCLASSIFIED)).as("packets before the 3rd").isPositive();
            }
        }
    }

    static Map<String, String> table(FlowEngine e) {
        Map<String, String> t = new TreeMap<>();
        e.forEachFlow((key, v) -> t.put(HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE)),
                HexFormat.of().formatHex(v.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE))));
        return t;
    }

    /** Feeds each frame to both engines and compares the outcome at once; swaps models at a packet. */
    static final class Lockstep extends ForwardingFlowEngine {
        final KernelClassifyEngine kernel;
        final JavaClassifyEngine java;
        final long swapAt;
        final Deployment swapTo;
        final List<String> mismatches = new ArrayList<>();
        long packets;

        Lockstep(KernelClassifyEngine kernel, JavaClassifyEngine reference, long swapAt, Deployment swapTo) {
            super(kernel);
            this.kernel = kernel;
            this.java = reference;
            this.swapAt = swapAt;
            this.swapTo = swapTo;
        }

        @Override
        public void packet(MemorySegment frame, int length, long t) {
            if (packets++ == swapAt && swapAt > 0) {
                kernel.deploy(swapTo);
                java.deploy(swapTo);
            }
            kernel.packet(frame, length, t);
            java.packet(frame, length, t);
            if ((kernel.lastClass() != java.lastClass() || kernel.lastConfidence() != java.lastConfidence()
                    || kernel.lastAction() != java.lastAction()) && mismatches.size() < 5) {
                mismatches.add("packet " + packets + ": kernel class " + kernel.lastClass() + " confidence " + kernel.lastConfidence()
                        + " action " + kernel.lastAction() + ", java class " + java.lastClass() + " confidence " + java.lastConfidence()
                        + " action " + java.lastAction()
                        + "\n kernel inputs " + Arrays.toString(kernel.lastInputs()) + "\n java inputs   " + Arrays.toString(java.lastInputs()));
            }
        }

        @Override
        public void close() {}
    }
}
