package io.xdpml.flow;

import java.lang.foreign.MemorySegment;

/**
 * Receives flow records: from the kernel's ring buffer, from the Java reference at the same
 * points, and from the sweeper. The segments are valid only during the call (copy what you keep).
 */
@FunctionalInterface
public interface FlowRecordListener {
    void onRecord(long timeNanos, FlowReason reason, MemorySegment key, MemorySegment state);

    FlowRecordListener NONE = (t, r, k, s) -> {};
}
