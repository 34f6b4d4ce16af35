package io.xdpml.fleet;

/**
 * What one input record adds to a source's tally (internal, through a repartition topic): either
 * its counts ({@code dim} empty: one flow or alert with its packets, bytes, probe flag, times and
 * host) or one distinct element seen for the first time in the window ({@code dim} = {@code target}
 * (host|dest|port), {@code hostdest} (host|dest), {@code port}, {@code dest}, {@code source}).
 *
 * @param label a detector's name (alerts), else empty
 */
public record Part(String dim, String element, String host, long flows, long probes, long packets, long bytes, long startMs, long endMs,
        String label) {
    static Part counts(String host, long flows, long probes, long packets, long bytes, long startMs, long endMs, String label) {
        return new Part("", "", host, flows, probes, packets, bytes, startMs, endMs, label);
    }

    /** A first sighting: no times of its own (the flow it came from brings them in its counts part). */
    static Part distinct(String dim, String element) {
        String host = dim.equals("target") || dim.equals("hostdest") ? element.substring(0, element.indexOf('|')) : "";
        return new Part(dim, element, host, 0, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE, "");
    }

    boolean isCounts() {
        return dim.isEmpty();
    }
}
