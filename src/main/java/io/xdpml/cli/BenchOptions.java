package io.xdpml.cli;

import io.xdpml.kernel.TestRun;

/**
 * Checks of the options the {@code xdpml bench} commands share, before anything is loaded or a
 * namespace made: a count of 0 once ended in "Index 0 out of bounds", a --frames 0 ran and printed
 * NaN, a --size below the headers silently sent shorter frames than the table said (until 2026-12-06).
 */
final class BenchOptions {
    private BenchOptions() {}

    /** Refuses {@code value} below 1, naming the option. */
    static void requirePositive(String option, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be positive, not " + value);
        }
    }

    /**
     * The frame of {@code kind} of exactly {@code size} bytes, or a refusal naming the sizes that
     * exist: from the frame's headers to what a test run's (or live frame's) linear area holds.
     */
    static byte[] frame(BenchCommand.FrameKind kind, int size) {
        int headers = kind.build(0).length;
        if (size < headers || size > TestRun.maxTestRunFrame()) {
            throw new IllegalArgumentException("--size must be between " + headers + " and " + TestRun.maxTestRunFrame()
                    + " for --frame " + kind + ", not " + size);
        }
        return kind.build(size);
    }
}
