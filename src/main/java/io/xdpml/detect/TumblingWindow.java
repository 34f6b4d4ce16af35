package io.xdpml.detect;

/**
 * Consecutive windows of a fixed length in packet time: a window opens at the first packet after
 * the previous one closed (not at a multiple of the length, so an attack that starts just before
 * a round second is not split in two). Packets that arrive out of order (earlier than the open
 * window) count in the open window.
 */
final class TumblingWindow {
    private final long lengthNanos;
    private long start = Long.MIN_VALUE;
    private long first;
    private long last;

    TumblingWindow(long lengthNanos) {
        if (lengthNanos <= 0) {
            throw new IllegalArgumentException("window length must be positive: " + lengthNanos + " ns");
        }
        this.lengthNanos = lengthNanos;
    }

    /** Whether a window is open and {@code t} lies past its end (close it, then {@link #enter}). */
    boolean endsBefore(long t) {
        return start != Long.MIN_VALUE && t - start >= lengthNanos;
    }

    /** Counts a packet at {@code t} into the open window, opening one when none is. */
    void enter(long t) {
        if (start == Long.MIN_VALUE) {
            start = t;
            first = t;
            last = t;
        } else if (t > last) {
            last = t;
        }
    }

    /** Closes the open window. */
    void close() {
        start = Long.MIN_VALUE;
    }

    boolean isOpen() {
        return start != Long.MIN_VALUE;
    }

    long start() {
        return start;
    }

    long lengthNanos() {
        return lengthNanos;
    }

    /** Time between the window's first and last packet. */
    long spanNanos() {
        return last - first;
    }

    long first() {
        return first;
    }
}
