package io.xdpml.vxlan;

/**
 * What the gateway did with one packet.
 *
 * @param action XDP action: 1 drop, 2 pass, 4 redirect
 * @param reason the counter naming the packet's fate
 * @param frame  the packet as it leaves (after NAT and decap), or as it was when not forwarded
 */
public record VxlanResult(int action, VxlanCounter reason, byte[] frame) {
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_REDIRECT = 4;
}
