package io.xdpml.output;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Community ID flow hashing, version 1 (github.com/corelight/community-id-spec): a direction-free
 * flow identifier that Suricata, Zeek, Wireshark, Arkime and Elastic compute the same way, so one
 * flow can be found across their logs by one string.
 *
 * <p>SHA-1 over, in network byte order: the seed (u16), the smaller endpoint's address, the other
 * address, the protocol (u8), a zero byte, then the smaller endpoint's port and the other port
 * (u16 each); the digest in base64 after {@code "1:"}. The smaller endpoint is the one with the
 * smaller address (compared as unsigned bytes), the smaller port when the addresses are equal.
 *
 * <ul>
 *   <li>TCP (6), UDP (17), SCTP (132): the ports as given.
 *   <li>ICMP (1), ICMPv6 (58): the "ports" are the message type and code, mapped as Zeek does: a
 *       request/reply type ({@link #icmpCounterpart}) is hashed as (type, its counterpart type),
 *       the code ignored, and ordered like ports, so request and reply get one ID; any other type
 *       is one-way: (type, code), never reordered.
 *   <li>Any other protocol: the addresses and the protocol only, no ports.
 * </ul>
 *
 * <p>Immutable and thread-safe. Each call allocates the digest and the text (about 200 bytes): meant
 * per flow or alert, not per packet. The SHA-1 engine is kept per thread.
 */
public final class CommunityId {
    /** The default: seed 0. */
    public static final CommunityId DEFAULT = new CommunityId(0);

    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    });

    private final int seed;

    /** @param seed 0 to 65535 (the spec's u16 seed; 0 unless the operators agreed on another) */
    public CommunityId(int seed) {
        if (seed < 0 || seed > 0xffff) {
            throw new IllegalArgumentException("community id seed " + seed + " is not in 0..65535");
        }
        this.seed = seed;
    }

    public int seed() {
        return seed;
    }

    /** Whether the protocol's ports go into the hash as ports (TCP, UDP, SCTP). */
    public static boolean hasPorts(int protocol) {
        return protocol == 6 || protocol == 17 || protocol == 132;
    }

    /** Whether the protocol's type and code go into the hash as ports (ICMP, ICMPv6). */
    public static boolean isIcmp(int protocol) {
        return protocol == 1 || protocol == 58;
    }

    /**
     * The request/reply counterpart of an ICMP (protocol 1) or ICMPv6 (58) type, or -1 when the type
     * is one-way (Zeek's table, which the spec adopts): ICMP echo 8/0, timestamp 13/14, information
     * 15/16, router solicitation/advertisement 10/9, address mask 17/18; ICMPv6 echo 128/129, MLD
     * query/report 130/131, router 133/134, neighbor 135/136, node information (WRU) 139/140, home
     * agent address discovery 144/145.
     */
    public static int icmpCounterpart(int protocol, int type) {
        if (protocol == 1) {
            return switch (type) {
                case 8 -> 0;
                case 0 -> 8;
                case 13 -> 14;
                case 14 -> 13;
                case 15 -> 16;
                case 16 -> 15;
                case 10 -> 9;
                case 9 -> 10;
                case 17 -> 18;
                case 18 -> 17;
                default -> -1;
            };
        }
        if (protocol == 58) {
            return switch (type) {
                case 128 -> 129;
                case 129 -> 128;
                case 130 -> 131;
                case 131 -> 130;
                case 133 -> 134;
                case 134 -> 133;
                case 135 -> 136;
                case 136 -> 135;
                case 139 -> 140;
                case 140 -> 139;
                case 144 -> 145;
                case 145 -> 144;
                default -> -1;
            };
        }
        throw new IllegalArgumentException("protocol " + protocol + " is not ICMP or ICMPv6");
    }

    /**
     * The Community ID of a flow or packet.
     *
     * @param src      source address (IPv4 or IPv6; both the same family: unmap {@code ::ffff:a.b.c.d} first)
     * @param dst      destination address
     * @param protocol IP protocol number
     * @param srcPort  TCP/UDP/SCTP source port; for ICMP/ICMPv6 the message type; ignored otherwise
     * @param dstPort  TCP/UDP/SCTP destination port; for ICMP/ICMPv6 the message code; ignored otherwise
     */
    public String of(InetAddress src, InetAddress dst, int protocol, int srcPort, int dstPort) {
        return of(src.getAddress(), dst.getAddress(), protocol, srcPort, dstPort);
    }

    /** {@link #of(InetAddress, InetAddress, int, int, int)} over addresses in network byte order (4 or 16 bytes each). */
    public String of(byte[] src, byte[] dst, int protocol, int srcPort, int dstPort) {
        return "1:" + Base64.getEncoder().encodeToString(digest(src, dst, protocol, srcPort, dstPort));
    }

    /** The 20-byte SHA-1 digest before base64 (the spec's "no base64" form is {@code "1:" + hex}). */
    public byte[] digest(byte[] src, byte[] dst, int protocol, int srcPort, int dstPort) {
        if (src.length != dst.length || (src.length != 4 && src.length != 16)) {
            throw new IllegalArgumentException("addresses of " + src.length + " and " + dst.length
                    + " bytes: both IPv4 (4) or both IPv6 (16)");
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("protocol " + protocol + " is not in 0..255");
        }
        boolean ports = hasPorts(protocol) || isIcmp(protocol);
        int sp = srcPort;
        int dp = dstPort;
        boolean oneWay = false;
        if (isIcmp(protocol)) {
            if (srcPort < 0 || srcPort > 255 || dstPort < 0 || dstPort > 255) {
                throw new IllegalArgumentException("ICMP type " + srcPort + " / code " + dstPort + " not in 0..255");
            }
            int counterpart = icmpCounterpart(protocol, srcPort);
            if (counterpart < 0) {
                oneWay = true; // (type, code) as they are, never swapped
            } else {
                dp = counterpart;
            }
        } else if (ports && (srcPort < 0 || srcPort > 0xffff || dstPort < 0 || dstPort > 0xffff)) {
            throw new IllegalArgumentException("ports " + srcPort + ", " + dstPort + " not in 0..65535");
        }
        boolean swap = !oneWay && greater(src, dst, sp, dp);
        byte[] first = swap ? dst : src;
        byte[] second = swap ? src : dst;
        byte[] buf = new byte[2 + 2 * src.length + 2 + (ports ? 4 : 0)];
        int at = 0;
        buf[at++] = (byte) (seed >>> 8);
        buf[at++] = (byte) seed;
        System.arraycopy(first, 0, buf, at, first.length);
        at += first.length;
        System.arraycopy(second, 0, buf, at, second.length);
        at += second.length;
        buf[at++] = (byte) protocol;
        buf[at++] = 0;
        if (ports) {
            int p1 = swap ? dp : sp;
            int p2 = swap ? sp : dp;
            buf[at++] = (byte) (p1 >>> 8);
            buf[at++] = (byte) p1;
            buf[at++] = (byte) (p2 >>> 8);
            buf[at] = (byte) p2;
        }
        MessageDigest md = SHA1.get();
        md.reset();
        return md.digest(buf);
    }

    /** Whether (a, pa) comes after (b, pb): addresses as unsigned bytes, then ports. */
    private static boolean greater(byte[] a, byte[] b, int pa, int pb) {
        int c = java.util.Arrays.compareUnsigned(a, b);
        return c > 0 || (c == 0 && pa > pb);
    }

    @Override
    public String toString() {
        return "CommunityId[v1, seed " + seed + "]";
    }
}
