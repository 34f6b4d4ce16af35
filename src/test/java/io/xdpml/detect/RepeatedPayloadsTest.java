package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link RepeatedPayloads} picks a source's slot by a hash salted per instance (since 2026-12-06;
 * before, the plain hash, so a scanner could send from a second address sharing its slot between
 * its probes, each taking the slot over, and no repeat was ever seen).
 */
class RepeatedPayloadsTest {
    @Test
    void sourcesSharingASlotUnderThePlainHashDoNotShareOneInAnInstance() {
        long a = Addresses.keyV4(SpoofedTraffic.ip("203.0.113.7"));
        long b = 0;
        for (int x = 1; b == 0; x++) {
            long k = Addresses.keyV4(SpoofedTraffic.ip("198.51.100.0") + x);
            if (((Addresses.mix(k) ^ Addresses.mix(a)) & (RepeatedPayloads.SLOTS - 1)) == 0) {
                b = k;
            }
        }
        int shared = 0;
        for (int i = 0; i < 50; i++) {
            RepeatedPayloads r = new RepeatedPayloads();
            if (r.slot(a) == r.slot(b)) {
                shared++;
            }
        }
        assertThat(shared).as("instances of 50 where the two share a slot (1 in 4,096 by chance)").isLessThanOrEqualTo(3);
    }
}
