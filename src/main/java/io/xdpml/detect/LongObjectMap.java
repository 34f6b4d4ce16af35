package io.xdpml.detect;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A map from long keys to values by open addressing (linear probing), cleared in place: per-subject
 * state of the detectors without boxing the key. Lookups allocate nothing; a new subject costs the
 * value its caller creates. Not thread-safe.
 */
public final class LongObjectMap<V> {
    private long[] keys;
    private Object[] values;
    private int size;

    public LongObjectMap(int initialCapacity) {
        int n = Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1);
        keys = new long[n];
        values = new Object[n];
    }

    @SuppressWarnings("unchecked")
    public V get(long key) {
        int mask = keys.length - 1;
        int i = (int) Addresses.mix(key) & mask;
        while (true) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == key) {
                return (V) v;
            }
            i = (i + 1) & mask;
        }
    }

    /** Puts a value for a key that is not in the map (check with {@link #get} first). */
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
