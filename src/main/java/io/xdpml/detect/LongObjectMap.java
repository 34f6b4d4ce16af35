package io.xdpml.detect;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A map from long keys to values by open addressing (linear probing), cleared in place: per-subject
 * state of the detectors without boxing the key. Lookups allocate nothing; a new subject costs the
 * value its caller creates. Not thread-safe.
 */
public final class LongObjectMap<V> {
    private long[] keys;
    private Object[] values;
    private int size;
    /** Where {@link #weakestOfSample} looks next. */
    private int hand;

    public LongObjectMap(int initialCapacity) {
        int n = Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1);
        keys = new long[n];
        values = new Object[n];
    }

    @SuppressWarnings("unchecked")
    public V get(long key) {
        int i = slotOf(key);
        return i < 0 ? null : (V) values[i];
    }

    /** The key's slot, or -1 when it is not in the map (linear probing from its hash to the first empty slot). */
    private int slotOf(long key) {
        int mask = keys.length - 1;
        int i = (int) Addresses.mix(key) & mask;
        while (values[i] != null) {
            if (keys[i] == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Adds a key that is not in the map (the caller checked with {@link #get}). */
    public void putNew(long key, V value) {
        int mask = keys.length - 1;
        int i = (int) Addresses.mix(key) & mask;
        while (values[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        if (++size * 2 > keys.length) {
            grow();
        }
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
        V v = (V) values[i];
        removeSlot(i);
        return v;
    }

    /** Empties slot {@code i} and moves later entries of its probe run back (linear probing has no tombstones). */
    private void removeSlot(int i) {
        int mask = keys.length - 1;
        values[i] = null;
        size--;
        int hole = i;
        int j = (i + 1) & mask;
        while (values[j] != null) {
            int home = (int) Addresses.mix(keys[j]) & mask;
            // the entry at j may fill the hole when its home is not within (hole, j] cyclically
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                values[j] = null;
                hole = j;
            }
            j = (j + 1) & mask;
        }
    }

    /**
     * The key of the entry with the smallest {@code weight} among the next {@code sample} entries
     * after a hand that moves on at each call (so every entry is looked at in turn, as a clock's
     * hand does); the map must not be empty. The weakest of a sample rather than of all: constant
     * cost per call, and an entry heavier than most is never chosen.
     */
    @SuppressWarnings("unchecked")
    long weakestOfSample(ToLongFunction<V> weight, int sample) {
        int mask = keys.length - 1;
        int i = hand;
        long bestKey = 0;
        long best = Long.MAX_VALUE;
        for (int seen = 0; seen < sample && seen < size; i = (i + 1) & mask) {
            Object v = values[i];
            if (v != null) {
                seen++;
                long w = weight.applyAsLong((V) v);
                if (w < best) {
                    best = w;
                    bestKey = keys[i];
                }
            }
        }
        hand = i;
        return bestKey;
    }

    /** Removes every entry {@code drop} accepts (a test without side effects: an entry may be tested twice); how many. */
    @SuppressWarnings("unchecked")
    int removeIf(Predicate<V> drop) {
        int removed = 0;
        for (int i = 0; i < values.length; i++) {
            while (values[i] != null && drop.test((V) values[i])) {
                removeSlot(i); // an entry moved back into slot i is tested in turn
                removed++;
            }
        }
        return removed;
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    void clear() {
        if (keys.length > 256 && size * 8L < keys.length) {
            // a burst grew the table: shrink it rather than fill it at every window end
            int n = Integer.highestOneBit(Math.max(16, size * 4) * 2 - 1);
            keys = new long[n];
            values = new Object[n];
        } else if (size > 0) {
            Arrays.fill(values, null);
        }
        size = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new Object[oldValues.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] != null) {
                int i = (int) Addresses.mix(oldKeys[j]) & mask;
                while (values[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
