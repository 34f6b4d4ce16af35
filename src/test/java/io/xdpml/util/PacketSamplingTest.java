package io.xdpml.util;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sample stage's choice, 1 in N by a scrambled count (deliver.h; the kernel against it: DataPlaneParityTest). */
class PacketSamplingTest {

    @Test
    void everyPacketForOneAndTheFirstForAnyN() {
        for (long seen = 0; seen < 1000; seen++) {
            assertThat(PacketSampling.chosen(seen, 1, PacketSampling.below(1))).isTrue();
        }
        for (int n : new int[] {2, 3, 10, 100, 101, 1000, Integer.MAX_VALUE}) {
            assertThat(PacketSampling.chosen(0, n, PacketSampling.below(n))).as("the first packet, 1 in %d", n).isTrue();
        }
        assertThat(PacketSampling.below(2)).isEqualTo(Long.MIN_VALUE); // 2^63, unsigned
    }

    @Test
    void oneInNOfAnyRunWithinAFew() {
        for (int n : new int[] {2, 7, 10, 100, 101, 1000}) {
            long below = PacketSampling.below(n);
            for (long start : new long[] {0, 12_345, 1L << 40, -5_000_000L}) {
                for (int run : new int[] {1_000, 10_000, 1_000_000}) {
                    long chosen = 0;
                    for (long seen = start; seen != start + run; seen++) {
                        chosen += PacketSampling.chosen(seen, n, below) ? 1 : 0;
                    }
                    assertThat((double) chosen).as("1 in %d of %d from %d", n, run, start)
                            .isBetween((double) run / n - 3, (double) run / n + 3);
                }
            }
        }
    }

    /**
     * Traffic that repeats with a period dividing N (SYN, ACK; or a connection's five packets) has each of its packets
     * sampled alike. A count (seen % N == 0, before 2026-12-07) chose one phase only, every time.
     */
    @Test
    void noPeriodForTrafficToFallInStepWith() {
        for (int n : new int[] {10, 100, 1000}) {
            long below = PacketSampling.below(n);
            for (int period : new int[] {2, 5, 10}) {
                long[] byPhase = new long[period];
                int packets = 2_000_000;
                for (long seen = 0; seen < packets; seen++) {
                    if (PacketSampling.chosen(seen, n, below)) {
                        byPhase[(int) (seen % period)]++;
                    }
                }
                double each = (double) packets / n / period;
                for (int phase = 0; phase < period; phase++) {
                    assertThat((double) byPhase[phase]).as("1 in %d, period %d, phase %d", n, period, phase)
                            .isBetween(each * 0.9, each * 1.1);
                }
                long plainCount = 0; // the count this replaced: every sample in phase 0
                for (long seen = 0; seen < packets; seen++) {
                    plainCount += seen % n == 0 && seen % period != 0 ? 1 : 0;
                }
                assertThat(plainCount).isZero();
            }
        }
    }
}
