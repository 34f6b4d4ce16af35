package io.xdpml.model.file;

import java.util.Locale;

/** What a model file holds: a decision tree, a random forest, or a multi-layer perceptron. */
public enum ModelKind {
    DT, RF, MLP;

    /** The name in files and on the command line: dt, rf, mlp. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ModelKind of(String id) {
        for (ModelKind k : values()) {
            if (k.id().equalsIgnoreCase(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown model kind '" + id + "' (dt, rf or mlp)");
    }
}
