package io.xdpml.firewall;

import java.lang.foreign.MemorySegment;

/** A firewall that judges frames: the kernel program through BPF_PROG_TEST_RUN, or the Java reference. */
public interface FirewallEngine extends AutoCloseable {
    /** Replaces the configuration (lists, rules, settings) at once; connections and buckets stay. */
    void install(FirewallConfig config);

    /**
     * Judges one frame at time {@code nowNanos}.
     *
     * @return the verdict reason: one of the PASS_* or DROP_* counters
     */
    FirewallCounter packet(MemorySegment frame, int length, long nowNanos);

    /**
     * Adds or renews a measure ({@link FirewallMeasures#put}: a renewal keeps the entry's hits and
     * bucket); measures are not part of the config: {@link #install} keeps them.
     */
    void putMeasure(Measure m);

    /** This host's own addresses: with conntrack on, a packet from one of them is dropped (OwnAddresses). */
    void ownAddresses(java.util.Collection<java.net.InetAddress> addresses);

    /** Removes the entry {@code m} names; false when there was none. */
    boolean removeMeasure(Measure m);

    /** The measures held now, with their hits (expired ones included until removed). */
    java.util.List<Measure> measures();

    /** The rule (index in the config) that decided the last packet, or -1. */
    int lastRule();

    long counter(FirewallCounter c);

    /** Hits of each rule of the installed config, by rule index. */
    long[] ruleHits();

    String name();

    @Override
    void close();
}
