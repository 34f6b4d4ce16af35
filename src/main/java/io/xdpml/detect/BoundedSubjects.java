package io.xdpml.detect;

import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * A detector's subjects (victims, destinations, scanners) in a table of at most {@code cap}
 * entries, so that a spoofed flood of new subjects cannot grow it without bound, nor fill it to
 * hide the one that matters.
 *
 * <p>Full, a new subject is counted in a {@link FrequencySketch} and takes the place of the weakest
 * (the smallest {@code weight}) of {@value #SAMPLE} entries looked at in turn, when its estimated
 * count so far is above that weight; otherwise it is not tracked (counted). So a subject that keeps
 * coming (the flood's victim, the scanner) gets in after a few packets whatever filled the table,
 * while the many that come once or twice replace each other. The caller gives the admitted entry
 * the estimate as a credit in its weight, so that it is not the next one out while its own counts
 * are still low. Nothing is allocated per packet here (the caller's new entry as before).
 */
final class BoundedSubjects<V> {
    static final int SAMPLE = 8;
    private final LongObjectMap<V> map;
    private final int cap;
    private final ToLongFunction<V> weight;
    private final FrequencySketch sketch;
    private long evicted;
    private long untracked;
    private long evictedNow;
    private long untrackedNow;

    /** @param weight how active an entry is (its counts, plus the credit it was admitted with) */
    BoundedSubjects(int cap, ToLongFunction<V> weight) {
        if (cap < 1) {
            throw new IllegalArgumentException("cap must be at least 1: " + cap);
        }
        this.map = new LongObjectMap<>(Math.min(cap, 1024));
        this.cap = cap;
        this.weight = weight;
        this.sketch = new FrequencySketch(Math.min(cap, 32_768) * 2);
    }

    V get(long key) {
        return map.get(key);
    }

    /**
     * Makes room for a new subject {@code key}: -1 when it is not to be tracked (counted), else the
     * credit to give its entry (0 while the table has room), which the caller then puts.
     */
    long admit(long key) {
        if (map.size() < cap) {
            return 0;
        }
        int estimate = sketch.add(key);
        long weakest = map.weakestOfSample(weight, SAMPLE);
        if (estimate > weight.applyAsLong(map.get(weakest))) {
            map.remove(weakest);
            evicted++;
            evictedNow++;
            return estimate;
        }
        untracked++;
        untrackedNow++;
        return -1;
    }

    void put(long key, V value) {
        map.putNew(key, value);
    }

    V remove(long key) {
        return map.remove(key);
    }

    int size() {
        return map.size();
    }

    int cap() {
        return cap;
    }

    void forEach(Consumer<V> action) {
        map.forEach(action);
    }

    LongObjectMap<V> map() {
        return map;
    }

    /** Empties the table and the sketch for a new window (the totals stay). */
    void clear() {
        map.clear();
        sketch.clear();
        evictedNow = 0;
        untrackedNow = 0;
    }

    /** Ends an epoch of a table that outlives windows: old estimates fade, the window's counts restart. */
    void fade() {
        sketch.halve();
        evictedNow = 0;
        untrackedNow = 0;
    }

    /** Subjects that took the place of a weaker one, since the start. */
    long evicted() {
        return evicted;
    }

    /** New subjects not tracked because the table was full of stronger ones, since the start. */
    long untracked() {
        return untracked;
    }

    /**
     * A reason for a report made while the table was full in this window (null when it was not):
     * what it dropped, and the setting that sizes it.
     */
    String fullReason(String subjects, String setting) {
        if (evictedNow == 0 && untrackedNow == 0) {
            return null;
        }
        return "table of " + Detections.count(cap) + " " + subjects + " full (" + setting + "): " + Detections.count(evictedNow)
                + " least active dropped, " + Detections.count(untrackedNow) + " new ones not tracked in this window";
    }
}
