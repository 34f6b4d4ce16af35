package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.util.Arrays;

/**
 * A window's set of keys (4-tuples, host pairs) of at most {@code maxSize} keys, each with a few
 * flag bits, kept by hash-based (distinct) sampling: a key is in the sample when the first
 * {@link #level()} bits of its sample hash are 0, one key in 2^level. While the set is below its
 * cap the level is 0 and every key is kept, exactly as a plain set. When it passes the cap the level
 * goes up by one and the keys now out of the sample are dropped in place, so it keeps about half.
 *
 * <p>Why not stop adding once full: every later key would then look new (a distinct count runs on)
 * or unseen (a SYN's tuple missing, its ACK no completion, its SYN-ACK unsolicited), and the counts
 * drift towards a report. Here a key's membership depends on its hash only, the same for every
 * packet with that key: a SYN's tuple and the ACK that completes it are kept or dropped together,
 * and the samples are nested (a key in the sample at a higher level was in it at every lower one).
 * So a count made of events on keys found in the sample, each counted {@link #weight()} times as of
 * the event (Horvitz-Thompson), is an unbiased estimate of the count over all keys: an event is
 * seen with probability 2^-level and counts 2^level. No allocation but the table's own growth.
 */
final class SampledKeys {
    /** Set on every stored key, so that {@link #flags} tells a stored key (never 0) from an absent one (0). */
    static final int PRESENT = 1;
    /**
     * Drawn per set: one who knows the sample hash could send keys that all stay in the sample and
     * drive the level up until the real traffic's keys are sampled 1 in thousands (a fixed salt in
     * the source is known to all).
     */
    private final long salt;
    /**
     * Salts the slot a key takes in the table (drawn apart from {@link #salt}): with the plain hash, one
     * who knows it could send keys that all fall on one run of slots and make every look-up walk it.
     */
    private final long slotSalt;

    private long[] keys;
    private byte[] flags;
    private int size;
    private boolean hasZero;
    private byte zeroFlags;
    private final int maxSize;
    private int level;
    private int maxLevelNow;
    private long dropped;

    SampledKeys(int initialCapacity, int maxSize) {
        this(initialCapacity, maxSize, Salts.next());
    }

    SampledKeys(int initialCapacity, int maxSize, long salt) {
        this.salt = salt;
        this.slotSalt = Addresses.mix(salt ^ 0x5bd1e9955bd1e995L);
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be at least 1: " + maxSize);
        }
        this.maxSize = maxSize;
        int n = Integer.highestOneBit(Math.max(16, Math.min(initialCapacity, maxSize)) * 2 - 1);
        keys = new long[n];
        flags = new byte[n];
    }

    private int slot(long k, int mask) {
        return (int) Addresses.mix(k ^ slotSalt) & mask;
    }

    /**
     * What a key counted {@code added} times ({@link #add}'s answer, 2^level as of then) adds to the
     * variance of the estimate it is counted into: w(w - 1) (Horvitz-Thompson, a key kept with
     * probability 1/w), 0 for a key counted once.
     */
    static long variance(long added) {
        return added * (added - 1);
    }

    /**
     * Whether a count reaches {@code threshold} in a way that may be held against a subject: its
     * {@code kept} keys alone reach it (each is at least one distinct key: certain), or its
     * {@code estimate} does with a standard deviation ({@code sqrt(variance)}) of at most a quarter
     * of it. At 1 in 2^level one kept key stands for 2^level: past a threshold's worth of level a
     * subject with one kept key would pass it. A quarter is 16 keys all counted at one weight; with
     * mixed weights the few heavy keys carry the error, which a count of kept keys does not see (a
     * host with 40 keys counted exactly and one counted 32 times after a flood raised the level reads
     * 72, on 41 kept keys; its deviation is 31: not held). Since 2026-12-06 (a review); before, 16
     * kept keys of any weight.
     */
    static boolean reaches(long estimate, long kept, long variance, long threshold) {
        if (kept >= threshold) {
            return true;
        }
        return estimate >= threshold && trusted(estimate, variance);
    }

    /** Whether an estimate's standard deviation is at most a quarter of it (exact counts, variance 0, are). */
    static boolean trusted(long estimate, long variance) {
        return 16.0 * variance <= (double) estimate * estimate;
    }

    /**
     * What a report made from this set says when the set was sampled in this window (null when every
     * key was kept): {@code sampled 1 in 8 of the window's 4-tuples (synflood.maxTuples 1,048,576 reached): ... estimated}.
     */
    String sampledReason(String what, String setting, String estimated) {
        if (maxLevelNow == 0) {
            return null;
        }
        return "sampled 1 in " + Detections.count(1L << maxLevelNow) + " of the window's " + what + " (" + setting + " "
                + Detections.count(maxSize) + " reached): " + estimated + " estimated";
    }

    /** Whether {@code k} is in the current sample: the first {@code level} bits of its sample hash are 0. */
    boolean inSample(long k) {
        return level == 0 || Long.numberOfLeadingZeros(Addresses.mix(k ^ salt)) >= level;
    }

    /** How many keys a key of the sample stands for now: 2^level (1 while nothing was dropped). */
    long weight() {
        return 1L << level;
    }

    int level() {
        return level;
    }

    /** The highest level of this window (since the last {@link #clear}): 0 when every key was kept. */
    int maxLevelNow() {
        return maxLevelNow;
    }

    int size() {
        return size;
    }

    /** The slot {@code k} is looked for first (for tests). */
    int homeSlot(long k) {
        return slot(k, keys.length - 1);
    }

    /** The table's slots (for tests: the memory held, 9 bytes a slot). */
    int capacity() {
        return keys.length;
    }

    int maxSize() {
        return maxSize;
    }

    /** Keys dropped when the level went up, since the start. */
    long dropped() {
        return dropped;
    }

    /**
     * Adds {@code k} when it is in the sample and new: then the number of distinct keys it stands
     * for ({@link #weight()} as of now), else 0 (already there, or out of the sample).
     */
    long add(long k) {
        if (!inSample(k) || flags(k) != 0) {
            return 0;
        }
        long w = weight();
        mark(k, PRESENT);
        return w;
    }

    /** The flags of {@code k}: 0 when it is not kept (absent, or out of the sample), else with {@link #PRESENT}. */
    int flags(long k) {
        if (k == 0) {
            return hasZero ? zeroFlags : 0;
        }
        int mask = keys.length - 1;
        int i = slot(k, mask);
        while (true) {
            long s = keys[i];
            if (s == 0) {
                return 0;
            }
            if (s == k) {
                return flags[i];
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Sets {@code bits} on {@code k}, storing it when new, if it is in the sample; the flags it had
     * before (0: it was not there). Out of the sample it is not stored: 0. The set may drop keys
     * (this one too) when it passes its cap.
     */
    int mark(long k, int bits) {
        if (!inSample(k)) {
            return 0;
        }
        int b = bits | PRESENT;
        if (k == 0) {
            int old = hasZero ? zeroFlags : 0;
            if (!hasZero) {
                hasZero = true;
                size++;
            }
            zeroFlags = (byte) (old | b);
            if (old == 0) {
                trim();
            }
            return old;
        }
        int mask = keys.length - 1;
        int i = slot(k, mask);
        while (true) {
            long s = keys[i];
            if (s == 0) {
                keys[i] = k;
                flags[i] = (byte) b;
                if (++size * 2 > keys.length && size <= maxSize) {
                    grow();
                }
                trim();
                return 0;
            }
            if (s == k) {
                int old = flags[i];
                flags[i] = (byte) (old | b);
                return old;
            }
            i = (i + 1) & mask;
        }
    }

    /** Over the cap: raise the level until the keys left in the sample fit. */
    private void trim() {
        while (size > maxSize) {
            level++;
            maxLevelNow = Math.max(maxLevelNow, level);
            dropOutOfSample();
        }
    }

    private void dropOutOfSample() {
        if (hasZero && !inSample(0)) {
            hasZero = false;
            zeroFlags = 0;
            size--;
            dropped++;
        }
        int mask = keys.length - 1;
        // start after an empty slot (the table is at most half full): no run of keys wraps past the scan's start,
        // so a key moved back into a freed slot is always one the scan has yet to look at
        int start = 0;
        while (keys[start] != 0) {
            start++;
        }
        for (int n = 1; n <= keys.length; n++) {
            int p = (start + n) & mask;
            while (keys[p] != 0 && !inSample(keys[p])) {
                remove(p);
                size--;
                dropped++;
            }
        }
    }

    /** Empties slot {@code i} and moves back the keys after it that probed past it (linear probing's deletion). */
    private void remove(int i) {
        int mask = keys.length - 1;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            long k = keys[j];
            if (k == 0) {
                break;
            }
            int home = slot(k, mask);
            boolean staysPut = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!staysPut) {
                keys[i] = k;
                flags[i] = flags[j];
                i = j;
            }
        }
        keys[i] = 0;
        flags[i] = 0;
    }

    /** Empties the set for a new window, with every key kept again (level 0). */
    void clear() {
        if (keys.length > 256 && size * 8L < keys.length) {
            // a burst grew the table: shrink it rather than fill it at every window end
            int n = Integer.highestOneBit(Math.max(16, size * 4) * 2 - 1);
            keys = new long[n];
            flags = new byte[n];
        } else if (size > 0) {
            Arrays.fill(keys, 0);
            Arrays.fill(flags, (byte) 0);
        }
        size = 0;
        hasZero = false;
        zeroFlags = 0;
        level = 0;
        maxLevelNow = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        byte[] oldFlags = flags;
        keys = new long[oldKeys.length * 2];
        flags = new byte[keys.length];
        int mask = keys.length - 1;
        for (int o = 0; o < oldKeys.length; o++) {
            long v = oldKeys[o];
            if (v != 0) {
                int i = slot(v, mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = v;
                flags[i] = oldFlags[o];
            }
        }
    }
}
