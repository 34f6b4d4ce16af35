package io.xdpml.flow;

import io.xdpml.kernel.BpfObject;

/**
 * Admission to the kernel's flow table (docs/flows.md, "Admission"): with probation slots, a
 * flow's first packet waits in a slot ({@code xdpml_probation}, 64 bytes each) and the flow enters
 * the table at its second packet. Set before load, like every switch of the flow stage.
 */
public final class Admission {
    private Admission() {}

    /** Sets {@code cfg_probation_slots} and the slots map of an object with a flow stage; 0: off. */
    public static void configure(BpfObject obj, int probationSlots) {
        obj.setConstant("cfg_probation_slots", probationSlots);
        obj.setMaxEntries("xdpml_probation", Math.max(1, probationSlots));
    }

    /** The slots, and with them the promotion budget ({@code cfg_promote_interval_ns}, {@code cfg_promote_depth_ns}). */
    public static void configure(BpfObject obj, int probationSlots, PromotionBudget budget) {
        configure(obj, probationSlots);
        PromotionBudget b = probationSlots == 0 ? PromotionBudget.OFF : budget;
        obj.setConstant("cfg_promote_interval_ns", b.intervalNanos());
        obj.setConstant("cfg_promote_depth_ns", b.depthNanos());
    }
}
