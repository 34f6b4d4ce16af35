package io.xdpml.packet;

/**
 * Protocol flags of a parsed packet ({@code enum xdpml_flag} in parse.h). Bit {@code i} of the
 * counted mask corresponds to counter id {@code i + 1}.
 */
public final class ParseFlags {
    public static final int ETHERNET = 1;
    public static final int VLAN = 1 << 1;
    public static final int IPV4 = 1 << 2;
    public static final int IPV6 = 1 << 3;
    public static final int TCP = 1 << 4;
    public static final int UDP = 1 << 5;
    public static final int ICMP = 1 << 6;
    public static final int ICMPV6 = 1 << 7;
    public static final int VXLAN = 1 << 8;
    public static final int FRAGMENT = 1 << 9;
    /** A fragment after the first: no transport header to parse. Not a counter. */
    public static final int LATER_FRAGMENT = 1 << 10;
    /**
     * An IPv6 extension chain goes on past the headers the parser walks (with
     * {@link ParseCounter#IPV6_EXT_TOO_DEEP}): what follows, which Linux reaches, is unknown. Not a counter.
     */
    public static final int CHAIN_CUT = 1 << 11;
    /** The flags that have a counter: bits 0..9. */
    public static final int COUNTED_BITS = 10;

    private ParseFlags() {}
}
