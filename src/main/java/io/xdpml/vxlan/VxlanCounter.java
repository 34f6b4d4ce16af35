package io.xdpml.vxlan;

/** The gateway's counters, in the order and at the slots of {@code enum xdpml_vx_counter} (vxlan_gw.h). */
public enum VxlanCounter {
    TOTAL(0), VXLAN(1), INNER(2), NAT_APPLIED(3), DF_CLEARED(4), HANDED(5), TO_DEVMAP(6), TO_XSK(7),
    BYTES(8), NOT_VXLAN(9), DENIED(10), INNER_VLAN(11), OUTER_FRAG(12), OTHER_VNI(13), TOO_DEEP(14), NAT_SOURCE_ROUTED(15),
    ERR_PARSE(16), ERR_INNER_NOT_IP(17), ERR_ADJUST_HEAD(18), ERR_REDIRECT(19), ERR_XSK(20), ERR_BOUNDS(21);

    /** Slots in {@code struct xdpml_vx_counters}. */
    public static final int SLOTS = 24;

    private final int slot;

    VxlanCounter(int slot) {
        this.slot = slot;
    }

    public int slot() {
        return slot;
    }

    public String label() {
        return name().toLowerCase();
    }

    public boolean isError() {
        return slot >= 16;
    }

    public static VxlanCounter ofSlot(int slot) {
        for (VxlanCounter c : values()) {
            if (c.slot == slot) {
                return c;
            }
        }
        throw new IllegalArgumentException("no counter at slot " + slot);
    }
}
