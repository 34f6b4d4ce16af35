package io.xdpml.approaches;

import io.xdpml.flow.FlowConfig;
import io.xdpml.kernel.PacketRing;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.JavaClassifyEngine;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStage;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.xsk.XskFrame;
import io.xdpml.xsk.XskFrameHandler;
import java.lang.foreign.MemorySegment;

/**
 * One receive thread's Java work on each frame, wherever it comes from: the Java twin of the
 * kernel's classify pipeline ({@link JavaClassifyEngine}: the reference parser, the Java flow
 * table, the model's integer inference), time-stamped with {@link System#nanoTime()} per frame as
 * the kernel reads its clock per packet. Read in place (UMEM or packet ring), allocation-free per
 * frame. One per thread: not thread-safe.
 */
public final class JavaClassifier implements XskFrameHandler, PacketRing.FrameHandler {
    private final JavaClassifyEngine engine;
    private long lastNanos;

    public JavaClassifier(IntegerModel model, int maxFrameLength) {
        engine = new JavaClassifyEngine(FlowConfig.defaults(), maxFrameLength, ModelStage.XDP_PASS);
        engine.deploy(Deployment.countOnly(model, ClassifyMode.EVERY_PACKET));
    }

    @Override
    public void onFrame(XskFrame frame) {
        classify(frame.umem(), frame.offset(), frame.length());
    }

    @Override
    public void frame(MemorySegment memory, long offset, int captured, int length) {
        classify(memory, offset, captured);
    }

    private void classify(MemorySegment memory, long offset, int length) {
        long now = System.nanoTime();
        engine.packet(memory, offset, length, now);
        lastNanos = now;
    }

    /**
     * Compiles the per-frame path before a measurement: {@code rounds} copies of {@code frame}
     * classified by a throw-away classifier (an interpreted path keeps up with nothing).
     */
    public static void warmUp(IntegerModel model, byte[] frame, int rounds) {
        JavaClassifier c = new JavaClassifier(model, frame.length);
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment m = a.allocate(frame.length + 64L, 64);
            MemorySegment.copy(MemorySegment.ofArray(frame), 0, m, 64, frame.length);
            for (int i = 0; i < rounds; i++) {
                c.frame(m, 64, frame.length, frame.length);
            }
        }
    }

    /** When the last frame was classified ({@link System#nanoTime()}), 0 before the first; read after the thread stopped. */
    public long lastNanos() {
        return lastNanos;
    }

    /** Frames classified (the model ran) so far; read after the thread stopped. */
    public long classified() {
        return engine.stats().counter(ModelCounter.CLASSIFIED);
    }

    /** The model's counts, per class. */
    public ModelStats stats() {
        return engine.stats();
    }
}
