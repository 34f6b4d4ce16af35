package io.xdpml.detect;

import java.util.Arrays;
import java.util.function.Predicate;

/**
 * New TCP connections per (source, destination, destination port) counted over a horizon of
 * {@code horizonNanos} of packet time that outlives the agent's windows: {@code bruteforce}'s count
 * and {@code connflood}'s sustained rule; and packets per (source, destination), each counted as
 * many times as it weighs, with no identity ({@link #packets}): {@code flood}'s slow echo rule.
 *
 * <p>New connections are SYNs without ACK, each counted once per connection by its source port and
 * initial sequence number ({@link ConnFloodDetector#connectionKey}: a retransmitted SYN is the same
 * connection), whatever the packet's weight. Per pair a ring of {@code epochs} per-epoch counts (an
 * epoch is {@code horizonNanos / epochs}): the count over the horizon is the sum of the epochs still
 * in it, so the horizon is exact to within one epoch. Besides connections each epoch counts the
 * packets with ACK (neither SYN nor RST, weighed) the caller adds ({@link #ack}); {@code synflood}'s bare
 * rule adds there the SYNs it saw (each 1, whatever their weight) beside their weighed count; and the
 * connections a census of the flow table found completed ({@link #completedConnection}, {@code bruteforce}'s).
 *
 * <p>Bounded: at most {@code maxPairs} pairs (about 500 bytes each with 12 epochs; full, a new pair
 * whose SYNs keep coming takes the place of the least active, {@link BoundedSubjects}); a pair with
 * no connection left in the horizon is dropped at the next epoch. The SYNs are remembered in
 * generations of {@code memoryEpochs} epochs, the current's and the previous's (at most
 * {@code maxConnections} per generation, 16 bytes each), to count a retransmission once (one
 * {@code memoryEpochs} to two after the first SYN); past it a SYN not remembered counts as new
 * ({@link #refused()}). Nothing is allocated per packet but a new pair's entry.
 */
final class ConnectionHorizon {
    static final class Pair {
        /** Its key in the horizon's table. */
        final long key;
        final long srcHi;
        final long srcLo;
        final long dstHi;
        final long dstLo;
        final int port;
        /**
         * Per slot: the epoch it counts, its new connections, its packets with ACK, its connections a census of
         * the flow table found completed (the caller's, {@link #completedConnection}), its first SYN's time.
         */
        final long[] epoch;
        final long[] count;
        final long[] acks;
        final long[] done;
        final long[] first;
        long last;
        long credit;
        /** The epoch it was last reported in; Long.MIN_VALUE: never. */
        long reported = Long.MIN_VALUE;
        /** Over the connections' floor but not reported yet (the caller's: a completion still wanting). */
        boolean pending;
        /** The caller's: queued to be looked at when a census ends ({@code bruteforce}'s). */
        boolean queued;
        /** The caller's: a packet of another source than the first one's was counted ({@code synflood}'s bare rule). */
        boolean manySources;

        Pair(PacketObservation p, long key, int epochs) {
            this.key = key;
            srcHi = p.sourceHi();
            srcLo = p.sourceLo();
            dstHi = p.destinationHi();
            dstLo = p.destinationLo();
            port = p.destinationPort();
            epoch = new long[epochs];
            count = new long[epochs];
            acks = new long[epochs];
            done = new long[epochs];
            first = new long[epochs];
            Arrays.fill(epoch, Long.MIN_VALUE);
        }

        String source() {
            return Addresses.text(srcHi, srcLo);
        }

        String destination() {
            return Addresses.text(dstHi, dstLo);
        }
    }

    private final long horizonNanos;
    private final int epochs;
    private final long epochNanos;
    private final int memoryEpochs;
    private final BoundedSubjects<Pair> pairs;
    /** The SYNs remembered, in generations of {@code memoryEpochs} epochs. */
    private final Generations synsSeen;
    /** The current epoch; Long.MIN_VALUE before the first packet. */
    private long now = Long.MIN_VALUE;
    private long refused;
    /** A pair with no connection left in the horizon (a field: no lambda made per epoch). */
    private final Predicate<Pair> idle = q -> connections(q) == 0;

    ConnectionHorizon(long horizonNanos, int epochs, int memoryEpochs, int maxPairs, int maxConnections) {
        if (horizonNanos <= 0 || epochs < 1 || epochs > 1024 || horizonNanos / epochs <= 0 || memoryEpochs < 1 || maxPairs < 1
                || maxConnections < 1) {
            throw new IllegalArgumentException("bad horizon: " + horizonNanos + " ns in " + epochs + " epochs, " + maxPairs + " pairs, "
                    + maxConnections + " connections");
        }
        this.horizonNanos = horizonNanos;
        this.epochs = epochs;
        this.epochNanos = horizonNanos / epochs;
        this.memoryEpochs = memoryEpochs;
        this.pairs = new BoundedSubjects<>(maxPairs, q -> connections(q) + q.credit);
        this.synsSeen = new Generations(1024, maxConnections);
    }

    long horizonNanos() {
        return horizonNanos;
    }

    /** New connections of the pair in the horizon (the epochs after now's minus epochs). */
    long connections(Pair q) {
        return inHorizon(q, q.count);
    }

    /** Packets with ACK of the pair in the horizon, weighed. */
    long acks(Pair q) {
        return inHorizon(q, q.acks);
    }

    /** Connections of the pair a census found completed, in the horizon (each counted once, in the epoch it was found). */
    long completed(Pair q) {
        return inHorizon(q, q.done);
    }

    /** The sum of the pair's per-slot {@code counts} of the epochs still in the horizon. */
    private long inHorizon(Pair q, long[] counts) {
        long n = 0;
        for (int i = 0; i < q.epoch.length; i++) {
            if (q.epoch[i] > now - epochs) {
                n += counts[i];
            }
        }
        return n;
    }

    /** The first SYN in the horizon. */
    long firstInHorizon(Pair q) {
        long f = Long.MAX_VALUE;
        for (int i = 0; i < q.epoch.length; i++) {
            if (q.epoch[i] > now - epochs && q.count[i] > 0) {
                f = Math.min(f, q.first[i]);
            }
        }
        return f;
    }

    /**
     * Whether the pair was not reported in this epoch: a pair that holds its floor is reported again
     * at most once per epoch (a blocked source's SYNs reach no detector; one that comes back when its
     * block lapsed is reported, and blocked, again within an epoch).
     */
    boolean due(Pair q) {
        return q.reported == Long.MIN_VALUE || q.reported < now;
    }

    /** The pair was reported in this epoch. */
    void reported(Pair q) {
        q.reported = now;
    }

    /**
     * Counts the SYN (without ACK) {@code p} of pair {@code key} at {@code t}: the pair when it is a
     * new connection, null when a retransmission or not tracked.
     */
    Pair syn(PacketObservation p, long key, long t) {
        Pair q = admitted(p, key);
        if (q == null) {
            return null;
        }
        long tuple = ConnFloodDetector.connectionKey(key, p);
        if (synsSeen.contains(tuple)) {
            return null;
        }
        if (!synsSeen.add(tuple)) { // the generation full: counted as new, not remembered
            refused++;
        }
        int slot = slot(q);
        q.count[slot]++;
        q.first[slot] = Math.min(q.first[slot], t);
        q.last = Math.max(q.last, t);
        return q;
    }

    /**
     * Counts {@code weight} packets of pair {@code key} at {@code t} (every one counts: no
     * connection identity, no retransmission told apart): the pair, or null when not tracked.
     */
    Pair packets(PacketObservation p, long key, long t, long weight) {
        Pair q = admitted(p, key);
        if (q == null) {
            return null;
        }
        int slot = slot(q);
        q.count[slot] += weight;
        q.first[slot] = Math.min(q.first[slot], t);
        q.last = Math.max(q.last, t);
        return q;
    }

    /** The pair of {@code key}, a new one for {@code p}'s when there is room or it earned it ({@link BoundedSubjects#admit}), else null. */
    private Pair admitted(PacketObservation p, long key) {
        Pair q = pairs.get(key);
        if (q == null) {
            long credit = pairs.admit(key);
            if (credit < 0) {
                return null;
            }
            q = new Pair(p, key, epochs);
            q.credit = credit;
            pairs.put(key, q);
        }
        return q;
    }

    /** The pair of {@code key}, or null. */
    Pair pair(long key) {
        return pairs.get(key);
    }

    /** Adds {@code weight} packets with ACK to pair {@code key} if it is tracked; the pair or null. */
    Pair ack(long key, long weight, long t) {
        Pair q = pairs.get(key);
        if (q != null) {
            q.acks[slot(q)] += weight;
        }
        return q;
    }

    /** Counts a connection of pair {@code key} that a census of the flow table found completed, in the current epoch (the caller counts each once): the pair, or null when not tracked. */
    Pair completedConnection(long key) {
        Pair q = pairs.get(key);
        if (q != null) {
            q.done[slot(q)]++;
        }
        return q;
    }

    /** The current epoch's slot of the pair, emptied first if it held an older epoch. */
    private int slot(Pair q) {
        int slot = (int) Math.floorMod(now, (long) epochs);
        if (q.epoch[slot] != now) {
            q.epoch[slot] = now;
            q.count[slot] = 0;
            q.acks[slot] = 0;
            q.done[slot] = 0;
            q.first[slot] = Long.MAX_VALUE;
        }
        return slot;
    }

    /** Moves to the epoch of {@code nowNanos}. */
    void advance(long nowNanos) {
        long e = Math.floorDiv(nowNanos, epochNanos);
        if (now == Long.MIN_VALUE) {
            now = e;
            synsSeen.advanceTo(Math.floorDiv(e, memoryEpochs));
            return;
        }
        if (e <= now) {
            return;
        }
        // a new epoch: at a new generation the SYNs remembered move back one (two generations on
        // they are forgotten); the pairs with nothing left in the horizon go
        synsSeen.advanceTo(Math.floorDiv(e, memoryEpochs));
        now = e;
        pairs.map().removeIf(idle);
        pairs.fade();
    }

    /** SYNs counted as new without telling retransmissions (the tables full). */
    long refused() {
        return refused;
    }

    String fullReason(String setting) {
        return fullReason("source-service pairs", setting);
    }

    /** As {@link #fullReason(String)}, naming what the pairs are ({@code flood}'s: source-destination pairs). */
    String fullReason(String subjects, String setting) {
        return pairs.fullReason(subjects, setting);
    }

    long untracked() {
        return pairs.untracked();
    }

    long evicted() {
        return pairs.evicted();
    }

    int tracked() {
        return pairs.size();
    }
}
