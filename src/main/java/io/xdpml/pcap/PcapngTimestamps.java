package io.xdpml.pcap;

/**
 * Conversion of pcapng timestamps (an unsigned 64-bit count of units of {@code if_tsresol}) to
 * nanoseconds. {@code if_tsresol} is one byte: most significant bit clear, the unit is 10^-v s; set,
 * the unit is 2^-v s (v = the low 7 bits). A timestamp past what nanoseconds in a long hold (the
 * year 2262) throws {@link ArithmeticException}; units finer than 1 ns are truncated towards zero.
 */
final class PcapngTimestamps {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        long p = 1;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = p;
            p *= 10;
        }
    }

    private PcapngTimestamps() {}

    /**
     * Nanoseconds for {@code ticks} (unsigned) units of resolution {@code tsresol} (the option byte).
     *
     * @throws ArithmeticException if the result does not fit a long
     */
    static long toNanos(long ticks, int tsresol) {
        int v = tsresol & 0x7F;
        if ((tsresol & 0x80) == 0) {
            if (v <= 9) {
                return Math.multiplyExact(nonNegative(ticks), POWERS_OF_TEN[9 - v]);
            }
            int e = v - 9;
            return e < POWERS_OF_TEN.length ? Long.divideUnsigned(ticks, POWERS_OF_TEN[e]) : 0;
        }
        // 2^-v seconds per tick: whole seconds, then the fraction scaled with a 128-bit product.
        long seconds = v >= 64 ? 0 : ticks >>> v;
        long fraction = v >= 64 ? ticks : ticks & ((1L << v) - 1);
        long hi = Math.unsignedMultiplyHigh(fraction, NANOS_PER_SECOND);
        long lo = fraction * NANOS_PER_SECOND;
        long fractionNanos;
        if (v == 0) {
            fractionNanos = 0;
        } else if (v < 64) {
            fractionNanos = (hi << (64 - v)) | (lo >>> v);
        } else {
            fractionNanos = v == 64 ? hi : hi >>> (v - 64);
        }
        return Math.addExact(Math.multiplyExact(nonNegative(seconds), NANOS_PER_SECOND), fractionNanos);
    }

    /** An unsigned count at or above 2^63 is too large in any unit of 1 ns or more. */
    private static long nonNegative(long unsigned) {
        if (unsigned < 0) {
            throw new ArithmeticException("long overflow");
        }
        return unsigned;
    }
}
