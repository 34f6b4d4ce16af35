package io.xdpml.detect;

import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * The live flows of a flow table, each as its key and state ({@code io.xdpml.flow.FlowLayout}):
 * the agent's kernel table ({@code KernelFlowTable.forEach}), the Java twin's
 * ({@code FlowEngine.forEachFlow}) or a capture's reference table. Both segments are valid only
 * during the call that receives them.
 */
@FunctionalInterface
public interface FlowWalk {
    void forEach(BiConsumer<MemorySegment, MemorySegment> each);
}
