package io.xdpml.util;

import java.security.SecureRandom;
import java.util.SplittableRandom;

/**
 * Where the detectors' hash tables and sketches get their salts: from the system's secure random
 * source (the agent's: nobody can aim a flood of keys at one bucket, or compute which targets share
 * a bit), or, inside {@link #seeded}, from a sequence fixed by a seed, so that {@code xdpml replay}
 * of a capture comes out the same every time. Salts only place keys in tables; with other salts a
 * detector may see collisions elsewhere, so a finding near its floor can come a packet sooner or
 * later, or not at all.
 *
 * <p>The seed belongs to the calling thread: a seeded replay does not fix another thread's salts.
 * One draw is not seeded: the process-wide secret of IPv6 keys ({@code Addresses}), drawn once.
 */
public final class Salts {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<SplittableRandom> SEEDED = new ThreadLocal<>();

    private Salts() {}

    /** A salt: the next of this thread's seeded sequence inside {@link #seeded}, else a secure random one. */
    public static long next() {
        SplittableRandom s = SEEDED.get();
        return s != null ? s.nextLong() : RANDOM.nextLong();
    }

    /** Something built or run while the salts come from a seed. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Makes {@code sequence} this thread's seeded sequence ({@code null}: none, secure random salts)
     * and returns the one it replaces, to be put back: several seeded sequences taking turns on one
     * thread, each drawn as if alone ({@code xdpml replay --per-host}: one per host's twin). Allocates nothing.
     */
    public static SplittableRandom swap(SplittableRandom sequence) {
        SplittableRandom was = SEEDED.get();
        if (sequence == null) {
            SEEDED.remove();
        } else {
            SEEDED.set(sequence);
        }
        return was;
    }

    /** Runs {@code work} with this thread's salts drawn from {@code seed} (the same seed, the same salts in the same order). */
    public static <T, E extends Exception> T seeded(long seed, Work<T, E> work) throws E {
        SplittableRandom outer = SEEDED.get();
        SEEDED.set(new SplittableRandom(seed));
        try {
            return work.run();
        } finally {
            if (outer == null) {
                SEEDED.remove();
            } else {
                SEEDED.set(outer);
            }
        }
    }
}
