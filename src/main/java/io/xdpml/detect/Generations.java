package io.xdpml.detect;

/**
 * Values remembered for one to two generations: the current generation's and the previous one's (at
 * most {@code maxPerGeneration} each), the older forgotten when a new generation begins. What the
 * detectors count once "for a while" without a time per value: a retransmitted SYN
 * ({@link ConnectionHorizon}), a connection seen at several censuses ({@code bruteforce}). Nothing is
 * allocated once the sets have grown.
 */
final class Generations {
    private LongHashSet current;
    private LongHashSet previous;
    /** The current generation; Long.MIN_VALUE before the first. */
    private long generation = Long.MIN_VALUE;

    Generations(int initialCapacity, int maxPerGeneration) {
        current = new LongHashSet(initialCapacity, maxPerGeneration);
        previous = new LongHashSet(initialCapacity, maxPerGeneration);
    }

    /** Moves to generation {@code g} (an earlier one is ignored): the next one keeps the current values as the previous; a later one forgets all. */
    void advanceTo(long g) {
        if (generation == Long.MIN_VALUE) {
            generation = g;
            return;
        }
        if (g <= generation) {
            return;
        }
        if (g == generation + 1) {
            LongHashSet t = previous;
            previous = current;
            current = t;
        } else {
            previous.clear();
        }
        current.clear();
        generation = g;
    }

    /** Whether {@code v} is remembered (this generation or the previous). */
    boolean contains(long v) {
        return current.contains(v) || previous.contains(v);
    }

    /** Remembers {@code v} in this generation; false when it was there already or the generation is full. */
    boolean add(long v) {
        return current.add(v);
    }

    /**
     * Whether {@code v} is new (not remembered), remembering it: false for a value seen this generation or the
     * previous, and for a new one that the full generation cannot keep.
     */
    boolean firstTime(long v) {
        return !previous.contains(v) && current.add(v);
    }
}
