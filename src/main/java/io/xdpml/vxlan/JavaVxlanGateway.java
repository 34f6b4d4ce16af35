package io.xdpml.vxlan;

import io.xdpml.firewall.Prefix;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The gateway's reference implementation: the same decisions, NAT and checksum results as
 * {@code xdp_vxlan_gw.bpf.c}, step for step (VxlanParityTest compares both on the same packets).
 * Not for the data path: it copies each packet.
 */
public final class JavaVxlanGateway {
    private final VxlanOptions options;
    private final PacketParser parser;
    private final ParseSummary summary = new ParseSummary();
    private final Map<String, NatEntry> nat = new HashMap<>();
    private final long[] counters = new long[VxlanCounter.SLOTS];
    private final boolean egressPresent;
    private final boolean xskPresent;

    /**
     * @param egressPresent the DEVMAP holds an egress interface
     * @param xskPresent    an AF_XDP socket is in the XSKMAP for the packets' queue
     */
    public JavaVxlanGateway(VxlanOptions options, boolean egressPresent, boolean xskPresent) {
        this.options = options;
        this.parser = new PacketParser(options.port());
        this.egressPresent = egressPresent;
        this.xskPresent = xskPresent;
        for (NatEntry e : options.nat()) {
            nat.put(natKey(e.family(), e.keyAddress16(), e.port()), e);
        }
    }

    private static String natKey(int family, byte[] addr16, int port) {
        return family + "/" + Arrays.toString(addr16) + "/" + port;
    }

    public long counter(VxlanCounter c) {
        return counters[c.slot()];
    }

    public long[] counters() {
        return counters.clone();
    }

    private VxlanResult done(VxlanCounter reason, int action, byte[] frame) {
        counters[reason.slot()]++;
        return new VxlanResult(action, reason, frame);
    }

    private static int be16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static int fold(long s) {
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    /** RFC 1624 eqn. 3 over the summed changes of the words (as vxlan_gw.h). */
    static int apply(int csum, long delta) {
        return ~fold((~csum & 0xffff) + delta) & 0xffff;
    }

    /** Sets the word at off to v and returns its change (~old + new). */
    private static long set16(byte[] b, int off, int v) {
        int old = be16(b, off);
        put16(b, off, v);
        return (~old & 0xffff) + (long) v;
    }

    public VxlanResult process(byte[] frame) {
        byte[] f = frame.clone();
        counters[VxlanCounter.TOTAL.slot()]++;
        parser.parse(MemorySegment.ofArray(f), f.length, summary);
        int inner = parser.innerOffset();
        int error = summary.error();
        boolean vxlanError = error == ParseCounter.VXLAN_TRUNCATED.id() || error == ParseCounter.VXLAN_BAD_FLAGS.id();
        if (!summary.has(ParseFlags.VXLAN) && !vxlanError) {
            if (summary.stoppedShort()) {
                return done(VxlanCounter.TOO_DEEP, VxlanResult.XDP_DROP, f);
            }
            return done(VxlanCounter.NOT_VXLAN, VxlanResult.XDP_PASS, f);
        }
        counters[VxlanCounter.VXLAN.slot()]++;
        if (error != 0) {
            return done(VxlanCounter.ERR_PARSE, VxlanResult.XDP_DROP, f);
        }
        if (options.vnis() != null && !options.vnis().contains(summary.vni())) {
            return done(VxlanCounter.OTHER_VNI, VxlanResult.XDP_DROP, f);
        }
        if (outerFragment(f, summary.vlanDepth())) {
            return done(VxlanCounter.OUTER_FRAG, VxlanResult.XDP_DROP, f);
        }
        if (summary.innerVlanDepth() != 0) {
            return done(VxlanCounter.INNER_VLAN, VxlanResult.XDP_DROP, f);
        }
        int l3 = summary.l3Offset();
        if (inner == 0 || l3 <= inner || !(summary.has(ParseFlags.IPV4) || summary.has(ParseFlags.IPV6))) {
            return done(VxlanCounter.ERR_INNER_NOT_IP, VxlanResult.XDP_DROP, f);
        }
        counters[VxlanCounter.INNER.slot()]++;
        int family = ((f[l3] & 0xff) >> 4) == 4 ? 4 : 6;
        int alen = family == 4 ? 4 : 16;
        int dstField = l3 + (family == 4 ? 16 : 24);
        int matchField = options.matchDestination() ? dstField : l3 + (family == 4 ? 12 : 8);
        if (!allowed(family, f, matchField)) {
            return done(VxlanCounter.DENIED, VxlanResult.XDP_DROP, f);
        }
        long dIp = 0;
        long dOuter = 0;
        int proto = summary.l4Protocol();
        boolean natApplied = false;
        int l4 = summary.l4Offset();
        if ((proto == 6 || proto == 17) && !summary.has(ParseFlags.FRAGMENT) && l4 > l3) {
            byte[] key = new byte[16];
            System.arraycopy(f, dstField, key, 0, alen);
            NatEntry to = nat.get(natKey(family, key, summary.destinationPort()));
            if (to == null) {
                to = nat.get(natKey(family, new byte[16], summary.destinationPort()));
            }
            if (to != null && family == 6 && sourceRouted(f, l3)) {
                return done(VxlanCounter.NAT_SOURCE_ROUTED, VxlanResult.XDP_DROP, f);
            }
            if (to != null) {
                long dPseudo = 0;
                for (int i = 0; i < alen; i += 2) {
                    long ch = set16(f, dstField + i, be16(to.newAddress(), i));
                    dPseudo += ch;
                    dOuter += ch;
                }
                if (family == 4) {
                    dIp += dPseudo;
                }
                long dL4 = dPseudo;
                long ch = set16(f, l4 + 2, to.newPort());
                dL4 += ch;
                dOuter += ch;
                int csumOff = l4 + (proto == 6 ? 16 : 6);
                int old = be16(f, csumOff);
                if (proto == 6 || old != 0 || family == 6) {
                    int v = apply(old, dL4);
                    if (proto == 17 && v == 0) {
                        v = 0xffff;
                    }
                    dOuter += set16(f, csumOff, v);
                }
                natApplied = true;
            }
        }
        if (family == 4) {
            if (options.clearDf() && (f[l3 + 6] & 0x40) != 0) {
                long ch = set16(f, l3 + 6, be16(f, l3 + 6) & ~0x4000);
                dIp += ch;
                dOuter += ch;
                counters[VxlanCounter.DF_CLEARED.slot()]++;
            }
            if (dIp != 0) {
                dOuter += set16(f, l3 + 10, apply(be16(f, l3 + 10), dIp));
            }
        }
        if (natApplied) {
            counters[VxlanCounter.NAT_APPLIED.slot()]++;
        }
        byte[] out = f;
        if (options.decap()) {
            out = Arrays.copyOfRange(f, inner, f.length);
        } else if (dOuter != 0) {
            int oc = inner - 10;
            int old = be16(f, oc);
            if (old != 0) {
                int v = apply(old, dOuter);
                put16(f, oc, v != 0 ? v : 0xffff);
            }
        }
        if (options.ethDst() != null) {
            if (out.length < 14) {
                return done(VxlanCounter.ERR_BOUNDS, VxlanResult.XDP_DROP, out);
            }
            System.arraycopy(options.ethDst(), 0, out, 0, 6);
            System.arraycopy(options.ethSrc(), 0, out, 6, 6);
        }
        if (!options.egressXsk()) {
            if (egressPresent) {
                handed(out);
                return done(VxlanCounter.TO_DEVMAP, VxlanResult.XDP_REDIRECT, out);
            }
            if (!options.xskFallback()) {
                return done(VxlanCounter.ERR_REDIRECT, VxlanResult.XDP_DROP, out);
            }
        }
        if (xskPresent) {
            handed(out);
            return done(VxlanCounter.TO_XSK, VxlanResult.XDP_REDIRECT, out);
        }
        return done(VxlanCounter.ERR_XSK, VxlanResult.XDP_DROP, out);
    }

    /** The outer IP header is a fragment: IPv4 MF or offset, or an IPv6 fragment header (as the C). */
    static boolean outerFragment(byte[] f, int vlanDepth) {
        int o = 14 + 4 * (vlanDepth & 7);
        if (o + 40 > f.length) {
            return false;
        }
        if ((f[o] & 0xf0) == 0x40) {
            return (f[o + 6] & 0x3f) != 0 || f[o + 7] != 0;
        }
        int nh = f[o + 6] & 0xff;
        o += 40;
        for (int i = 0; i < 8; i++) {
            if (nh == 44) {
                return true;
            }
            if ((nh != 0 && nh != 43 && nh != 60 && nh != 51) || o + 2 > f.length) {
                return false;
            }
            int len = f[o + 1] & 0xff;
            int next = f[o] & 0xff;
            o += nh == 51 ? (len + 2) * 4 : (len + 1) * 8;
            nh = next;
        }
        return false;
    }

    /**
     * A Routing header with Segments Left not 0 in the extension chain of the IPv6 header at l3: the
     * packet's destination is a waypoint, its final one (the pseudo header's, RFC 8200 8.1) in that
     * header. As {@code xdpml_ipv6_source_routed} (ipv6_routing.h), for a chain the parse walked.
     */
    static boolean sourceRouted(byte[] f, int l3) {
        if (l3 + 40 > f.length) {
            return false;
        }
        int nh = f[l3 + 6] & 0xff;
        int o = l3 + 40;
        for (int i = 0; i < 8; i++) {
            if ((nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44) || o + 4 > f.length) {
                return false;
            }
            if (nh == 43 && f[o + 3] != 0) {
                return true;
            }
            int next = f[o] & 0xff;
            int len = f[o + 1] & 0xff;
            o += nh == 44 ? 8 : nh == 51 ? (len + 2) * 4 : (len + 1) * 8;
            nh = next;
        }
        return false;
    }

    private void handed(byte[] out) {
        counters[VxlanCounter.HANDED.slot()]++;
        counters[VxlanCounter.BYTES.slot()] += out.length;
    }

    private boolean allowed(int family, byte[] f, int off) {
        if (options.allowlist() == null) {
            return true;
        }
        for (Prefix p : options.allowlist()) {
            if (p.contains(family, f, off)) {
                return true;
            }
        }
        return false;
    }
}
