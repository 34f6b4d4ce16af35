package io.xdpml.flow;

import java.lang.foreign.MemorySegment;

/**
 * Whether a flow's class is cached and current: the model stage's cache, asked before the flow's
 * update ({@code xdpml_model_cached} in model_stage.h). Such a flow is updated without its timing
 * statistics ({@link FlowUpdater#updateCached}) and its packet gets the cached class.
 */
@FunctionalInterface
public interface CachedClass {
    /** No model, or none that caches: every flow is updated in full. */
    CachedClass NONE = state -> false;

    boolean current(MemorySegment state);
}
