package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.util.Arrays;

/**
 * Approximate counts of keys in a fixed space (a count-min sketch, Cormode and Muthukrishnan):
 * {@value #ROWS} rows of counters, a key counting in one counter per row; its estimate is the
 * smallest of its counters, never below its true count, above it only by what other keys sharing
 * all its counters added. Lets a full table tell a key that keeps coming (an attack's victim, a
 * scanner) from the many that come once (spoofed addresses) without an entry per key. Allocated
 * once: nothing per count.
 *
 * <p>A key's counters are picked by its hash salted per sketch with a random salt (since 2026-12-06;
 * before, a salt fixed in the source): one who knows the hash could send keys that share all four
 * counters of a subject already in a full table, raising the estimates of its spoofed newcomers to
 * that subject's weight so that they evict it, or find keys whose counters stay low.
 */
final class FrequencySketch {
    static final int ROWS = 4;
    private final int[] counters;
    private final int mask;
    /** Drawn once per sketch (a fixed salt in the source is known to all); nothing is drawn per count. */
    private final long salt;

    /** {@code width} counters per row, rounded up to a power of two, at most 65,536 (the hash gives 16 bits a row). */
    FrequencySketch(int width) {
        this(width, Salts.next());
    }

    /** A sketch whose hash is salted with {@code salt} (tests). */
    FrequencySketch(int width, long salt) {
        this.salt = salt;
        int w = Integer.highestOneBit(Math.min(65_536, Math.max(16, width)) * 2 - 1);
        counters = new int[ROWS * w];
        mask = w - 1;
    }

    /**
     * Counts one for {@code key}; its estimate after counting. Conservative update: only the
     * counters at the key's smallest are raised (the others already over-count it), which keeps
     * estimates close while many more keys than counters pass, as in a spoofed flood.
     */
    int add(long key) {
        long h = Addresses.mix(key ^ salt);
        int width = mask + 1;
        int min = Integer.MAX_VALUE;
        for (int r = 0; r < ROWS; r++) {
            min = Math.min(min, counters[r * width + column(h, r)]);
        }
        if (min == Integer.MAX_VALUE) {
            return min;
        }
        for (int r = 0; r < ROWS; r++) {
            int i = r * width + column(h, r);
            if (counters[i] == min) {
                counters[i]++;
            }
        }
        return min + 1;
    }

    /** The counter of salted hash {@code h} in row {@code row}: 16 bits of it a row. */
    private int column(long h, int row) {
        return (int) (h >>> (row * 16)) & mask;
    }

    /** The counter of {@code key} in row {@code row} (tests: which keys share counters). */
    int counterOf(long key, int row) {
        return column(Addresses.mix(key ^ salt), row);
    }

    void clear() {
        Arrays.fill(counters, 0);
    }

    /** Halves every counter: old counts fade, as a horizon moves on. */
    void halve() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] >>>= 1;
        }
    }
}
