package io.xdpml.firewall;

import io.xdpml.detect.Addresses;
import java.util.function.BiConsumer;

/**
 * A hash table from keys of a fixed number of long words to values of a fixed number of longs, by
 * open addressing (linear probing), without removal: the Java firewall's connections, sources'
 * buckets and own addresses, keyed by the words of their binary keys as the kernel's maps are.
 * Every slot's value array is made with the table (and when it grows, at half full, doubling), so
 * {@link #get} and {@link #put} allocate nothing until it grows. Not thread-safe.
 *
 * <p>A key's slot is its hash salted per table, as in {@code detect.LongHashSet}: the keys are
 * attacker-chosen (addresses and ports), and one who knows the plain hash could send keys that all
 * fall on one run of slots and make every look-up walk it.
 */
final class FixedKeyTable {
    /** Drawn once per table; nothing is drawn per operation. */
    private final long salt = new java.security.SecureRandom().nextLong();
    private final int keyWords;
    private final int valueWords;
    private long[] keys;     // keyWords per slot
    private long[][] values; // one array of valueWords per slot, made in advance
    private boolean[] used;
    private int size;

    /** A table of keys of {@code keyWords} words and values of {@code valueWords}, room for {@code initialCapacity} before it grows. */
    FixedKeyTable(int keyWords, int valueWords, int initialCapacity) {
        if (keyWords < 1 || valueWords < 0) {
            throw new IllegalArgumentException("key of " + keyWords + " words, value of " + valueWords);
        }
        this.keyWords = keyWords;
        this.valueWords = valueWords;
        allocate(Integer.highestOneBit(Math.max(16, initialCapacity) * 2 - 1) * 2);
    }

    private void allocate(int slots) {
        keys = new long[slots * keyWords];
        values = new long[slots][valueWords];
        used = new boolean[slots];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The value of the key in the first {@code keyWords} words of {@code key}, or null when it has none. */
    long[] get(long[] key) {
        int i = slotOf(key);
        return i < 0 ? null : values[i];
    }

    /**
     * The value of the key, added when absent: the caller sets every word of it (a new key's
     * value holds zeros, an old one's what it held).
     */
    long[] put(long[] key) {
        int i = slotOf(key);
        if (i >= 0) {
            return values[i];
        }
        int mask = used.length - 1;
        i = home(key, 0, mask);
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        System.arraycopy(key, 0, keys, i * keyWords, keyWords);
        long[] v = values[i];
        if (++size * 2 > used.length) {
            grow();
        }
        return v;
    }

    /** Empties the table (its value arrays are kept for the next keys). */
    void clear() {
        java.util.Arrays.fill(used, false);
        for (long[] v : values) {
            java.util.Arrays.fill(v, 0);
        }
        size = 0;
    }

    /** Each key (a copy of its words) and its value (the table's own array); allocates. */
    void forEach(BiConsumer<long[], long[]> action) {
        for (int i = 0; i < used.length; i++) {
            if (used[i]) {
                action.accept(java.util.Arrays.copyOfRange(keys, i * keyWords, (i + 1) * keyWords), values[i]);
            }
        }
    }

    private int slotOf(long[] key) {
        int mask = used.length - 1;
        int i = home(key, 0, mask);
        while (used[i]) {
            if (same(key, i)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private boolean same(long[] key, int slot) {
        int at = slot * keyWords;
        for (int w = 0; w < keyWords; w++) {
            if (keys[at + w] != key[w]) {
                return false;
            }
        }
        return true;
    }

    /** The slot the key of {@code keyWords} words at {@code k[from]} is looked for first. */
    private int home(long[] k, int from, int mask) {
        long h = salt;
        for (int w = 0; w < keyWords; w++) {
            h = Addresses.mix(h ^ k[from + w]);
        }
        return (int) h & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[][] oldValues = values;
        boolean[] oldUsed = used;
        int slots = oldUsed.length * 2;
        keys = new long[slots * keyWords];
        values = new long[slots][];
        used = new boolean[slots];
        int mask = slots - 1;
        for (int j = 0; j < oldUsed.length; j++) {
            if (oldUsed[j]) {
                int i = home(oldKeys, j * keyWords, mask);
                while (used[i]) {
                    i = (i + 1) & mask;
                }
                used[i] = true;
                System.arraycopy(oldKeys, j * keyWords, keys, i * keyWords, keyWords);
                values[i] = oldValues[j]; // the entry's array stays its own: a caller may hold it
            }
        }
        for (int i = 0; i < slots; i++) {
            if (values[i] == null) {
                values[i] = new long[valueWords];
            }
        }
    }
}
