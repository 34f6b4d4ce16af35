package io.xdpml.detect;

/**
 * What a detector keeps per subject (a scanner, a victim; a field of the subject's entry) to
 * report it before its window closes, when its configuration's {@code earlyNanos} is more than 0. Once the subject's counts first reach
 * the detector's floors, it is looked at {@code earlyNanos} later (so that what it was sent had
 * that long to be answered: the reply ratios count the answers), then every {@code earlyNanos}
 * while its packets come, until a look reports it; then not again in that window. The window's
 * end judges it as always, with the whole window's numbers ({@link DetectorSet} merges the two
 * reports into one detection). A detector makes new subjects in each window, so this state starts
 * afresh with each.
 *
 * <pre>
 *   floors reached at c      look at c+early     look at c+2*early ... report   window ends
 *   ------|-------------------|-------------------|------------------|----------|-----------
 *                              (a look that fails waits early again)   (no more looks)
 * </pre>
 */
final class EarlyLook {
    /** 0: the floors were not reached yet; otherwise the packet time of the next look. */
    private long lookAt;
    private boolean reported;

    /**
     * Called with the subject's floors reached at packet time {@code t}: whether to look at it now.
     *
     * @param early the detector's {@code earlyNanos}; 0: never (reports at the window's end only)
     */
    final boolean dueEarly(long t, long early) {
        if (early <= 0 || reported) {
            return false;
        }
        if (lookAt == 0) {
            lookAt = Math.max(1, later(t, early));
            return false;
        }
        if (t < lookAt) {
            return false;
        }
        lookAt = later(t, early);
        return true;
    }

    /**
     * {@code t + early}, or Long.MAX_VALUE where that would overflow: every Config accepts any
     * earlyNanos, and a wrapped sum would look at once (until 2026-12-06 it did) where it means never.
     */
    private static long later(long t, long early) {
        long at = t + early;
        return at < t ? Long.MAX_VALUE : at; // early > 0: it can only overflow upwards
    }

    /** The look reported it: no more looks in this window. */
    final void reportedEarly() {
        reported = true;
    }
}
