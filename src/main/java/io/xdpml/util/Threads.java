package io.xdpml.util;

/** Joining threads that read native memory their owner frees after the join. */
public final class Threads {
    private Threads() {}

    /**
     * Joins every thread, an interrupt notwithstanding: an interrupt is kept for the caller (its flag
     * set again on return), not a reason to leave a thread running over memory the caller unmaps next.
     */
    public static void joinAll(Iterable<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
