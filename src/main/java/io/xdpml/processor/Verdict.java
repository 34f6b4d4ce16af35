package io.xdpml.processor;

/**
 * What a callback says of a packet: a score (any scale the callback chooses), whether it is
 * flagged (counted, and captured when the processor captures), and an optional label.
 */
public record Verdict(double score, boolean flagged, String label) {
    /** Nothing to report. */
    public static final Verdict NORMAL = new Verdict(0, false, null);

    /** A flagged packet with a score and a label (e.g. the class or the reason). */
    public static Verdict flag(double score, String label) {
        return new Verdict(score, true, label);
    }
}
