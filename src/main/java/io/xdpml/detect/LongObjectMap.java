package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A map from long keys to values by open addressing (linear probing), cleared in place: per-subject
 * state of the detectors without boxing the key. Lookups allocate nothing; a new subject costs the
 * value its caller creates. Not thread-safe.
 *
 * <p>The entries are kept in two dense arrays (keys, values) in the order they came, a removal moving
 * the last entry into the removed one's place; the hash table holds their positions. A key's slot is
 * its hash salted per map with a random salt (since 2026-12-06; before, the plain hash, and the
 * entries lived in the slots): the keys are attacker-chosen (spoofed addresses, host pairs), and one
 * who knows the plain hash could send keys that all fall on one run of slots and make every look-up
 * walk it. Iteration ({@link #forEach}, {@link #removeIf}, {@link #weakestOfSample}) follows the dense
 * arrays, so it depends on the operations made, never on the salt: the same packets give the same
 * reports in the same order, and a full table evicts the same subjects, from run to run.
 */
public final class LongObjectMap<V> {
    /** Drawn once per map (a fixed salt in the source is known to all); nothing is drawn per operation. */
    private final long slotSalt;
    /** Per slot, 1 + the position of its entry in {@link #keys}/{@link #values}; 0 for an empty slot. */
    private int[] slots;
    private long[] keys;
    private Object[] values;
    private int size;
    /** Where {@link #weakestOfSample} looks next (a position in the dense arrays). */
    private int hand;

    public LongObjectMap(int initialCapacity) {
        this(initialCapacity, Salts.next());
    }

    /** A map whose slots are salted with {@code slotSalt} (tests: 0 is the plain hash of before). */
    LongObjectMap(int initialCapacity, long slotSalt) {
        this.slotSalt = slotSalt;
        allocate(Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1));
    }

    private void allocate(int n) {
        slots = new int[n];
        keys = new long[n / 2];
        values = new Object[n / 2];
    }

    private int home(long key, int mask) {
        return (int) Addresses.mix(key ^ slotSalt) & mask;
    }

    /** The slot {@code key} is looked for first (for tests). */
    int homeSlot(long key) {
        return home(key, slots.length - 1);
    }

    /** The table's slots (for tests). */
    int capacity() {
        return slots.length;
    }

    @SuppressWarnings("unchecked")
    public V get(long key) {
        int i = slotOf(key);
        return i < 0 ? null : (V) values[slots[i] - 1];
    }

    /** The key's slot, or -1 when it is not in the map (linear probing from its hash to the first empty slot). */
    private int slotOf(long key) {
        int mask = slots.length - 1;
        int i = home(key, mask);
        int p;
        while ((p = slots[i]) != 0) {
            if (keys[p - 1] == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Adds a key that is not in the map (the caller checked with {@link #get}). */
    public void putNew(long key, V value) {
        if (size == keys.length) {
            grow();
        }
        keys[size] = key;
        values[size] = value;
        size++;
        place(key, size);
    }

    /** Puts position {@code p} (1-based) of {@code key} in the first empty slot of its run. */
    private void place(long key, int p) {
        int mask = slots.length - 1;
        int i = home(key, mask);
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = p;
    }

    public int size() {
        return size;
    }

    /** Removes the key's entry; its value, or null when it had none. */
    @SuppressWarnings("unchecked")
    public V remove(long key) {
        int i = slotOf(key);
        if (i < 0) {
            return null;
        }
        V v = (V) values[slots[i] - 1];
        removeSlot(i);
        return v;
    }

    /**
     * Removes the entry of slot {@code i}: the last entry of the dense arrays takes its place there
     * (so a removal costs one probe run, whatever the size).
     */
    private void removeSlot(int i) {
        int at = slots[i] - 1;
        unlink(i);
        int last = --size;
        if (at != last) {
            move(last, at);
        }
        values[last] = null;
    }

    /** Empties slot {@code i} and moves later entries of its probe run back (linear probing has no tombstones). */
    private void unlink(int i) {
        int mask = slots.length - 1;
        slots[i] = 0;
        int hole = i;
        int j = (i + 1) & mask;
        int p;
        while ((p = slots[j]) != 0) {
            int home = home(keys[p - 1], mask);
            // the entry at j may fill the hole when its home is not within (hole, j] cyclically
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = p;
                slots[j] = 0;
                hole = j;
            }
            j = (j + 1) & mask;
        }
    }

    /** Moves the dense entry at {@code from} to {@code to} (a free place) and points its slot there. */
    private void move(int from, int to) {
        long key = keys[from];
        keys[to] = key;
        values[to] = values[from];
        int mask = slots.length - 1;
        int k = home(key, mask);
        while (slots[k] != from + 1) {
            k = (k + 1) & mask;
        }
        slots[k] = to + 1;
    }

    /**
     * The key of the entry with the smallest {@code weight} among the next {@code sample} entries
     * after a hand that moves on at each call (so every entry is looked at in turn, as a clock's
     * hand does); the map must not be empty. The weakest of a sample rather than of all: constant
     * cost per call, and an entry heavier than most is never chosen.
     */
    @SuppressWarnings("unchecked")
    long weakestOfSample(ToLongFunction<V> weight, int sample) {
        int i = hand;
        long bestKey = 0;
        long best = Long.MAX_VALUE;
        for (int seen = 0; seen < sample && seen < size; seen++, i++) {
            if (i >= size) {
                i = 0;
            }
            long w = weight.applyAsLong((V) values[i]);
            if (w < best) {
                best = w;
                bestKey = keys[i];
            }
        }
        hand = i;
        return bestKey;
    }

    /**
     * Removes every entry {@code drop} accepts (tested once each, in order); how many. The entries
     * kept keep their order (the dense arrays compacted in place).
     */
    @SuppressWarnings("unchecked")
    int removeIf(Predicate<V> drop) {
        int kept = 0;
        int n = size;
        for (int at = 0; at < n; at++) {
            if (drop.test((V) values[at])) {
                unlink(slotOf(keys[at]));
            } else {
                if (kept != at) {
                    move(at, kept);
                }
                kept++;
            }
        }
        Arrays.fill(values, kept, n, null);
        size = kept;
        return n - kept;
    }

    /** Every value, in the order of the dense arrays (the order the entries came, but for removals). */
    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (int at = 0; at < size; at++) {
            action.accept((V) values[at]);
        }
    }

    void clear() {
        if (slots.length > 256 && size * 8L < slots.length) {
            // a burst grew the table: shrink it rather than fill it at every window end
            allocate(Integer.highestOneBit(Math.max(16, size * 4) * 2 - 1));
        } else if (size > 0) {
            Arrays.fill(slots, 0);
            Arrays.fill(values, 0, size, null);
        }
        size = 0;
        hand = 0;
    }

    private void grow() {
        int n = slots.length * 2;
        slots = new int[n];
        keys = Arrays.copyOf(keys, n / 2);
        values = Arrays.copyOf(values, n / 2);
        for (int at = 0; at < size; at++) {
            place(keys[at], at + 1);
        }
    }
}
