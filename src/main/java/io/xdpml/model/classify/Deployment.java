package io.xdpml.model.classify;

import io.xdpml.model.quantized.IntegerModel;
import java.util.Arrays;

/** A model as deployed: the integer model, when to classify, and the action per class. */
public record Deployment(IntegerModel model, ClassifyMode mode, ClassAction[] actions) {
    public Deployment {
        if (actions.length != model.classCount()) {
            throw new IllegalArgumentException("one action per class: " + model.classCount() + " classes, " + actions.length + " actions");
        }
        actions = actions.clone();
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

    @Override
    public ClassAction[] actions() {
        return actions.clone();
    }
}
