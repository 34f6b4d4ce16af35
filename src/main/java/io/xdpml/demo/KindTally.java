package io.xdpml.demo;

import io.xdpml.gen.TrafficKind;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Packets per traffic kind and second of the demo that reached the victim (passed XDP), and that
 * were dropped because their source was blocked (offline only: live, the kernel drops them before
 * anything in Java sees them, and counts them all together). One writer; readers on other
 * threads see the counts a little late at worst.
 */
final class KindTally {
    static final int KINDS = TrafficKind.values().length;
    private final int seconds;
    private final AtomicLongArray reached;
    private final AtomicLongArray dropped;

    KindTally(int seconds) {
        this.seconds = seconds;
        this.reached = new AtomicLongArray(KINDS * seconds);
        this.dropped = new AtomicLongArray(KINDS * seconds);
    }

    int seconds() {
        return seconds;
    }

    void reached(int kind, int second) {
        add(reached, kind, second);
    }

    void dropped(int kind, int second) {
        add(dropped, kind, second);
    }

    private void add(AtomicLongArray a, int kind, int second) {
        if (kind >= 0 && second >= 0 && second < seconds) {
            int i = kind * seconds + second;
            a.lazySet(i, a.get(i) + 1);
        }
    }

    long reached(TrafficKind kind, int second) {
        return second < 0 || second >= seconds ? 0 : reached.get(kind.ordinal() * seconds + second);
    }

    long dropped(TrafficKind kind, int second) {
        return second < 0 || second >= seconds ? 0 : dropped.get(kind.ordinal() * seconds + second);
    }

    /** Reached in seconds [from, to). */
    long reached(TrafficKind kind, int from, int to) {
        long n = 0;
        for (int s = Math.max(0, from); s < Math.min(to, seconds); s++) {
            n += reached(kind, s);
        }
        return n;
    }

    long dropped(TrafficKind kind, int from, int to) {
        long n = 0;
        for (int s = Math.max(0, from); s < Math.min(to, seconds); s++) {
            n += dropped(kind, s);
        }
        return n;
    }
}
