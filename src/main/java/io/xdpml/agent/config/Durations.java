package io.xdpml.agent.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the configuration writes them: 500ms, 30s, 5m, 2h, or a bare number of seconds (30, 0.5). */
final class Durations {
    /** The longest duration accepted: a year. */
    static final Duration MAX = Duration.ofDays(365);

    private static final Pattern TEXT = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)\\s*(ms|s|m|h)?");

    private Durations() {}

    /**
     * @throws IllegalArgumentException with the reason (bad form, out of range)
     */
    static Duration parse(String text) {
        Matcher m = TEXT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 30s, 5m, 2h, or seconds: 30)");
        }
        long unitNanos = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 1_000_000_000L;
        };
        BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos));
        if (nanos.compareTo(BigDecimal.valueOf(MAX.toNanos())) > 0) {
            throw new IllegalArgumentException("'" + text + "' is longer than a year");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** The shortest exact form: 0, 500ms, 30s, 5m, 2h, or 1.5s. */
    static String format(Duration d) {
        long ns = d.toNanos();
        if (ns == 0) {
            return "0";
        }
        if (ns % 3_600_000_000_000L == 0) {
            return ns / 3_600_000_000_000L + "h";
        }
        if (ns % 60_000_000_000L == 0) {
            return ns / 60_000_000_000L + "m";
        }
        if (ns % 1_000_000_000L == 0) {
            return ns / 1_000_000_000L + "s";
        }
        if (ns % 1_000_000L == 0) {
            return ns / 1_000_000L + "ms";
        }
        return BigDecimal.valueOf(ns, 9).stripTrailingZeros().toPlainString() + "s";
    }
}
