package io.xdpml.detect;

import java.lang.foreign.MemorySegment;

/**
 * A detector: sees every packet as a {@link PacketObservation} (in capture order, with capture
 * time) and reports {@link Detection}s. Windows are in packet time, never wall time, so a capture
 * gives the same detections however fast it is replayed. Not thread safe: one per thread.
 */
public interface Detector {
    /** Short name used on the command line and in detections. */
    String name();

    /** Observes one packet; may report. The observation is valid only during the call. */
    void observe(PacketObservation packet, DetectionSink sink);

    /**
     * Packet time went on to {@code nowNanos} without a packet (the agent's clock on a quiet link):
     * a window that ended before it is evaluated, as the next packet would have it. Detectors
     * without windows ignore it.
     */
    default void advance(long nowNanos, DetectionSink sink) {}

    /** The input ended (at time {@code endNanos}, the last packet's): evaluate the open windows. */
    void finish(long endNanos, DetectionSink sink);

    /**
     * Subjects (sources, destinations, victims) not tracked because its table was full of busier
     * ones, all windows so far; 0 for a detector without a capped table. Read from another thread
     * (the metrics'), racily: a value a few packets old.
     */
    default long untracked() {
        return 0;
    }

    /** Subjects that took the place of a less active one in a full table, all windows so far; 0 without a capped table. */
    default long evicted() {
        return 0;
    }

    /**
     * How often it wants the flow table's live flows ({@link #census}), in packet time; 0 (the default):
     * never. The agent walks its kernel flow tables, the twin and {@code xdpml detect} their Java ones.
     */
    default long censusEveryNanos() {
        return 0;
    }

    /**
     * Whether it holds something only a census can settle and wants one before its period is up: then the
     * census comes at the next poll ({@link DetectorSet#SOON_NANOS} after its last at the earliest). Default
     * false. {@code bruteforce}: a pair with the connections that waits for proof they completed.
     */
    default boolean censusSoon() {
        return false;
    }

    /**
     * The flow table's live flows at packet time {@code nowNanos}; {@code flowNowNanos} is the same
     * instant on the flows' own clock (what their first and last packet times are on: the kernel's
     * monotonic clock in the agent, packet time elsewhere). May report. The three steps below over
     * one walk; {@link DetectorSet} walks the table once for every detector due.
     */
    default void census(long nowNanos, long flowNowNanos, FlowWalk flows, DetectionSink sink) {
        censusBegin(nowNanos, flowNowNanos);
        boolean complete = false;
        try {
            flows.forEach(this::censusFlow);
            complete = true;
        } finally {
            censusEnd(nowNanos, sink, complete);
        }
    }

    /** A census begins: the flows follow ({@link #censusFlow}), then {@link #censusEnd}. */
    default void censusBegin(long nowNanos, long flowNowNanos) {}

    /** One live flow of the census under way; both segments are valid only during the call. */
    default void censusFlow(MemorySegment key, MemorySegment state) {}

    /**
     * The census ends: report what it found, unless the walk failed part way ({@code complete} false:
     * then only forget it, as a census that did not happen).
     */
    default void censusEnd(long nowNanos, DetectionSink sink, boolean complete) {}

    /** Whether it reads {@link PacketObservation#flowState()} (the flow table is kept only when one does). */
    default boolean needsFlows() {
        return false;
    }
}
