package io.xdpml.flow;

import io.xdpml.packet.ParseCounters;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/** Parse + flow tracking of frames with given times: the kernel's flow pipeline or the Java reference. */
public interface FlowEngine extends AutoCloseable {
    /** One frame seen at {@code timestampNanos}. */
    void packet(MemorySegment frame, int length, long timestampNanos);

    /** Every flow in the table: key bytes and state bytes ({@link FlowLayout}). */
    void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action);

    long counter(FlowCounter c);

    /**
     * Flows the table evicted to make room (LRU). BPF has no hook on eviction, so it is derived:
     * flows created - flows in the table now - flows the sweeper removed. Exact while nothing else
     * deletes from the table. The Java reference never evicts.
     */
    long evictions();

    /**
     * Sweeps the table at {@code nowNanos} ({@link FlowSweeper}): idle flows are removed and
     * reported to the engine's listener ({@link FlowReason#SWEPT_IDLE}), closed flows removed after
     * {@code lingerNanos} and reported with their final state ({@link FlowReason#TAIL}).
     *
     * @return the flows removed
     */
    int sweep(long nowNanos, long lingerNanos);

    ParseCounters parseCounters();

    /** Longest frame taken whole (longer ones are cut by the caller, for both engines alike). */
    int maxFrameLength();

    String name();

    @Override
    void close();
}
