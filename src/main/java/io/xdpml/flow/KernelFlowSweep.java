package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One sweep of a kernel flow table ({@code xdpml_flows}) by the rule of {@link FlowSweeper}: for
 * the test-run engine ({@link KernelFlowEngine}) and the running agent alike.
 */
public final class KernelFlowSweep {
    private KernelFlowSweep() {}

    /**
     * Removes what {@link FlowSweeper#decide} says at {@code nowNanos} (the kernel's clock) and
     * reports every flow it removes to {@code listener} (swept_idle, or tail for a closed flow).
     *
     * @return the flows removed
     */
    public static int sweep(BpfMap flows, long nowNanos, long idleTimeoutNanos, long lingerNanos, FlowRecordListener listener) {
        int removed = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocate(FlowLayout.KEY_SIZE, 8);
            MemorySegment value = a.allocate(FlowLayout.FLOW_SIZE, 8);
            for (byte[] k : flows.keys()) {
                key.copyFrom(MemorySegment.ofArray(k));
                if (!flows.lookup(key, value)) {
                    continue;
                }
                FlowSweeper.Action act = FlowSweeper.decide(value, nowNanos, idleTimeoutNanos, lingerNanos);
                if (act == FlowSweeper.Action.KEEP) {
                    continue;
                }
                // a packet may update the flow between lookup and delete: that packet is lost to the record
                if (flows.delete(key)) {
                    removed++;
                    listener.onRecord(nowNanos, act.reason(), key, value); // swept_idle, or tail for a closed flow
                }
            }
        }
        return removed;
    }
}
