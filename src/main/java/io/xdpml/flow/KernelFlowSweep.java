package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfMapWalk;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Sweeps of a kernel flow table ({@code xdpml_flows}) by the rule of {@link FlowSweeper}: for the
 * test-run engine ({@link KernelFlowEngine}) and the running agent alike. One per table; its
 * buffers are allocated once and reused by every sweep.
 *
 * <p>A sweep reads the table in batches ({@link BpfMapWalk}: by bucket, keys and values together),
 * at most about the table's size of flows, and decides on each. Since 2026-12-06; before, it
 * listed the keys with get_next_key, which starts again at the first bucket whenever the key it
 * stands on is evicted: on a full table under a flood of new flows a sweep read several times the
 * table's size of keys, or never ended, and held them all in memory meanwhile.
 *
 * <p>A flow the copy says to remove is taken out with the kernel's lookup-and-delete and decided
 * again on what that returns (see {@link #removeIfDue}).
 */
public final class KernelFlowSweep implements AutoCloseable {
    static final int BATCH = 256;

    private final BpfMap flows;
    private final BpfMapWalk walk;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment taken;
    private int read;

    public KernelFlowSweep(BpfMap flows) {
        this.flows = flows;
        this.walk = new BpfMapWalk(flows, BATCH);
        this.taken = arena.allocate(FlowLayout.FLOW_SIZE, 8);
    }

    /**
     * Removes what {@link FlowSweeper#decide} says at {@code nowNanos} (the kernel's clock) and
     * reports every flow it removes to {@code listener} (swept_idle, or tail for a closed flow). A
     * sweep reads at most about the table's size of flows: under churn a pass could otherwise see
     * more (what a flood adds ahead of it); the buckets after that are not swept this time (each
     * sweep begins at the first bucket).
     *
     * @return the flows removed
     */
    public int sweep(long nowNanos, long idleTimeoutNanos, long lingerNanos, FlowRecordListener listener) {
        int removed = 0;
        int budget = flows.maxEntries();
        read = 0;
        walk.restart();
        for (int n; budget > 0 && (n = walk.next(budget)) > 0; budget -= n) {
            read += n;
            for (int i = 0; i < n; i++) {
                if (FlowSweeper.decide(walk.value(i), nowNanos, idleTimeoutNanos, lingerNanos) != FlowSweeper.Action.KEEP
                        && removeIfDue(walk.key(i), nowNanos, idleTimeoutNanos, lingerNanos, listener)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** The flows the last sweep read (about the table's size at most). */
    public int read() {
        return read;
    }

    /**
     * Flow {@code key}, which a copy read earlier says to remove, taken out of the table with the
     * kernel's lookup-and-delete (no packet can update it between the read and the delete) and
     * decided again on the state that returns: a packet may have come since the copy was read (the
     * flow went on, or the kernel reported it {@code idle} and restarted it in place). Removed
     * and reported with that state when still due; put back otherwise. Since 2026-12-06; before,
     * it was deleted and reported with the copy, so a flow restarted meanwhile was reported twice
     * ({@code idle}, then {@code swept_idle}) and its new start deleted.
     *
     * @return whether it was removed (and reported)
     */
    boolean removeIfDue(MemorySegment key, long nowNanos, long idleTimeoutNanos, long lingerNanos, FlowRecordListener listener) {
        if (!flows.lookupAndDelete(key, taken)) {
            return false; // evicted or removed meanwhile
        }
        FlowSweeper.Action act = FlowSweeper.decide(taken, nowNanos, idleTimeoutNanos, lingerNanos);
        if (act == FlowSweeper.Action.KEEP) {
            // Put back. If a packet of the flow came in the moment it was out of the table, the
            // kernel made a new entry (without probation; with it, the packet is parked in its
            // slot, the put back wins and that packet stays outside the flow): the put back fails
            // and what was taken is lost, neither in the table nor reported: a restarted flow's
            // packets so far, or a closed flow's tail (its tcp_close record stands). The new entry
            // goes on from that packet.
            flows.insert(key, taken);
            return false;
        }
        listener.onRecord(nowNanos, act.reason(), key, taken); // swept_idle, or tail for a closed flow
        return true;
    }

    @Override
    public void close() {
        walk.close();
        arena.close();
    }
}
