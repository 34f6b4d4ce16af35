package io.xdpml.firewall;

import io.xdpml.detect.Addresses;
import io.xdpml.util.Salts;
import java.util.function.BiConsumer;

/**
 * A hash table from keys of a fixed number of long words to values of a fixed number of longs, by
 * open addressing (linear probing, removal by backward shift), holding at most {@link #capacity}
 * keys and evicting the least recently used one to make room: the Java firewall's connections and
 * sources' buckets, bounded as the kernel's LRU hash maps {@code xdpml_fw_ct} and
 * {@code xdpml_fw_rate} are by their {@code max_entries}, and its own addresses (unbounded), keyed
 * by the words of their binary keys as the kernel's maps are. {@link #get} and {@link #put} of a
 * key make it the most recently used; the order is a doubly linked list threaded through two int
 * arrays indexed by slot (nothing allocated per operation). Every slot's value array is made with
 * the table (and when it grows, at half full, doubling, up to twice the capacity), so {@link #get},
 * {@link #put} and {@link #remove} allocate nothing once it has grown to its size. Not thread-safe.
 *
 * <p>A key's slot is its hash salted per table, as in {@code detect.LongHashSet}: the keys are
 * attacker-chosen (addresses and ports), and one who knows the plain hash could send keys that all
 * fall on one run of slots and make every look-up walk it.
 */
final class FixedKeyTable {
    /** No bound: the table grows as long as keys come. */
    static final int UNBOUNDED = Integer.MAX_VALUE;
    private static final int NONE = -1;

    /** Drawn once per table; nothing is drawn per operation. */
    private final long salt = Salts.next();
    private final int keyWords;
    private final int valueWords;
    private final int capacity;
    private long[] keys;     // keyWords per slot
    private long[][] values; // one array of valueWords per slot, made in advance
    private boolean[] used;
    /** The use order by slot: newer towards {@link #newest}, older towards {@link #oldest}. */
    private int[] newer;
    private int[] older;
    private int newest = NONE;
    private int oldest = NONE;
    private int size;
    private long evictions;

    /** An unbounded table of keys of {@code keyWords} words and values of {@code valueWords}, room for {@code initialCapacity} before it grows. */
    FixedKeyTable(int keyWords, int valueWords, int initialCapacity) {
        this(keyWords, valueWords, initialCapacity, UNBOUNDED);
    }

    /**
     * A table of at most {@code capacity} keys ({@link #UNBOUNDED}: no bound), room for
     * {@code initialCapacity} (at most the capacity) before it grows.
     */
    FixedKeyTable(int keyWords, int valueWords, int initialCapacity, int capacity) {
        if (keyWords < 1 || valueWords < 0) {
            throw new IllegalArgumentException("key of " + keyWords + " words, value of " + valueWords);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("a capacity of " + capacity + " keys");
        }
        this.keyWords = keyWords;
        this.valueWords = valueWords;
        this.capacity = capacity;
        allocate(Integer.highestOneBit(Math.max(16, Math.min(initialCapacity, capacity)) * 2 - 1) * 2);
    }

    private void allocate(int slots) {
        keys = new long[slots * keyWords];
        values = new long[slots][valueWords];
        used = new boolean[slots];
        newer = new int[slots];
        older = new int[slots];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The most keys it holds; {@link #UNBOUNDED} when it has no bound. */
    int capacity() {
        return capacity;
    }

    /** How many keys were evicted to make room for others since it was made. */
    long evictions() {
        return evictions;
    }

    /** The slots the table has now (its memory: it never has more than twice the capacity, rounded up to a power of two, and 32). */
    int slots() {
        return used.length;
    }

    /** The value of the key in the first {@code keyWords} words of {@code key} (now the most recently used), or null when it has none. */
    long[] get(long[] key) {
        int i = slotOf(key);
        if (i < 0) {
            return null;
        }
        touch(i);
        return values[i];
    }

    /**
     * The value of the key, added when absent (evicting the least recently used key when the table
     * holds its capacity); the key is now the most recently used. The caller sets every word of it
     * (a new key's value holds zeros, an old one's what it held). An array returned before for an
     * evicted key then belongs to no key, or to another.
     */
    long[] put(long[] key) {
        int i = slotOf(key);
        if (i >= 0) {
            touch(i);
            return values[i];
        }
        if (size == capacity) {
            removeSlot(oldest);
            evictions++;
        }
        int mask = used.length - 1;
        i = home(key, 0, mask);
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        System.arraycopy(key, 0, keys, i * keyWords, keyWords);
        long[] v = values[i];
        java.util.Arrays.fill(v, 0); // a removed key's array is reused
        linkNewest(i);
        if (++size * 2 > used.length && used.length < 2L * capacity) {
            grow();
        }
        return v;
    }

    /** Removes the key; false when it had none. */
    boolean remove(long[] key) {
        int i = slotOf(key);
        if (i < 0) {
            return false;
        }
        removeSlot(i);
        return true;
    }

    /** Empties the table (its value arrays are kept for the next keys). */
    void clear() {
        java.util.Arrays.fill(used, false);
        for (long[] v : values) {
            java.util.Arrays.fill(v, 0);
        }
        newest = NONE;
        oldest = NONE;
        size = 0;
    }

    /** Each key (a copy of its words) and its value (the table's own array), oldest use first; allocates, changes no order. */
    void forEach(BiConsumer<long[], long[]> action) {
        for (int i = oldest; i != NONE; i = newer[i]) {
            action.accept(java.util.Arrays.copyOfRange(keys, i * keyWords, (i + 1) * keyWords), values[i]);
        }
    }

    private void touch(int i) {
        if (i != newest) {
            unlink(i);
            linkNewest(i);
        }
    }

    private void linkNewest(int i) {
        join(newest, i);
        join(i, NONE);
    }

    private void unlink(int i) {
        join(older[i], newer[i]);
    }

    /** Makes {@code o} the next older than {@code n} ({@link #NONE}: {@code n} is the oldest, {@code o} the newest). */
    private void join(int o, int n) {
        if (n != NONE) {
            older[n] = o;
        } else {
            newest = o;
        }
        if (o != NONE) {
            newer[o] = n;
        } else {
            oldest = n;
        }
    }

    /**
     * Empties slot {@code hole} and moves later keys of its run back into it where their probe
     * allows (backward shift: no tombstones, so a table that evicts all day keeps short runs). A moved
     * key takes its value array and its place in the use order along.
     */
    private void removeSlot(int hole) {
        unlink(hole);
        long[] freed = values[hole];
        int mask = used.length - 1;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (!used[j]) {
                break;
            }
            int k = home(keys, j * keyWords, mask);
            // the key at j may move to the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? hole < k && k <= j : hole < k || k <= j;
            if (stays) {
                continue;
            }
            System.arraycopy(keys, j * keyWords, keys, hole * keyWords, keyWords);
            values[hole] = values[j];
            relink(j, hole);
            hole = j;
        }
        used[hole] = false;
        values[hole] = freed;
        size--;
    }

    /** The key at slot {@code from}, moved to slot {@code to}, keeps its place in the use order. */
    private void relink(int from, int to) {
        join(older[from], to);
        join(to, newer[from]);
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

    /** Doubles the slots, keeping each key's value array and the use order. */
    private void grow() {
        long[] oldKeys = keys;
        long[][] oldValues = values;
        int[] oldNewer = newer;
        int oldOldest = oldest;
        int slots = used.length * 2;
        keys = new long[slots * keyWords];
        values = new long[slots][];
        used = new boolean[slots];
        newer = new int[slots];
        older = new int[slots];
        newest = NONE;
        oldest = NONE;
        int mask = slots - 1;
        for (int j = oldOldest; j != NONE; j = oldNewer[j]) { // oldest first: linked newest in turn, the order is kept
            int i = home(oldKeys, j * keyWords, mask);
            while (used[i]) {
                i = (i + 1) & mask;
            }
            used[i] = true;
            System.arraycopy(oldKeys, j * keyWords, keys, i * keyWords, keyWords);
            values[i] = oldValues[j]; // the entry's array stays its own: a caller may hold it
            linkNewest(i);
        }
        for (int i = 0; i < slots; i++) {
            if (values[i] == null) {
                values[i] = new long[valueWords];
            }
        }
    }
}
