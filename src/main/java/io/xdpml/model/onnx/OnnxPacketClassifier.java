package io.xdpml.model.onnx;

import io.xdpml.processor.PacketCallback;
import io.xdpml.processor.PacketView;
import io.xdpml.processor.Verdict;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * An ONNX model as the processor's per-packet callback: each packet's model inputs (its flow's
 * features after the packet, {@link PacketView#inputs()}) go through the model, and packets of
 * the chosen classes come back flagged with the class's score and name.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("ids.onnx"));
 *      OnnxPacketClassifier onnx = OnnxPacketClassifier.flagging(model, "synflood", "portscan");
 *      MlPacketProcessor p = MlPacketProcessor.open(ProcessorConfig.forInterface("eth0").withSampling(10), onnx)) {
 *     p.start();
 *     ...
 * }
 * }</pre>
 *
 * Thread-safe: each receive thread gets its own {@link Predictor} (made on its first packet);
 * {@link #close} closes them (not the model). A packet without a flow (no IP header) is NORMAL.
 * One model run per packet: the callback must answer before the next packet, so packets are not
 * batched (use {@link Predictor} directly to batch flows).
 */
public final class OnnxPacketClassifier implements PacketCallback, AutoCloseable {
    private final OnnxModel model;
    private final BitSet flagged;
    private final float minScore;
    private final List<Predictor> predictors = new ArrayList<>();
    private final ThreadLocal<Predictor> predictor;

    private OnnxPacketClassifier(OnnxModel model, BitSet flagged, float minScore) {
        this.model = model;
        this.flagged = flagged;
        this.minScore = minScore;
        this.predictor = ThreadLocal.withInitial(() -> {
            Predictor p = model.newPredictor(1);
            synchronized (predictors) {
                predictors.add(p);
            }
            return p;
        });
    }

    /** Flags packets the model puts in one of {@code classes} (names from the sidecar). */
    public static OnnxPacketClassifier flagging(OnnxModel model, String... classes) {
        BitSet b = new BitSet();
        for (String c : classes) {
            int i = model.classes().indexOf(c);
            if (i < 0) {
                throw new IllegalArgumentException("no class '" + c + "' in " + model.source() + " (classes: " + model.classes() + ")");
            }
            b.set(i);
        }
        return new OnnxPacketClassifier(model, b, 0f);
    }

    /** The same, flagging only when the class's score is at least {@code score}. */
    public OnnxPacketClassifier withMinScore(float score) {
        return new OnnxPacketClassifier(model, flagged, score);
    }

    @Override
    public Verdict onPacket(PacketView packet) {
        long[] x = packet.inputs();
        if (x == null) {
            return Verdict.NORMAL;
        }
        Predictor p = predictor.get();
        p.clear();
        p.add(x);
        p.run();
        int cls = p.classOf(0);
        float score = p.scoreOf(0);
        if (!flagged.get(cls) || score < minScore) {
            return Verdict.NORMAL;
        }
        return Verdict.flag(score, model.classes().get(cls));
    }

    @Override
    public void close() {
        synchronized (predictors) {
            predictors.forEach(Predictor::close);
            predictors.clear();
        }
    }
}
