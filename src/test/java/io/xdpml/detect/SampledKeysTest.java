package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SampledKeys}, the window sets capped by hash sampling (since 2026-12-06), against a
 * {@link HashMap} of every key: what it keeps is exactly the keys of the sample at its level, with
 * their flags, and the counts weighed by its level are estimates within their error.
 */
class SampledKeysTest {
    @Test
    void keepsExactlyTheSampleWithItsFlagsAsTheLevelRises() {
        SplittableRandom rnd = new SplittableRandom(11);
        SampledKeys set = new SampledKeys(16, 1000);
        Map<Long, Integer> all = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            // few distinct small values (0 among them, runs of neighbours in the table), and random ones
            long k = i % 3 == 0 ? rnd.nextInt(50) : rnd.nextLong();
            int bits = 2 << rnd.nextInt(4);
            if (set.inSample(k)) {
                int before = set.flags(k);
                assertThat(before).as("flags of %d before marking", k).isEqualTo(all.containsKey(k) && set.inSample(k) ? all.get(k) : 0);
            }
            set.mark(k, bits);
            all.merge(k, bits | SampledKeys.PRESENT, (a, b) -> a | b);
            assertThat(set.size()).isLessThanOrEqualTo(1000);
        }
        assertThat(set.level()).as("200,000 keys in a set of 1,000").isGreaterThanOrEqualTo(7);
        int inSample = 0;
        for (Map.Entry<Long, Integer> e : all.entrySet()) {
            if (set.inSample(e.getKey())) {
                inSample++;
                assertThat(set.flags(e.getKey())).as("a key of the sample keeps its flags").isEqualTo(e.getValue());
            } else {
                assertThat(set.flags(e.getKey())).as("a key out of the sample is gone").isZero();
            }
        }
        assertThat(set.size()).as("exactly the keys of the sample").isEqualTo(inSample);
        assertThat(set.capacity()).as("slots").isLessThanOrEqualTo(2048);
        set.clear();
        assertThat(set.level()).isZero();
        assertThat(set.size()).isZero();
        assertThat(set.flags(1)).isZero();
    }

    /** Below its cap it is a plain set: every key kept, each new one counted once. */
    @Test
    void belowTheCapEveryKeyCountsOnce() {
        SampledKeys set = new SampledKeys(16, 10_000);
        long counted = 0;
        for (int i = 0; i < 30_000; i++) {
            counted += set.add(i % 10_000);
        }
        assertThat(counted).isEqualTo(10_000);
        assertThat(set.level()).isZero();
        assertThat(set.maxLevelNow()).isZero();
    }

    /** 300,000 distinct keys, each seen three times, in a set of 4,096: the weighed count is within 5% of 300,000. */
    @Test
    void weighedCountsEstimateTheDistinctKeys() {
        SampledKeys set = new SampledKeys(16, 4096);
        SplittableRandom rnd = new SplittableRandom(5);
        long[] keys = new long[300_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = rnd.nextLong();
        }
        long estimate = 0;
        for (int pass = 0; pass < 3; pass++) {
            for (long k : keys) {
                estimate += set.add(k);
            }
        }
        assertThat(set.level()).isGreaterThanOrEqualTo(6);
        assertThat((double) estimate).isBetween(285_000.0, 315_000.0);
    }

    /**
     * Keys chosen to share one slot under the plain hash (what one who reads the source can compute)
     * are spread over the table of a set, whose slots are salted at random (since 2026-12-06; before,
     * they all landed on one run of slots and every look-up walked it).
     */
    @Test
    void keysCraftedToCollideUnderThePlainHashAreSpread() {
        SampledKeys set = new SampledKeys(16_384, 1 << 20);
        int mask = set.capacity() - 1;
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        int crafted = 0;
        for (long k = 1; crafted < 200; k++) {
            if ((Addresses.mix(k) & mask) == 0) {
                crafted++;
                slots.add(set.homeSlot(k));
            }
        }
        assertThat(slots.size()).as("distinct slots of 200 keys that share one under the plain hash").isGreaterThan(150);
    }
}
