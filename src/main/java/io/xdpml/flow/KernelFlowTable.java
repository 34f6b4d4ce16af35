package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/** Reading a kernel flow table ({@code xdpml_flows}): every key with its state. */
public final class KernelFlowTable {
    private KernelFlowTable() {}

    public static void forEach(BpfMap flows, BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(FlowLayout.FLOW_SIZE, 8);
            flows.forEachKey(key -> {
                if (flows.lookup(key, value)) {
                    action.accept(key, value);
                }
            });
        }
    }
}
