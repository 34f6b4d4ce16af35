package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The heaviest keys of a stream in a fixed number of slots (Space-Saving, Metwally et al.): a key
 * (an address as its (hi, lo) longs, or a port as (0, port)) with more than 1/slots of the counts is
 * in the table whatever came first, its count over-estimated by at most the error kept beside it, so
 * {@link #sure} (count minus error) is a count it certainly has. The arrays are allocated once: nothing
 * per count.
 *
 * <p>On request each slot also keeps extra counters of the owner's (e.g. the answers a sender got
 * back, the handshakes it completed), counted only for a key in the table and reset when its slot is
 * taken over: over the same counts as {@link #sure}.
 */
final class HeavyHitters {
    private final long[] hi;
    private final long[] lo;
    private final long[] count;
    private final long[] error;
    /** extra[k][slot]: the owner's k-th extra counter of each slot. */
    private final long[][] extra;
    private int used;

    HeavyHitters(int slots) {
        this(slots, false);
    }

    HeavyHitters(int slots, boolean withExtra) {
        this(slots, withExtra ? 1 : 0);
    }

    /** With {@code extras} extra counters per slot (0 to 2 are used). */
    HeavyHitters(int slots, int extras) {
        hi = new long[slots];
        lo = new long[slots];
        count = new long[slots];
        error = new long[slots];
        extra = new long[extras][slots];
    }

    /** Counts one for (hi, lo). */
    void add(long hi, long lo) {
        add(hi, lo, 1);
    }

    /**
     * Counts {@code w} for (hi, lo): its slot, a free one, or the smallest one taken over (whose
     * count becomes the error; weighted Space-Saving keeps the same bounds).
     */
    void add(long hi, long lo, long w) {
        int min = 0;
        for (int i = 0; i < used; i++) {
            if (this.hi[i] == hi && this.lo[i] == lo) {
                count[i] += w;
                return;
            }
            if (count[i] < count[min]) {
                min = i;
            }
        }
        if (used < count.length) {
            take(used++, hi, lo, 0, w);
        } else {
            take(min, hi, lo, count[min], w);
        }
    }

    /** Gives the slot to (hi, lo) with {@code w} counts over {@code error}: a key taking a slot over may have had up to the old count before. */
    private void take(int slot, long hi, long lo, long error, long w) {
        this.hi[slot] = hi;
        this.lo[slot] = lo;
        this.error[slot] = error;
        count[slot] = error + w;
        for (long[] e : extra) {
            e[slot] = 0;
        }
    }

    /** Counts {@code w} on the (first) extra counter of (hi, lo), when it is in the table. */
    void addExtra(long hi, long lo, long w) {
        addExtra(0, hi, lo, w);
    }

    /** Counts {@code w} on the extra counter {@code k} of (hi, lo), when it is in the table. */
    void addExtra(int k, long hi, long lo, long w) {
        for (int i = 0; i < used; i++) {
            if (this.hi[i] == hi && this.lo[i] == lo) {
                extra[k][i] += w;
                return;
            }
        }
    }

    /** Slots in use: 0 to size() - 1. */
    int size() {
        return used;
    }

    long hi(int slot) {
        return hi[slot];
    }

    long lo(int slot) {
        return lo[slot];
    }

    long count(int slot) {
        return count[slot];
    }

    /** The count the slot's key certainly has: its count minus the over-estimate. */
    long sure(int slot) {
        return count[slot] - error[slot];
    }

    long extra(int slot) {
        return extra(0, slot);
    }

    long extra(int k, int slot) {
        return extra[k][slot];
    }

    /** The slot's key as an address. */
    String address(int slot) {
        return Addresses.text(hi[slot], lo[slot]);
    }

    /** The slots {@code keep} accepts, most counted first (ties in slot order). */
    List<Integer> byCount(IntPredicate keep) {
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < used; i++) {
            if (keep.test(i)) {
                slots.add(i);
            }
        }
        slots.sort((a, b) -> Long.compare(count[b], count[a]));
        return slots;
    }
}
