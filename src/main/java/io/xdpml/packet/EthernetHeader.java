package io.xdpml.packet;

/**
 * Ethernet II header and the 802.1Q / 802.1ad tag that may follow it.
 *
 * <pre>
 *  0                   6                   12      14
 *  +-------------------+-------------------+-------+
 *  | destination MAC   | source MAC        | type  |
 *  +-------------------+-------------------+-------+
 *  VLAN tag (4 bytes): | TCI (PCP,DEI,VID) | inner type |
 * </pre>
 */
public final class EthernetHeader {
    public static final int LENGTH = 14;
    public static final int TYPE_OFFSET = 12;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int VLAN_TYPE_OFFSET = 2;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_IPV6 = 0x86dd;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_QINQ = 0x88a8;
    /** Pre-standard QinQ, still seen in captures. */
    public static final int TYPE_QINQ_LEGACY = 0x9100;

    private EthernetHeader() {}

    public static boolean isVlanType(int type) {
        return type == TYPE_VLAN || type == TYPE_QINQ || type == TYPE_QINQ_LEGACY;
    }
}
