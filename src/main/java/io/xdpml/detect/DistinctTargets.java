package io.xdpml.detect;

/**
 * What a scan is measured by: the distinct destination ports, hosts and (host, port) targets each
 * source reaches in a window. Three sets keyed by source, shared by all sources and cleared with the
 * window; the counts per source in its {@link Counts}.
 */
final class DistinctTargets {
    /** One source's distinct ports, hosts and targets. */
    static class Counts {
        int ports;
        int hosts;
        int targets;
    }

    private final LongHashSet ports = new LongHashSet(4096);
    private final LongHashSet hosts = new LongHashSet(4096);
    private final LongHashSet targets = new LongHashSet(4096);

    /** Counts a packet from {@code src} to ({@code dst}, {@code port}) into {@code counts}; true when {@code dst} is a new host for it. */
    boolean add(long src, long dst, int port, Counts counts) {
        if (ports.add(Addresses.pair(src, port))) {
            counts.ports++;
        }
        boolean newHost = hosts.add(Addresses.pair(src, dst));
        if (newHost) {
            counts.hosts++;
        }
        if (targets.add(Addresses.pair(Addresses.pair(src, dst), port))) {
            counts.targets++;
        }
        return newHost;
    }

    void clear() {
        ports.clear();
        hosts.clear();
        targets.clear();
    }
}
