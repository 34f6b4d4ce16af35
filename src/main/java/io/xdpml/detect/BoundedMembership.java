package io.xdpml.detect;

import io.xdpml.util.Salts;

/**
 * A membership set of a window's keys with bounded memory, for the sets that tell an answer from a
 * request ({@code reflection}'s requests, {@code slowscan}'s heard datagrams), which a hash sample
 * cannot replace: their key is (host, its port, the other port), so every response of a reflection
 * to one port of its victim shares one key, and a sample would keep or lose the whole attack.
 *
 * <p>The first {@code maxExact} keys are kept exactly (a {@link LongHashSet}); past them, new keys
 * go to a Bloom filter of {@code 2^filterBits} bits and {@value #HASHES} salted hashes (allocated
 * with the set, at most 2 MB; nothing per key). A key added is always found again (no false
 * negative); a key never added is found only by the filter's false positives, whose rate is
 * {@link #falsePositiveRate()} = (bits set / bits)^{@value #HASHES}, exact for the filter as it is. So
 * the set errs one way only: a key wrongly found makes a response solicited (reflection) or a
 * datagram an answer (slowscan), never the other way round; under a flood large enough to fill the
 * filter an attack may be under-counted or missed, never a benign host reported because of it. The
 * detectors say so in their reports (the keys in the filter and its rate).
 */
final class BoundedMembership {
    static final int HASHES = 3;
    /** Keys kept exactly by default: 262,144 (at most 524,288 slots of 8 bytes, 4 MB). */
    static final int DEFAULT_EXACT = 262_144;
    /** Bits of the filter by default: 2^24 (2 MB): 1,000,000 keys past the exact ones give a rate of about 0.4%. */
    static final int DEFAULT_FILTER_BITS = 24;

    private final LongHashSet exact;
    /** Allocated at the first key past the exact ones, then kept (cleared with the set): none while a window stays under it. */
    private long[] filter;
    private final long mask;
    private final int maxExact;
    private final long salt = Salts.next();
    private long filtered;
    private long bitsSet;

    BoundedMembership() {
        this(DEFAULT_EXACT, DEFAULT_FILTER_BITS);
    }

    BoundedMembership(int maxExact, int filterBits) {
        if (filterBits < 6 || filterBits > 34) {
            throw new IllegalArgumentException("filter bits out of 6..34: " + filterBits);
        }
        exact = new LongHashSet(4096, maxExact);
        this.maxExact = maxExact;
        mask = (1L << filterBits) - 1;
    }

    void add(long key) {
        long refused = exact.refused();
        exact.add(key);
        if (exact.refused() == refused) {
            return;
        }
        // the exact set is full and did not hold it: into the filter (double hashing, Kirsch and Mitzenmacher)
        if (filter == null) {
            filter = new long[(int) ((mask + 1) >>> 6)];
        }
        filtered++;
        long h1 = Addresses.mix(key ^ salt);
        long h2 = Addresses.mix(h1) | 1;
        for (int i = 0; i < HASHES; i++) {
            long bit = (h1 + i * h2) & mask;
            long word = filter[(int) (bit >>> 6)];
            long m = 1L << bit;
            if ((word & m) == 0) {
                filter[(int) (bit >>> 6)] = word | m;
                bitsSet++;
            }
        }
    }

    boolean contains(long key) {
        if (exact.contains(key)) {
            return true;
        }
        if (filtered == 0) {
            return false;
        }
        long h1 = Addresses.mix(key ^ salt);
        long h2 = Addresses.mix(h1) | 1;
        for (int i = 0; i < HASHES; i++) {
            long bit = (h1 + i * h2) & mask;
            if ((filter[(int) (bit >>> 6)] & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Keys that went to the filter (not necessarily distinct) since the last {@link #clear()}. */
    long filtered() {
        return filtered;
    }

    /** The chance that a key never added is found, as the filter is now: (bits set / bits)^HASHES; 0 with the filter empty. */
    double falsePositiveRate() {
        return Math.pow((double) bitsSet / (mask + 1), HASHES);
    }

    /** Keys kept exactly. */
    int exactSize() {
        return exact.size();
    }

    /**
     * What the detectors add to a report made while {@code now} or {@code before} had keys in its
     * filter (null when neither did), e.g. "1,200,000 requests past the 262,144 kept exactly held in a
     * Bloom filter (false positive rate up to 0.62%): that share of unsolicited responses read as
     * solicited at most, none the other way".
     */
    static String filteredReason(BoundedMembership now, BoundedMembership before, String keys, String effect) {
        return filteredReason(now.filtered + before.filtered, Math.max(now.falsePositiveRate(), before.falsePositiveRate()), now.maxExact,
                keys, effect);
    }

    /** As {@link #filteredReason(BoundedMembership, BoundedMembership, String, String)}, from counts kept apart (null for none filtered). */
    static String filteredReason(long filtered, double rate, int maxExact, String keys, String effect) {
        if (filtered == 0) {
            return null;
        }
        return Detections.count(filtered) + " " + keys + " past the " + Detections.count(maxExact) + " kept exactly held in a Bloom filter"
                + " (false positive rate up to " + Detections.ratio(100 * rate) + "%): that share of " + effect + " at most, none the other way";
    }

    /** Keys kept exactly at most. */
    int maxExact() {
        return maxExact;
    }

    void clear() {
        exact.clear();
        if (bitsSet > 0) {
            java.util.Arrays.fill(filter, 0);
        }
        filtered = 0;
        bitsSet = 0;
    }
}
