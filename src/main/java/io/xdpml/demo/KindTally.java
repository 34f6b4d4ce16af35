package io.xdpml.demo;

import io.xdpml.gen.TrafficKind;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packets per traffic kind and second of the demo, in several series. Each series has one writer
 * (the sender's sampler, the tap's thread, the receiving thread of the copies); readers on other
 * threads see the counts a little late at worst.
 */
final class KindTally {
    /** What is counted. */
    enum Series {
        /** frames the generator sent */
        SENT,
        /** packets the victim's stack received, after XDP (the tap: a packet socket on the victim's interface) */
        REACHED,
        /** copies handed to Java (mirror ring), which the detectors saw */
        COPIES,
        /** copies the in-kernel model called attack */
        MODEL_ATTACK,
        /** copies the model classified at all */
        MODEL_CLASSIFIED
    }

    static final int KINDS = TrafficKind.values().length;
    private final int seconds;
    private final Map<Series, AtomicLongArray> counts = new EnumMap<>(Series.class);

    KindTally(int seconds) {
        this.seconds = seconds;
        for (Series s : Series.values()) {
            counts.put(s, new AtomicLongArray(KINDS * seconds));
        }
    }

    int seconds() {
        return seconds;
    }

    /** One more packet of kind {@code kind} (an ordinal, -1 for none) in second {@code second}; a single writer per series. */
    void add(Series series, int kind, int second) {
        add(series, kind, second, 1);
    }

    void add(Series series, int kind, int second, long n) {
        if (kind >= 0 && second >= 0 && second < seconds) {
            AtomicLongArray a = counts.get(series);
            int i = kind * seconds + second;
            a.lazySet(i, a.get(i) + n);
        }
    }

    long get(Series series, TrafficKind kind, int second) {
        return second < 0 || second >= seconds ? 0 : counts.get(series).get(kind.ordinal() * seconds + second);
    }

    /** In seconds [from, to). */
    long get(Series series, TrafficKind kind, int from, int to) {
        long n = 0;
        for (int s = Math.max(0, from); s < Math.min(to, seconds); s++) {
            n += get(series, kind, s);
        }
        return n;
    }

    /** Every kind, second {@code second}. */
    long total(Series series, int second) {
        long n = 0;
        for (TrafficKind k : TrafficKind.values()) {
            n += get(series, k, second);
        }
        return n;
    }
}
