package io.xdpml.firewall;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java firewall's measures: the entries of {@code xdpml_fw_measures} with the same renewal
 * rules as {@link FirewallMeasures#put}. Lookups per packet allocate nothing (a reused probe key).
 */
final class MeasureTable {
    /** An entry's state: as struct xdpml_fw_measure. */
    static final class Entry {
        final Measure.Kind kind;
        final java.net.InetAddress victim;
        final int proto;
        final int port;
        long expires;
        long hits;
        long pps;
        long cap;
        final long[] bucket = new long[2]; // level, last_ns

        Entry(Measure m) {
            this.kind = m.kind();
            this.victim = m.victim();
            this.proto = m.proto();
            this.port = m.port();
        }

        boolean liveAt(long now) {
            return expires == 0 || Long.compareUnsigned(now, expires) <= 0;
        }

        Measure measure() {
            return new Measure(kind, victim, proto, port, pps, cap / FirewallLayout.NS_PER_TOKEN, expires, hits);
        }
    }

    private static final class Key {
        long hi;
        long lo;
        int proto;
        int kind;
        int port;

        Key set(long hi, long lo, int proto, int kind, int port) {
            this.hi = hi;
            this.lo = lo;
            this.proto = proto;
            this.kind = kind;
            this.port = port;
            return this;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hi == hi && k.lo == lo && k.proto == proto && k.kind == kind && k.port == port;
        }

        @Override
        public int hashCode() {
            long h = hi * 31 + lo;
            h = h * 31 + (proto << 24 | kind << 16 | port);
            return Long.hashCode(h * 0x9E3779B97F4A7C15L);
        }
    }

    private final Map<Key, Entry> map = new HashMap<>();
    private final Key probe = new Key();

    boolean isEmpty() {
        return map.isEmpty();
    }

    /** The entry for (victim hi/lo as the 16-byte mapped form, proto, kind, port), or null. No allocation. */
    Entry find(long hi, long lo, int proto, int kind, int port) {
        return map.get(probe.set(hi, lo, proto, kind, port));
    }

    private static Key key(Measure m) {
        byte[] a = FirewallMeasures.mapped(m.victim());
        return new Key().set(word(a, 0), word(a, 8), m.proto(), m.kind().code, m.port());
    }

    static long word(byte[] a, int off) {
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | (a[off + i] & 0xff);
        }
        return w;
    }

    /** As {@link FirewallMeasures#put}: a new entry starts full with no hits; a renewal keeps hits and the bucket (cut to the new burst). */
    void put(Measure m) {
        Key k = key(m);
        Entry e = map.get(k);
        long cap = m.cap();
        if (e == null) {
            e = new Entry(m);
            e.bucket[0] = cap;
            e.bucket[1] = 0;
            map.put(k, e);
        } else {
            e.bucket[0] = Math.min(e.bucket[0], cap);
        }
        e.expires = m.expiresNanos();
        e.pps = m.pps();
        e.cap = cap;
    }

    boolean remove(Measure m) {
        return map.remove(key(m)) != null;
    }

    List<Measure> list() {
        List<Measure> out = new ArrayList<>();
        for (Entry e : map.values()) {
            out.add(e.measure());
        }
        return out;
    }

    int sweep(long now) {
        int before = map.size();
        map.values().removeIf(e -> !e.liveAt(now));
        return before - map.size();
    }
}
