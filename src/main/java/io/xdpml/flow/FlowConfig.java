package io.xdpml.flow;

/**
 * Flow tracking settings.
 *
 * @param maxFlows         capacity of the kernel's LRU flow table
 * @param idleTimeoutNanos a flow silent for longer ends; its next packet starts a new flow
 * @param vxlanPort        UDP port decoded as VXLAN
 */
public record FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort) {
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    public static final long DEFAULT_IDLE_TIMEOUT_NANOS = 120_000_000_000L;

    public FlowConfig {
        if (maxFlows < 1) {
            throw new IllegalArgumentException("maxFlows must be positive: " + maxFlows);
        }
        if (idleTimeoutNanos < 1) {
            throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeoutNanos);
        }
    }

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_MAX_FLOWS, DEFAULT_IDLE_TIMEOUT_NANOS, 4789);
    }

    public FlowConfig withMaxFlows(int n) {
        return new FlowConfig(n, idleTimeoutNanos, vxlanPort);
    }
}
