package io.xdpml.detect;

import java.util.List;

/**
 * One finding: which detector, about which subject (a source or destination address, a prefix, a
 * flow, ...), when (capture time, ns: the first and last report merged into it), how strongly
 * ({@code score}: the detector's main measure against its threshold, 1.0 = just at it), why (human
 * readable reasons with the numbers), how many reports of the same subject in the same window
 * were merged into it ({@code count}), and the source addresses responsible where the detector can
 * name them ({@code sources}: what closed-loop mitigation blocks; the scanner or tunnelling client
 * itself, a flood's top senders; empty when the sources look spoofed or the detector names none).
 */
public record Detection(long timeNanos, long lastNanos, String detector, String subject, double score, List<String> reasons,
        long count, List<String> sources) {

    public Detection {
        reasons = List.copyOf(reasons);
        sources = List.copyOf(sources);
    }

    /** A single report at {@code timeNanos} naming no sources. */
    public static Detection of(long timeNanos, String detector, String subject, double score, List<String> reasons) {
        return of(timeNanos, detector, subject, score, reasons, List.of());
    }

    /** A single report at {@code timeNanos} naming the sources responsible. */
    public static Detection of(long timeNanos, String detector, String subject, double score, List<String> reasons, List<String> sources) {
        return new Detection(timeNanos, timeNanos, detector, subject, score, reasons, 1, sources);
    }

    /** One line: time, detector, subject, score, count and the reasons. */
    public String toLine() {
        return String.format(java.util.Locale.ROOT, "%s %-13s %-40s score=%.1f%s  %s", Detections.timeText(timeNanos), detector, subject,
                score, count > 1 ? " x" + count : "", String.join("; ", reasons));
    }
}
