package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The membership sets of reflection's requests and slowscan's heard datagrams (since 2026-12-06;
 * before, uncapped): exact up to their cap, then a Bloom filter whose only error is a key never
 * added found (the direction the detectors can afford: an attack under-counted, no benign host
 * reported), at the rate the set says.
 */
class BoundedMembershipTest {
    @Test
    void underItsCapTheSetIsExact() {
        BoundedMembership set = new BoundedMembership(10_000, 16);
        SplittableRandom rnd = new SplittableRandom(1);
        addRandomKeys(set, rnd, 10_000);
        int found = 0;
        for (int i = 0; i < 200_000; i++) {
            found += set.contains(rnd.nextLong()) ? 1 : 0;
        }
        assertThat(found).as("keys never added found").isZero();
        assertThat(set.filtered()).isZero();
        assertThat(set.falsePositiveRate()).isZero();
    }

    /**
     * 1,000 keys kept exactly, 9,000 more in a filter of 65,536 bits: every key added is found, and
     * keys never added are found at the rate the set states (about 3.9% here), measured on 400,000.
     */
    @Test
    void pastItsCapNoKeyIsLostAndTheFalsePositiveRateIsTheOneStated() {
        BoundedMembership set = new BoundedMembership(1_000, 16);
        SplittableRandom rnd = new SplittableRandom(2);
        long[] keys = addRandomKeys(set, rnd, 10_000);
        assertThat(set.exactSize()).isEqualTo(1_000);
        assertThat(set.filtered()).isEqualTo(9_000);
        int found = 0;
        int trials = 400_000;
        for (int i = 0; i < trials; i++) {
            found += set.contains(rnd.nextLong()) ? 1 : 0;
        }
        double stated = set.falsePositiveRate();
        // (1 - e^(-3 * 9,000 / 65,536))^3: what a Bloom filter of this load gives
        assertThat(stated).isCloseTo(Math.pow(1 - Math.exp(-3.0 * 9_000 / 65_536), 3), org.assertj.core.data.Offset.offset(0.004));
        assertThat((double) found / trials).as("measured against stated %.4f", stated).isCloseTo(stated,
                org.assertj.core.data.Percentage.withPercentage(10));
        assertThat(BoundedMembership.filteredReason(set, new BoundedMembership(1_000, 16), "requests", "unsolicited responses read as solicited"))
                .matches("9,000 requests past the 1,000 kept exactly held in a Bloom filter \\(false positive rate up to 3\\.\\d\\d%\\): that share of "
                        + "unsolicited responses read as solicited at most, none the other way");
        set.clear();
        assertThat(set.filtered()).isZero();
        assertThat(set.exactSize()).isZero();
        assertThat(set.contains(keys[5_000])).isFalse();
    }

    /** Adds {@code n} random keys and checks that each is found (no false negative); the keys. */
    private static long[] addRandomKeys(BoundedMembership set, SplittableRandom rnd, int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = rnd.nextLong();
            set.add(keys[i]);
        }
        for (long k : keys) {
            assertThat(set.contains(k)).as("no false negative").isTrue();
        }
        return keys;
    }
}
