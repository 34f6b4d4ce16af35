package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfMapWalk;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * Reading a kernel flow table ({@code xdpml_flows}): every key with its state, read in batches
 * ({@link BpfMapWalk}), at most about the table's size of them even while a flood churns the table
 * (since 2026-12-06; before, a get_next_key walk, which under churn repeated itself).
 */
public final class KernelFlowTable {
    private KernelFlowTable() {}

    /** Calls {@code action} with each flow's key and state (the walk's buffers: copy them to keep them). */
    public static void forEach(BpfMap flows, BiConsumer<MemorySegment, MemorySegment> action) {
        try (BpfMapWalk walk = new BpfMapWalk(flows, KernelFlowSweep.BATCH)) {
            int budget = flows.maxEntries();
            for (int n; budget > 0 && (n = walk.next(budget)) > 0; budget -= n) {
                for (int i = 0; i < n; i++) {
                    action.accept(walk.key(i), walk.value(i));
                }
            }
        }
    }
}
