package io.xdpml.util;

/**
 * Sampling 1 in N by packet, as the XDP program's sample stage chooses (deliver.h, xdpml_sample_stage):
 * the packet counted {@code seen} (from 0) is chosen when {@code seen * STRIDE < below(N)}, unsigned,
 * mod 2^64. {@code seen * STRIDE} visits the counter's values in Weyl's low-discrepancy order (the
 * stride is 2^64 over the golden ratio, odd: a permutation of the 2^64 values), so any run of packets
 * has 1 in N chosen within a few, the first packet included, and the choice has no period for traffic
 * to fall in step with. A count {@code seen % N == 0} (before 2026-12-07) does: a connection flood
 * sending SYN, ACK, SYN, ACK sampled 1 in an even N gave Java its SYNs alone, never a handshake's ACK.
 */
public final class PacketSampling {
    /** 2^64 / the golden ratio, rounded to odd (XDPML_SAMPLE_STRIDE). */
    public static final long STRIDE = 0x9E3779B97F4A7C15L;

    private PacketSampling() {
    }

    /** 2^64 / n rounded up, unsigned (what {@link #chosen} compares with); 0 for n <= 1 (every packet: not compared). */
    public static long below(int n) {
        return n <= 1 ? 0 : Long.divideUnsigned(-1L, n) + 1;
    }

    /** How many of the packets counted 0 to {@code packets - 1} are chosen, 1 in {@code n}: what one CPU's stage hands over. */
    public static long chosenAmong(long packets, int n) {
        long below = below(n);
        long chosen = 0;
        for (long seen = 0; seen < packets; seen++) {
            chosen += chosen(seen, n, below) ? 1 : 0;
        }
        return chosen;
    }

    /** Whether the packet counted {@code seen} is chosen, 1 in {@code n}, {@code below} = {@link #below}(n). */
    public static boolean chosen(long seen, int n, long below) {
        return n <= 1 || Long.compareUnsigned(seen * STRIDE, below) < 0;
    }
}
