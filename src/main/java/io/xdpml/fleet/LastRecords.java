package io.xdpml.fleet;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The record of each key of the blocks topic that the blocks consumer last acted on (applied,
 * removed, or found ended): where it is in the topic (partition, offset) and what it holds (a
 * block, or a tombstone). A consumer that replays the topic after a failure meets every record
 * again; one at or before its key's place was acted on already, or is older than the one that was
 * (a tombstone of a block since published again, the block a later record replaced): it changes
 * nothing. A later record that holds what its key holds already (the same block, a tombstone after
 * a tombstone) changes nothing either. Offsets order the records of a key (a key's records share a
 * partition); they are compared only within the log they were read from: a partition whose offsets
 * start again (the topic deleted and created anew, a log truncated) has its places forgotten, and
 * its records are then compared by what they hold alone. Used on the consumer's thread only.
 */
final class LastRecords {
    /** A key's last record acted on: its place, and its block (null: a tombstone). */
    private record Last(int partition, long offset, FleetBlock block) {}

    private static final long NO_PLACE = -1;

    private final Map<String, Last> byKey = new HashMap<>();
    /** The highest offset acted on in each partition (to tell a log that starts again). */
    private final Map<Integer, Long> highest = new HashMap<>();

    /**
     * Whether the record of {@code key} at {@code partition}/{@code offset}, holding {@code block}
     * (null: a tombstone), changes nothing here: at or before the place of its key's last record
     * acted on, or holding the same as that one.
     */
    boolean changesNothing(String key, FleetBlock block, int partition, long offset) {
        Last last = byKey.get(key);
        if (last == null) {
            return false;
        }
        if (last.offset() != NO_PLACE && last.partition() == partition && offset <= last.offset()) {
            return true;
        }
        return Objects.equals(last.block(), block);
    }

    /** Notes that the record of {@code key} at {@code partition}/{@code offset} holding {@code block} (null: a tombstone) was acted on. */
    void actedOn(String key, FleetBlock block, int partition, long offset) {
        byKey.put(key, new Last(partition, offset, block));
        highest.merge(partition, offset, Math::max);
    }

    /** The highest offset acted on in {@code partition}, -1 when none. */
    long highestOffset(int partition) {
        return highest.getOrDefault(partition, NO_PLACE);
    }

    /** Forgets the places in {@code partition} (its offsets started again): its keys are compared by what they hold from now on. */
    void forgetPlaces(int partition) {
        byKey.replaceAll((k, l) -> l.partition() == partition ? new Last(partition, NO_PLACE, l.block()) : l);
        highest.remove(partition);
    }

    /** Forgets the places in every partition (the topic was created anew: none of its offsets says what came first). */
    void forgetAllPlaces() {
        for (Integer partition : java.util.List.copyOf(highest.keySet())) {
            forgetPlaces(partition);
        }
        byKey.replaceAll((k, l) -> new Last(l.partition(), NO_PLACE, l.block()));
    }

    /** The keys whose last record acted on is a block (not a tombstone) and that are not in {@code keys}, with their blocks. */
    Map<String, FleetBlock> blocksNotIn(java.util.Set<String> keys) {
        Map<String, FleetBlock> out = new java.util.LinkedHashMap<>();
        byKey.forEach((k, l) -> {
            if (l.block() != null && !keys.contains(k)) {
                out.put(k, l.block());
            }
        });
        return out;
    }

    /**
     * Notes that {@code key}'s block was taken back though no record said so (the topic no longer
     * holds the key): as a tombstone with no place, so a tombstone of it read later changes nothing,
     * and a block of it is applied.
     */
    void removedWithoutRecord(String key) {
        Last l = byKey.get(key);
        if (l != null) {
            byKey.put(key, new Last(l.partition(), NO_PLACE, null));
        }
    }

    /** How many keys it remembers (for the tests). */
    int size() {
        return byKey.size();
    }
}
