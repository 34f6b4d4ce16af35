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
}
