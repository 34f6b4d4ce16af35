package io.xdpml.dataplane;

import java.util.Locale;

/**
 * The stages of the composed data plane, in the order a packet meets them (enum xdpml_stage in
 * bpf/include/xdpml/pipeline.h, same order; {@code StageHeaderTest} holds them equal).
 * {@link #END} is where a packet that no stage ended leaves, with the default action.
 */
public enum Stage {
    PARSE, BLOCKS, FIREWALL, FLOW, MODEL, SAMPLE, DELIVER, END;

    /** The name used in the config file, {@code status} and the docs. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Stage of(int ordinal) {
        Stage[] all = values();
        if (ordinal < 0 || ordinal >= all.length) {
            throw new IllegalArgumentException("no stage " + ordinal);
        }
        return all[ordinal];
    }
}
