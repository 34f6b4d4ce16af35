package io.xdpml.detect;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Hands each detection of a {@link DetectorSet} to a listener once, as it appears: what a live
 * loop (print it, block its sources) polls between packets. Thread-safe: the set is read under
 * its own monitor, which is the lock live callers feed it under.
 */
public final class NewDetections {
    private final DetectorSet set;
    private final Set<String> seen = new HashSet<>();
    private long reportsSeen = -1;

    public NewDetections(DetectorSet set) {
        this.set = set;
    }

    /**
     * Calls {@code listener} with each detection not handed over yet; {@code finish} first ends the
     * input. Returns how many. Cheap when no detector reported since the last poll (a live loop
     * polls often).
     */
    public synchronized int poll(boolean finish, Consumer<Detection> listener) {
        List<Detection> all;
        synchronized (set) {
            if (finish) {
                set.finish();
            }
            if (set.reportsTotal() == reportsSeen) {
                return 0;
            }
            reportsSeen = set.reportsTotal();
            all = set.detections();
        }
        int n = 0;
        for (Detection d : all) {
            if (seen.add(key(d))) {
                listener.accept(d);
                n++;
            }
        }
        return n;
    }

    /** The detections whose last report is at {@code sinceNanos} (packet time) or later: those still going on. */
    public List<Detection> recent(long sinceNanos) {
        List<Detection> all;
        synchronized (set) {
            all = set.detections();
        }
        return all.stream().filter(d -> d.lastNanos() >= sinceNanos).toList();
    }

    /**
     * Forgets the detections last reported before {@code nanos} (DetectorSet.forgetBefore), and that
     * they were handed over: for a loop that runs for days. Returns how many.
     */
    public synchronized int forgetBefore(long nanos) {
        Set<String> kept = new HashSet<>();
        int n;
        synchronized (set) {
            n = set.forgetBefore(nanos);
            for (Detection d : set.detections()) {
                kept.add(key(d));
            }
        }
        seen.retainAll(kept);
        return n;
    }

    private static String key(Detection d) {
        // the target too, as DetectorSet keeps them apart: a window's early report and its end's may aim differently
        return d.detector() + ' ' + d.subject() + ' ' + d.timeNanos() + ' ' + d.target();
    }

    /** Detections handed over so far (those forgotten excepted). */
    public synchronized int count() {
        return seen.size();
    }
}
