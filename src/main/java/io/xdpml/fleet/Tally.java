package io.xdpml.fleet;

import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One source's (or prefix's) counts in one window (the value of the {@code fleet-*-tally} stores):
 * flows, probes, packets, bytes, the span of event time they cover, the number of distinct elements
 * per dimension, and per host the same counts. {@code reported} once a finding was made in this
 * window (one per key and window); {@code fired} only in the update that made it.
 * Public fields: Jackson writes it to the store's changelog.
 */
public final class Tally {
    /** One host's share. */
    public static final class Host {
        public long flows;
        public long probes;
        public long packets;
        public long targets;
        public TreeSet<String> labels = new TreeSet<>();
    }

    public long flows;
    public long probes;
    public long packets;
    public long bytes;
    public long startMs = Long.MAX_VALUE;
    public long endMs = Long.MIN_VALUE;
    public TreeMap<String, Long> distinct = new TreeMap<>();
    public TreeMap<String, Host> hosts = new TreeMap<>();
    /** A few elements kept for the reasons (sources of a prefix), at most {@link #SAMPLE}. */
    public TreeSet<String> sample = new TreeSet<>();
    public boolean reported;
    public boolean fired;

    static final int SAMPLE = 8;
    static final int LABELS = 8;
    /** The host name under which hosts beyond {@code maxHosts} are counted. */
    public static final String OTHER = "other";

    /** Adds a part; hosts beyond {@code maxHosts} are counted as {@link #OTHER}. */
    Tally add(Part p, int maxHosts) {
        fired = false;
        String h = p.host();
        Host host = null;
        if (!h.isEmpty()) {
            host = hosts.get(h);
            if (host == null) {
                if (hosts.size() >= maxHosts - 1) {
                    h = OTHER;
                }
                host = hosts.computeIfAbsent(h, k -> new Host());
            }
        }
        startMs = Math.min(startMs, p.startMs());
        endMs = Math.max(endMs, p.endMs());
        if (p.isCounts()) {
            flows += p.flows();
            probes += p.probes();
            packets += p.packets();
            bytes += p.bytes();
            if (host != null) {
                host.flows += p.flows();
                host.probes += p.probes();
                host.packets += p.packets();
                if (!p.label().isEmpty() && host.labels.size() < LABELS) {
                    host.labels.add(p.label());
                }
            }
        } else {
            distinct.merge(p.dim(), 1L, Long::sum);
            if (p.dim().equals("target") && host != null) {
                host.targets++;
            }
            if (p.dim().equals("source") && sample.size() < SAMPLE) {
                sample.add(p.element());
            }
        }
        return this;
    }

    long distinct(String dim) {
        return distinct.getOrDefault(dim, 0L);
    }

    /** Hosts with at least one target (scan), packet (flood) or flow/alert (any). */
    long hostsWith(java.util.function.ToLongFunction<Host> f) {
        return hosts.values().stream().filter(x -> f.applyAsLong(x) > 0).count();
    }

    /** The span of event time the tally covers, in seconds, at least 1. */
    double spanSeconds() {
        return endMs < startMs ? 1 : Math.max(1.0, (endMs - startMs) / 1000.0);
    }
}
