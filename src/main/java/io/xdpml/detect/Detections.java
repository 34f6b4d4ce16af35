package io.xdpml.detect;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Formatting shared by the detectors' reasons. */
final class Detections {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private Detections() {}

    /** ISO-8601 UTC with microseconds. */
    static String timeText(long nanos) {
        return TIME.format(Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
    }

    /** 12,345 */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * A count that may be an estimate (a distinct count from a hash-sampled window set, {@link SampledKeys}):
     * {@code 12,345} when exact, {@code ~12,345} when estimated; a reason with such a count ends its
     * counts with {@link #estimated}.
     */
    static String count(long n, boolean estimated) {
        return estimated ? "~" + count(n) : count(n);
    }

    /** {@code " (estimated: sampled)"} after counts of which one at least is an estimate ({@link #count(long, boolean)}), else "". */
    static String estimated(boolean any) {
        return any ? " (estimated: sampled)" : "";
    }

    /** Seconds with up to 3 decimals: "10 s", "0.687 s". */
    static String seconds(long nanos) {
        double s = nanos / 1e9;
        if (s == Math.rint(s)) {
            return String.format(Locale.ROOT, "%d s", (long) s);
        }
        return String.format(Locale.ROOT, "%.3f s", s);
    }

    /** A rate in packets (or bytes) per second over {@code spanNanos}, at least 1 ms. */
    static double rate(long n, long spanNanos) {
        return n / (Math.max(spanNanos, 1_000_000L) / 1e9);
    }

    static String rateText(double perSecond, String unit) {
        return String.format(Locale.ROOT, "%,.0f %s/s", perSecond, unit);
    }

    static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2f", r);
    }

    static String bytes(long b) {
        if (b >= 10_000_000) {
            return String.format(Locale.ROOT, "%,.1f MB", b / 1e6);
        }
        if (b >= 10_000) {
            return String.format(Locale.ROOT, "%,.1f kB", b / 1e3);
        }
        return count(b) + " B";
    }
}
