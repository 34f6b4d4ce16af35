package io.xdpml.packet;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parse counters as the kernel keeps them (one slot per {@link ParseCounter} id), counted in
 * Java by {@link #count(ParseSummary)} with the same rule as {@code xdpml_count_parse()} in
 * stats.h, or filled from the kernel's per-CPU sums.
 */
public final class ParseCounters {
    private final long[] slots = new long[ParseCounter.SLOTS];

    /** Counts one packet: packets, each counted protocol flag it carries, its error reason. */
    public void count(ParseSummary s) {
        slots[ParseCounter.PACKETS.id()]++;
        int f = s.flags;
        for (int i = 0; i < ParseFlags.COUNTED_BITS; i++) {
            slots[ParseCounter.ETHERNET.id() + i] += (f >>> i) & 1;
        }
        if (s.error != 0) {
            slots[s.error & (ParseCounter.SLOTS - 1)]++;
        }
    }

    public long get(ParseCounter c) {
        return slots[c.id()];
    }

    /** Combinations of the counted flags: slots of the kernel's histogram ({@code XDPML_FLAG_COMBOS}). */
    public static final int FLAG_COMBOS = 1 << ParseFlags.COUNTED_BITS;

    /**
     * The counters from the kernel's histogram (stats.h), summed over CPUs: {@code byFlags[i]}
     * packets carried exactly the counted flags {@code i}, {@code byError[e]} stopped on reason
     * {@code e}.
     */
    public static ParseCounters fromHistogram(long[] byFlags, int flagsOffset, long[] byError, int errorOffset) {
        ParseCounters c = new ParseCounters();
        for (int combo = 0; combo < FLAG_COMBOS; combo++) {
            long n = byFlags[flagsOffset + combo];
            if (n == 0) {
                continue;
            }
            c.slots[ParseCounter.PACKETS.id()] += n;
            for (int bit = 0; bit < ParseFlags.COUNTED_BITS; bit++) {
                if ((combo & (1 << bit)) != 0) {
                    c.slots[ParseCounter.ETHERNET.id() + bit] += n;
                }
            }
        }
        for (int e = ParseCounter.FIRST_ERROR; e < ParseCounter.SLOTS; e++) {
            c.slots[e] = byError[errorOffset + e];
        }
        return c;
    }

    public void add(ParseCounters other) {
        for (int i = 0; i < slots.length; i++) {
            slots[i] += other.slots[i];
        }
    }

    /**
     * The documented JSON shape of {@code xdpml inspect --json}: packets, ethernet, vlan, ipv4,
     * ipv6, tcp, udp, icmp, icmpv6, vxlan, fragments, and errors (reason -> count, non-zero only).
     */
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Long> errors = new LinkedHashMap<>();
        for (ParseCounter c : ParseCounter.values()) {
            if (c.isError()) {
                if (get(c) != 0) {
                    errors.put(c.jsonName(), get(c));
                }
            } else {
                m.put(c.jsonName(), get(c));
            }
        }
        m.put("errors", errors);
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParseCounters other && java.util.Arrays.equals(slots, other.slots);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(slots);
    }

    @Override
    public String toString() {
        return toJsonMap().toString();
    }
}
