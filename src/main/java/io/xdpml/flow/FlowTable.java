package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The Java reference flow tracker: the same key, state bytes and update as the kernel's flow
 * table, held in a hash map without a size limit (the offline oracle; the kernel's LRU may evict,
 * this never does). No allocation per packet once a flow exists.
 */
public final class FlowTable {
    private final Map<FlowKey, MemorySegment> flows = new LinkedHashMap<>();
    private final FlowKey probe = new FlowKey(new byte[FlowLayout.KEY_SIZE]);
    private final long idleTimeoutNanos;
    private final long[] counters = new long[FlowCounter.SLOTS];

    public FlowTable(long idleTimeoutNanos) {
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    /** Counts a packet that has no IP header. */
    public void notTracked() {
        counters[FlowCounter.NOT_IP.id()]++;
    }

    /** Adds a keyed packet at time {@code now} (ns), as xdp_flow.bpf.c does. */
    public void add(FlowPacket p, long now) {
        MemorySegment f = flows.get(probe.set(p.key));
        if (f == null) {
            f = MemorySegment.ofArray(new byte[FlowLayout.FLOW_SIZE]);
            flows.put(probe.copy(), f);
            counters[FlowCounter.NEW.id()]++;
        } else {
            long last = FlowLayout.u64(f, FlowLayout.LAST_NS);
            if (Long.compareUnsigned(now, last) > 0 && Long.compareUnsigned(now - last, idleTimeoutNanos) > 0) {
                f.fill((byte) 0);
                counters[FlowCounter.IDLE_RESTART.id()]++;
            }
        }
        FlowUpdater.update(f, p, now);
        counters[FlowCounter.PACKETS.id()]++;
    }

    public int size() {
        return flows.size();
    }

    public long counter(FlowCounter c) {
        return counters[c.id()];
    }

    /** Every flow: key bytes and state bytes (in the kernel's layouts). */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        flows.forEach((k, v) -> action.accept(MemorySegment.ofArray(k.bytes), v));
    }
}
