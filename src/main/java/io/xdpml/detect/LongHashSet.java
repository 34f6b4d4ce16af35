package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.util.Arrays;

/**
 * A set of longs by open addressing (linear probing), cleared in place: the detectors' distinct
 * counters ("has this source probed this port in this window?") without boxing. The value 0 is
 * kept apart since it marks an empty slot.
 *
 * <p>A value's slot is its hash salted per set (since 2026-12-06; before, the plain hash): the values
 * are attacker-chosen (4-tuples, host pairs from spoofed addresses), and one who knows the plain hash
 * could send values that all fall on one run of slots and make every look-up walk it.
 */
final class LongHashSet {
    /** Drawn once per set (a fixed salt in the source is known to all); nothing is drawn per operation. */
    private final long slotSalt = Salts.next();
    private long[] slots;
    private int size;
    private boolean hasZero;
    /** At most this many values are kept; more are refused (counted). */
    private final int maxSize;
    private long refused;

    LongHashSet(int initialCapacity) {
        this(initialCapacity, Integer.MAX_VALUE);
    }

    /** A set of at most {@code maxSize} values: full, {@link #add} keeps no new value and counts it in {@link #refused()}. */
    LongHashSet(int initialCapacity, int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be at least 1: " + maxSize);
        }
        slots = new long[Integer.highestOneBit(Math.max(16, Math.min(initialCapacity, maxSize)) * 2 - 1)];
        this.maxSize = maxSize;
    }

    private int slot(long v, int mask) {
        return (int) Addresses.mix(v ^ slotSalt) & mask;
    }

    /** The slot {@code v} is looked for first (for tests). */
    int homeSlot(long v) {
        return slot(v, slots.length - 1);
    }

    /** The table's slots (for tests). */
    int capacity() {
        return slots.length;
    }

    /** Values not kept because the set was full, since the start. */
    long refused() {
        return refused;
    }

    boolean full() {
        return size >= maxSize;
    }

    /** Adds {@code v}; true when it was not there and was kept (a full set keeps no new value: false). */
    boolean add(long v) {
        if (v == 0) {
            if (hasZero) {
                return false;
            }
            if (size >= maxSize) {
                refused++;
                return false;
            }
            hasZero = true;
            size++;
            return true;
        }
        int mask = slots.length - 1;
        int i = slot(v, mask);
        while (true) {
            long s = slots[i];
            if (s == 0) {
                if (size >= maxSize) {
                    refused++;
                    return false;
                }
                slots[i] = v;
                if (++size * 2 > slots.length) {
                    grow();
                }
                return true;
            }
            if (s == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    boolean contains(long v) {
        if (v == 0) {
            return hasZero;
        }
        int mask = slots.length - 1;
        int i = slot(v, mask);
        while (true) {
            long s = slots[i];
            if (s == 0) {
                return false;
            }
            if (s == v) {
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    void clear() {
        if (slots.length > 256 && size * 8L < slots.length) {
            // a burst grew the table: shrink it rather than fill it at every window end
            slots = new long[Integer.highestOneBit(Math.max(16, size * 4) * 2 - 1)];
        } else if (size > 0) {
            Arrays.fill(slots, 0);
        }
        size = 0;
        hasZero = false;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long v : old) {
            if (v != 0) {
                int i = slot(v, mask);
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = v;
            }
        }
    }
}
