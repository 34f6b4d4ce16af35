package io.xdpml.flow;

/**
 * Flow tracking settings.
 *
 * @param maxFlows           capacity of the kernel's LRU flow table
 * @param idleTimeoutNanos   a flow silent for longer ends; its next packet starts a new flow
 * @param vxlanPort          UDP port decoded as VXLAN
 * @param activeTimeoutNanos a flow going on for this long since its start or last active record
 *                           is reported again (0: never)
 * @param samplePacketN      sample 1 in N packets at random (0: off)
 * @param sampleFlowN        sample 1 in N flows by key hash, every packet of them (0: off)
 * @param ringBytes          size of the kernel's flow record ring buffer (a power of two, >= 4096)
 * @param probationSlots     admission: 0, every flow enters the table at its first packet; a power of
 *                           two, first packets wait in that many slots and a flow enters at its second
 *                           (docs/flows.md, "Admission")
 * @param hashSeed           the seed of the keyed flow hash (probation slots, sampling by flow; {@link FlowHash}):
 *                           0 unless set; the agent draws one at random at every load, tests fix it so that the
 *                           kernel and its Java twin hash alike
 * @param promotionBudget    with probation, how many flows may be promoted a second ({@link PromotionBudget}; off unless set)
 */
public record FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort, long activeTimeoutNanos, int samplePacketN,
                         int sampleFlowN, int ringBytes, int probationSlots, long hashSeed, PromotionBudget promotionBudget) {
    /** The most probation slots (64 bytes each: 1 GiB). */
    public static final int MAX_PROBATION_SLOTS = 1 << 24;
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    public static final long DEFAULT_IDLE_TIMEOUT_NANOS = 120_000_000_000L;
    public static final int DEFAULT_RING_BYTES = 1 << 20;

    public FlowConfig {
        if (maxFlows < 1) {
            throw new IllegalArgumentException("maxFlows must be positive: " + maxFlows);
        }
        if (idleTimeoutNanos < 1) {
            throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeoutNanos);
        }
        if (activeTimeoutNanos < 0 || samplePacketN < 0 || sampleFlowN < 0) {
            throw new IllegalArgumentException("active timeout and sampling rates must not be negative");
        }
        if (vxlanPort < 0 || vxlanPort > 65535) {
            throw new IllegalArgumentException("VXLAN port must be 0..65535: " + vxlanPort);
        }
        if (ringBytes < 4096 || Integer.bitCount(ringBytes) != 1) {
            throw new IllegalArgumentException("ring buffer size must be a power of two >= 4096: " + ringBytes);
        }
        if (probationSlots != 0 && (Integer.bitCount(probationSlots) != 1 || probationSlots > MAX_PROBATION_SLOTS)) {
            throw new IllegalArgumentException("probation slots must be 0 (off) or a power of two up to " + MAX_PROBATION_SLOTS + ": "
                    + probationSlots);
        }
        java.util.Objects.requireNonNull(promotionBudget, "promotionBudget");
    }

    /** No promotion budget. */
    public FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort, long activeTimeoutNanos, int samplePacketN, int sampleFlowN,
            int ringBytes, int probationSlots, long hashSeed) {
        this(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, probationSlots, hashSeed,
                PromotionBudget.OFF);
    }

    /** Hash seed 0. */
    public FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort, long activeTimeoutNanos, int samplePacketN, int sampleFlowN,
            int ringBytes, int probationSlots) {
        this(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, probationSlots, 0);
    }

    /** Without probation (every flow admitted at its first packet). */
    public FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort, long activeTimeoutNanos, int samplePacketN, int sampleFlowN,
            int ringBytes) {
        this(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, 0);
    }

    /** Table size, idle timeout and VXLAN port; no active timeout, no sampling, 1 MiB of records. */
    public FlowConfig(int maxFlows, long idleTimeoutNanos, int vxlanPort) {
        this(maxFlows, idleTimeoutNanos, vxlanPort, 0, 0, 0, DEFAULT_RING_BYTES);
    }

    public static FlowConfig defaults() {
        return new FlowConfig(DEFAULT_MAX_FLOWS, DEFAULT_IDLE_TIMEOUT_NANOS, 4789);
    }

    public FlowConfig withActiveTimeout(long nanos) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, nanos, samplePacketN, sampleFlowN, ringBytes, probationSlots, hashSeed, promotionBudget);
    }

    public FlowConfig withSampling(int packetN, int flowN) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, packetN, flowN, ringBytes, probationSlots, hashSeed, promotionBudget);
    }

    public FlowConfig withRingBytes(int bytes) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, bytes, probationSlots, hashSeed, promotionBudget);
    }

    /** Admission at the second packet through {@code slots} probation slots (0: off). */
    public FlowConfig withProbation(int slots) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, slots, hashSeed, promotionBudget);
    }

    /** The flow hash keyed by {@code seed} ({@link FlowHash}). */
    public FlowConfig withHashSeed(long seed) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, probationSlots, seed, promotionBudget);
    }

    /** With probation, at most this many promotions ({@link PromotionBudget}). */
    public FlowConfig withPromotionBudget(PromotionBudget budget) {
        return new FlowConfig(maxFlows, idleTimeoutNanos, vxlanPort, activeTimeoutNanos, samplePacketN, sampleFlowN, ringBytes, probationSlots, hashSeed,
                budget);
    }
}
