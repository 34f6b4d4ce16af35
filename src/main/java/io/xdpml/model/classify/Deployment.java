package io.xdpml.model.classify;

import io.xdpml.model.quantized.IntegerModel;
import java.util.Arrays;

/**
 * A model as deployed: the integer model, when to classify, the action per class, and per class
 * the confidence (thousandths) below which its action is not taken and the packet goes to Java
 * instead (0: always taken).
 */
public record Deployment(IntegerModel model, ClassifyMode mode, ClassAction[] actions, int[] minConfidence) {
    public Deployment {
        if (actions.length != model.classCount()) {
            throw new IllegalArgumentException("one action per class: " + model.classCount() + " classes, " + actions.length + " actions");
        }
        if (minConfidence.length != model.classCount()) {
            throw new IllegalArgumentException("one confidence threshold per class: " + model.classCount() + " classes, "
                    + minConfidence.length + " thresholds");
        }
        for (int c : minConfidence) {
            if (c < 0 || c > IntegerModel.CONFIDENCE_MAX) {
                throw new IllegalArgumentException("confidence threshold " + c + " out of 0.." + IntegerModel.CONFIDENCE_MAX + " (thousandths)");
            }
        }
        actions = actions.clone();
        minConfidence = minConfidence.clone();
    }

    /** Every action taken whatever the confidence. */
    public Deployment(IntegerModel model, ClassifyMode mode, ClassAction[] actions) {
        this(model, mode, actions, new int[model.classCount()]);
    }

    /** Every class counted only (the packet keeps the pipeline's default action). */
    public static Deployment countOnly(IntegerModel model, ClassifyMode mode) {
        ClassAction[] a = new ClassAction[model.classCount()];
        Arrays.fill(a, ClassAction.COUNT);
        return new Deployment(model, mode, a);
    }

    public ClassAction action(int cls) {
        return actions[cls];
    }

    /** The confidence (thousandths) class {@code cls} needs for its action; 0: none. */
    public int minConfidence(int cls) {
        return minConfidence[cls];
    }

    @Override
    public ClassAction[] actions() {
        return actions.clone();
    }

    @Override
    public int[] minConfidence() {
        return minConfidence.clone();
    }
}
