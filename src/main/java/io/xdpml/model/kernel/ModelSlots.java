package io.xdpml.model.kernel;

import static io.xdpml.model.kernel.ModelSlotLayout.*;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.MappedArray;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The two model slots of the composed pipeline (map {@code xdpml_models}, mmap'ed), the active
 * one named by the model bit of the configuration word ({@link ConfigWord}): hot swap by double
 * buffering.
 *
 * <p>Deploying writes the inactive slot under a sequence lock, then flips the bit:
 * <pre>
 *   seq = seq + 1 (odd)    volatile store, then a store-store fence: readers that see any new
 *                          byte of the slot also see the odd seq when they re-read it
 *   ... write the model ...
 *   seq = seq + 1 (even)   release store: the model's bytes are visible before it
 *   word: model bit = slot one map update (a full barrier): a packet that reads the new word
 *                          sees the finished model
 * </pre>
 * The kernel reads seq before and after a classification and redoes it on a change (model.h).
 * Before writing a slot that was active, this waits a grace period since the flip that retired
 * it, so a packet still classifying with it would have to take that long to see the change.
 * Not thread-safe: one deployer at a time.
 */
public final class ModelSlots implements AutoCloseable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** Long enough for any packet in flight; a deploy takes longer anyway. */
    public static final long GRACE_NANOS = 10_000_000L;

    private final MappedArray slots;
    private final ConfigWord word;
    private long lastFlipNanos;
    private int generation;

    /** @param word the program's configuration word */
    public ModelSlots(BpfMap models, ConfigWord word) {
        if (models.valueSize() != SIZE) {
            throw new IllegalStateException("xdpml_models value is " + models.valueSize() + " bytes, ModelSlotLayout says " + SIZE);
        }
        this.slots = MappedArray.map(models);
        this.word = word;
        this.lastFlipNanos = System.nanoTime() - GRACE_NANOS;
        // a slot's generation starts where the slots' own say: cached classes of an earlier
        // deployer (another process on the same pinned maps) stay stale
        this.generation = Math.max(slots.element(0).get(U32, HDR_GENERATION), slots.element(1).get(U32, HDR_GENERATION));
    }

    /** Index of the active slot. */
    public int activeSlot() {
        return word.active(ConfigWord.MODEL);
    }

    /** The active slot's memory (for tests that play a writer without the protocol). */
    MemorySegment activeSlotMemory() {
        return slots.element(activeSlot());
    }

    /** Generation of the last deployment (0: none yet). */
    public int generation() {
        return generation;
    }

    /** Writes {@code d} into the inactive slot and makes it active; returns its generation. */
    public int deploy(Deployment d) {
        int slot = prepare(d);
        word.flip(ConfigWord.MODEL, slot == 1 ? ConfigWord.MODEL : 0, false);
        lastFlipNanos = System.nanoTime();
        return generation;
    }

    /**
     * Writes {@code d} into the inactive slot without making it active: for a caller that switches
     * several stages at once with one {@link ConfigWord#flip} (the model bit set to the returned
     * slot), then calls {@link #flipped}.
     *
     * @return the slot written (0 or 1)
     */
    public int prepare(Deployment d) {
        int slot = activeSlot() ^ 1;
        MemorySegment m = slots.element(slot);
        long wait = lastFlipNanos + GRACE_NANOS - System.nanoTime();
        if (wait > 0) {
            sleepNanos(wait);
        }
        // odd while written, whatever it was: a writer that died mid-write (a killed xdpml deploy on an
        // agent's pins) left it odd, and seq + 1 would then mark this slot readable while written
        // and leave it odd, unreadable to the kernel, for good
        int odd = (int) INT.getVolatile(m, (long) HDR_SEQ) | 1;
        INT.setVolatile(m, (long) HDR_SEQ, odd);
        VarHandle.storeStoreFence();
        // after the slots' own: another process (xdpml deploy on an agent's pins) may have written since
        generation = Math.max(generation, Math.max(slots.element(0).get(U32, HDR_GENERATION), slots.element(1).get(U32, HDR_GENERATION))) + 1;
        write(m, d, generation);
        INT.setRelease(m, (long) HDR_SEQ, odd + 1);
        return slot;
    }

    /** After a {@link #prepare}d slot was made active by someone else's flip. */
    public void flipped() {
        lastFlipNanos = System.nanoTime();
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes a deployment into slot memory m (without touching seq). */
    static void write(MemorySegment m, Deployment d, int generation) {
        IntegerModel model = d.model();
        m.set(U32, HDR_GENERATION, generation);
        m.set(ValueLayout.JAVA_BYTE, HDR_MODE, (byte) (d.mode().perFlow() ? MODE_FLOW : MODE_PACKET));
        m.set(ValueLayout.JAVA_BYTE, HDR_N_CLASSES, (byte) model.classCount());
        m.set(U32, HDR_FLOW_N, d.mode().perFlow() ? d.mode().flowPacket() : 0);
        long used = 0;
        for (int i : model.inputsUsed()) {
            used |= 1L << i;
        }
        m.set(U64, HDR_INPUTS_USED, used);
        for (int c = 0; c < 16; c++) {
            m.set(ValueLayout.JAVA_BYTE, HDR_ACTION + c, (byte) (c < model.classCount() ? d.action(c).code() : 0));
            m.set(U16, HDR_MIN_CONF + 2L * c, (short) (c < model.classCount() ? d.minConfidence(c) : 0));
        }
        switch (model) {
            case TreeEnsemble t -> writeTrees(m, t);
            case QuantizedMlp p -> writeMlp(m, p);
        }
    }

    private static void writeTrees(MemorySegment m, TreeEnsemble t) {
        m.set(ValueLayout.JAVA_BYTE, HDR_KIND, (byte) KIND_TREES);
        m.set(ValueLayout.JAVA_BYTE, HDR_N_TREES, (byte) t.treeCount());
        int[] roots = t.roots();
        for (int i = 0; i < 16; i++) {
            m.set(U16, HDR_ROOT + 2L * i, (short) (i < roots.length ? roots[i] : 0));
        }
        for (int i = 0; i < t.nodeCount(); i++) {
            long n = NODES + (long) i * NODE_SIZE;
            boolean leaf = t.feature(i) == TreeEnsemble.LEAF;
            m.set(U64, n + NODE_THRESHOLD, leaf ? t.leafConfidence(i) : t.threshold(i));
            m.set(U16, n + NODE_FEATURE, (short) (leaf ? LEAF : t.feature(i)));
            m.set(U16, n + NODE_LEAF_CLASS, (short) (leaf ? t.leafClass(i) : 0));
            m.set(U32, n + NODE_RIGHT, leaf ? 0 : t.right(i));
        }
    }

    private static void writeMlp(MemorySegment m, QuantizedMlp p) {
        m.set(ValueLayout.JAVA_BYTE, HDR_KIND, (byte) KIND_MLP);
        m.set(ValueLayout.JAVA_BYTE, HDR_N_TREES, (byte) 0);
        int[] idx = p.inputIndex();
        long[] min = p.inputMin();
        long[] max = p.inputMax();
        m.set(ValueLayout.JAVA_BYTE, MLP + MLP_N_IN, (byte) idx.length);
        m.set(ValueLayout.JAVA_BYTE, MLP + MLP_N_LAYERS, (byte) p.layerCount());
        m.set(ValueLayout.JAVA_BYTE, MLP + MLP_WIDTH, (byte) idx.length);
        for (int l = 0; l < 3; l++) {
            m.set(ValueLayout.JAVA_BYTE, MLP + MLP_WIDTH + 1 + l, (byte) (l < p.layerCount() ? p.layer(l).out() : 0));
        }
        for (int j = 0; j < idx.length; j++) {
            m.set(ValueLayout.JAVA_BYTE, MLP + MLP_IN_INDEX + j, (byte) idx[j]);
            m.set(U64, MLP + MLP_IN_MIN + 8L * j, min[j]);
            m.set(U64, MLP + MLP_IN_RANGE + 8L * j, max[j] - min[j]);
        }
        // every weight word, bias and multiplier: the kernel runs past widths over zeros
        m.asSlice(MLP + MLP_W, MLP_SIZE - MLP_W).fill((byte) 0);
        for (int l = 0; l < p.layerCount(); l++) {
            QuantizedMlp.Layer layer = p.layer(l);
            byte[] w = layer.weights();
            int[] b = layer.bias();
            int[] mult = layer.multiplier();
            int in = layer.in();
            int out = layer.out();
            for (int g = 0; LANES * g < out; g++) {
                int k = LANES * g;
                for (int j = 0; j < in; j++) {
                    m.set(U64, weightGroup(l, g, j), pack(w[k * in + j], k + 1 < out ? w[(k + 1) * in + j] : 0,
                            k + 2 < out ? w[(k + 2) * in + j] : 0));
                }
            }
            for (int k = 0; k < layer.out(); k++) {
                m.set(U32, bias(l, k), b[k]);
                m.set(U32, mult(l, k), k < mult.length ? mult[k] : 0);
            }
        }
        long[] margin = p.confidenceMargin();
        int[] level = p.confidenceLevel();
        for (int i = 0; i < margin.length; i++) {
            m.set(U64, MLP + MLP_CONF_MARGIN + 8L * i, margin[i]);
            m.set(U16, MLP + MLP_CONF_LEVEL + 2L * i, (short) level[i]);
        }
        m.set(ValueLayout.JAVA_BYTE, MLP + MLP_CONF_N, (byte) margin.length);
    }

    @Override
    public void close() {
        slots.close();
    }
}
