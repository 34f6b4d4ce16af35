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
    default void ownAddresses(java.util.Collection<java.net.InetAddress> addresses) {
        ownAddresses(addresses, addresses.stream().filter(OwnAddresses::mayBeADestination).toList());
    }

    /**
     * This host's own addresses, and of them the destinations a SYN cookie may be answered for
     * ({@link OwnAddresses#set(java.util.Collection, java.util.Collection)}).
     */
    void ownAddresses(java.util.Collection<java.net.InetAddress> addresses, java.util.Collection<java.net.InetAddress> destinations);

    /**
     * The MACs a frame for this host arrives with on the interface the engine judges (its own and
     * its master's; a SYN cookie answers no other): the kernel's for {@code ifindex}
     * ({@link CookieInterfaces}).
     */
    void cookieInterface(int ifindex, byte[] mac, byte[] master);

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
