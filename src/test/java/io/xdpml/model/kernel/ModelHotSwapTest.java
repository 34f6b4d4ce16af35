package io.xdpml.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.PipelineLoader;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Hot swap under load: one thread classifies packets in the kernel without pause (test runs of
 * 100,000 repetitions back to back) while another deploys model A and model B in turn, hundreds
 * of times. A gives the test packet class 0, B class 1, and every mix of A's and B's bytes that
 * the walk can meet gives class 2. Every packet must get class 0 or 1 (never 2: no packet saw a
 * half-written model), every packet must be classified (none lost or left unclassified), and both
 * models must have been in use. A control run writes the models in place into the active slot, as
 * a naive deployer would, and must see class 2: the test can tell a mixed model.
 */
class ModelHotSwapTest {
    static final int CLASSES = 3;
    static final int DEPTH = 12;
    static final int LENGTH = ExtraInput.PACKET_LENGTH.index();

    /**
     * A chain of DEPTH tests on the packet length. Model A: every test "length <= 65535" (true:
     * left) down to a leaf of class 0; every right child a leaf of class 2. Model B: the root
     * tests "length <= 0" (false: right); its left subtree is A's chain with class-2 leaves only,
     * its right subtree a chain of always-true tests down to class 1.
     */
    static TreeEnsemble modelA() {
        return chain(0, 65535);
    }

    static TreeEnsemble chain(int bottomClass, long threshold) {
        int n = 2 * DEPTH + 1;
        int[] f = new int[n];
        long[] t = new long[n];
        int[] r = new int[n];
        int[] c = new int[n];
        for (int i = 0; i < DEPTH; i++) {
            f[i] = LENGTH;
            t[i] = threshold;
            r[i] = n - 1 - i;
        }
        f[DEPTH] = TreeEnsemble.LEAF;
        c[DEPTH] = bottomClass;
        for (int i = DEPTH + 1; i < n; i++) {
            f[i] = TreeEnsemble.LEAF;
            c[i] = 2;
        }
        return tree(f, t, r, c);
    }

    /**
     * Leaves at confidence 0: a leaf's confidence is in its node's threshold, and 0 there keeps a
     * half-written leaf read as a test ("length <= 0": false, right) on the class-2 side.
     */
    static TreeEnsemble tree(int[] f, long[] t, int[] r, int[] c) {
        return new TreeEnsemble(CLASSES, new int[] {0}, f, t, r, c, new int[f.length]);
    }

    static TreeEnsemble modelB() {
        TreeEnsemble left = chain(2, 65535);
        TreeEnsemble right = chain(1, 65535);
        int nl = left.nodeCount();
        int n = 1 + nl + right.nodeCount();
        int[] f = new int[n];
        long[] t = new long[n];
        int[] r = new int[n];
        int[] c = new int[n];
        f[0] = LENGTH;
        t[0] = 0;
        r[0] = 1 + nl;
        for (int i = 0; i < nl; i++) {
            copy(left, i, 1, f, t, r, c);
        }
        for (int i = 0; i < right.nodeCount(); i++) {
            copy(right, i, 1 + nl, f, t, r, c);
        }
        return tree(f, t, r, c);
    }

    private static void copy(TreeEnsemble from, int i, int base, int[] f, long[] t, int[] r, int[] c) {
        f[base + i] = from.feature(i);
        t[base + i] = from.threshold(i);
        r[base + i] = from.feature(i) == TreeEnsemble.LEAF ? 0 : base + from.right(i);
        c[base + i] = from.leafClass(i);
    }

    /** An MLP giving class 1 whatever the input: the output biases decide. */
    static QuantizedMlp mlpB() {
        QuantizedMlp.Layer hidden = new QuantizedMlp.Layer(1, 2, new byte[] {1, 1}, new int[] {0, 0}, new int[] {1000, 1000});
        QuantizedMlp.Layer out = new QuantizedMlp.Layer(2, 3, new byte[] {0, 0, 0, 0, 0, 0}, new int[] {0, 1000, -1000}, new int[0]);
        return new QuantizedMlp(new int[] {LENGTH}, new long[] {0}, new long[] {1500}, hidden, out);
    }

    @Test
    void modelsSwappedUnderLoadNeverMix() throws Exception {
        TestData.assumeBpf();
        assertThat(modelA().classify(inputs(60))).isEqualTo(0);
        assertThat(modelB().classify(inputs(60))).isEqualTo(1);
        ModelStats s = swapUnderLoad(modelA(), modelB(), 300, false);
        check(s, 300);
    }

    @Test
    void treeAndMlpSwappedUnderLoadNeverMix() throws Exception {
        TestData.assumeBpf();
        assertThat(mlpB().classify(inputs(60))).isEqualTo(1);
        ModelStats s = swapUnderLoad(modelA(), mlpB(), 200, false);
        check(s, 200);
    }

    @Test
    void aNaiveInPlaceWriterIsCaughtMixing() throws Exception {
        TestData.assumeBpf();
        // the race needs the writer and the classifier on the CPUs at once: on a busy machine one round
        // may see none, so up to five rounds, and the control must see mixing in one of them
        long mixed = 0;
        for (int round = 0; round < 5 && mixed == 0; round++) {
            mixed = swapUnderLoad(modelA(), modelB(), 3000, true).classPackets(2);
        }
        assertThat(mixed).as("packets classified by a half-written model (the control must see some)").isPositive();
    }

    /**
     * A writer that died mid-write (a killed xdpml deploy on an agent's pins) left a slot's sequence
     * odd: the next deployments into that slot still end even, and the kernel classifies with them
     * (before: seq + 1 left it odd for good, every packet gave up after three tries).
     */
    @Test
    void aSlotLeftOddByADeadWriterIsWrittenEvenAgain() throws Exception {
        TestData.assumeBpf();
        byte[] frame = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(18).build();
        try (PipelineLoader.Loaded p = PipelineLoader.load("classify", ParserProgram.XDP_DROP);
             Arena arena = Arena.ofConfined(); TestRun run = p.program().testRun()) {
            MemorySegment pkt = arena.allocate(frame.length);
            pkt.copyFrom(MemorySegment.ofArray(frame));
            ClassifierProgram c = p.classifier();
            Deployment da = Deployment.countOnly(modelA(), ClassifyMode.EVERY_PACKET);
            Deployment db = Deployment.countOnly(modelB(), ClassifyMode.EVERY_PACKET);
            c.deploy(da);
            MemorySegment dead = c.slots().activeSlotMemory();
            dead.set(ValueLayout.JAVA_INT, ModelSlotLayout.HDR_SEQ, dead.get(ValueLayout.JAVA_INT, ModelSlotLayout.HDR_SEQ) | 1);
            c.deploy(db); // into the other slot
            c.deploy(da); // into the one left odd
            assertThat(c.slots().activeSlotMemory().get(ValueLayout.JAVA_INT, ModelSlotLayout.HDR_SEQ) & 1).as("sequence even").isZero();
            long before = c.stats().classPackets(0);
            run.run(pkt, frame.length, 100);
            ModelStats s = c.stats();
            assertThat(s.classPackets(0) - before).as("classified by model A").isEqualTo(100);
            assertThat(s.counter(ModelCounter.GAVE_UP)).as("packets left unclassified").isZero();
        }
    }

    static void check(ModelStats s, int swaps) {
        long total = s.classPackets(0) + s.classPackets(1) + s.classPackets(2);
        assertThat(s.classPackets(2)).as("packets classified by a mix of two models").isZero();
        assertThat(s.classPackets(0)).as("packets of model A").isPositive();
        assertThat(s.classPackets(1)).as("packets of model B").isPositive();
        assertThat(s.counter(ModelCounter.GAVE_UP)).as("packets left unclassified").isZero();
        assertThat(s.counter(ModelCounter.NO_MODEL)).isZero();
        assertThat(s.counter(ModelCounter.CLASSIFIED)).isEqualTo(total);
        System.out.printf("hot swap: %d swaps, %d packets classified, %d retried after a concurrent write%n", swaps, total,
                s.counter(ModelCounter.RETRIES));
    }

    static long[] inputs(long length) {
        long[] x = new long[io.xdpml.model.ModelInputs.COUNT];
        x[LENGTH] = length;
        return x;
    }

    /** Classifies without pause on this thread's partner while deploying a and b in turn; returns the stats. */
    static ModelStats swapUnderLoad(IntegerModel a, IntegerModel b, int swaps, boolean naiveInPlace) throws Exception {
        byte[] frame = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(18).build();
        try (PipelineLoader.Loaded p = PipelineLoader.load("classify", ParserProgram.XDP_DROP)) {
            ClassifierProgram c = p.classifier();
            Deployment da = Deployment.countOnly(a, ClassifyMode.EVERY_PACKET);
            Deployment db = Deployment.countOnly(b, ClassifyMode.EVERY_PACKET);
            c.deploy(da);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong runs = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Thread load = Thread.ofPlatform().start(() -> {
                try (Arena arena = Arena.ofConfined(); TestRun run = p.program().testRun()) {
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    while (!stop.get()) {
                        run.run(pkt, frame.length, 100_000);
                        runs.addAndGet(100_000);
                    }
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                }
            });
            try {
                MemorySegment active = naiveInPlace ? c.slots().activeSlotMemory() : null;
                for (int i = 0; i < swaps; i++) {
                    Deployment d = i % 2 == 0 ? db : da;
                    if (naiveInPlace) {
                        ModelSlots.write(active, d, 1); // no sequence lock, no second slot
                    } else {
                        c.deploy(d);
                    }
                }
            } finally {
                stop.set(true);
                load.join();
            }
            assertThat(failures.get()).isZero();
            ModelStats s = c.stats();
            if (!naiveInPlace) {
                assertThat(s.counter(ModelCounter.CLASSIFIED)).as("every packet run was classified").isEqualTo(runs.get());
            }
            return s;
        }
    }
}
