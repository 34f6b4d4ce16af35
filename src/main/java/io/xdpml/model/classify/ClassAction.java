package io.xdpml.model.classify;

import java.util.Locale;

/** What happens to a packet of a class ({@code enum xdpml_class_action} in model.h). */
public enum ClassAction {
    /** Count it; the packet takes the pipeline's default action. */
    COUNT(0),
    PASS(1),
    DROP(2),
    /** To the AF_XDP socket of the packet's receive queue (XDP_PASS when there is none). */
    XSK(3);

    private final int code;

    ClassAction(int code) {
        this.code = code;
    }

    /** The kernel's code. */
    public int code() {
        return code;
    }

    /** By name, case-insensitive, with the known names in the error. */
    public static ClassAction parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown action '" + s + "' (known: count, pass, drop, xsk)");
        }
    }
}
