package io.xdpml.agent.config;

import io.xdpml.dataplane.CpuSpread;
import java.util.List;
import java.util.Objects;

/**
 * The CPU spread ({@link CpuSpread}): for a NIC with one receive queue, each frame handed to its
 * flow's CPU in XDP, where the whole pipeline runs. Off by default.
 *
 * @param spread the CPUs and their queue size (also when off: what the file says, checked)
 */
public record CpumapSection(boolean enabled, CpuSpread spread) {
    public CpumapSection {
        Objects.requireNonNull(spread);
    }

    /** Off. */
    public static CpumapSection defaults() {
        return new CpumapSection(false, new CpuSpread(List.of(0), CpuSpread.DEFAULT_QUEUE_SIZE));
    }

    String describe() {
        return enabled ? "cpumap: on (" + spread.describe() + "; the pipeline runs on the flow's CPU)" : "cpumap: off";
    }
}
