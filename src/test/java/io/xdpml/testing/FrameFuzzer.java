package io.xdpml.testing;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.Ipv6Header;
import java.util.SplittableRandom;

/**
 * Seeded, reproducible generator of hostile frames for the parser: well-formed frames with random
 * layer stacks (VLAN depth 0-6, IPv4 with options and fragments, IPv6 with extension chains up to
 * 10 long, TCP/UDP/ICMP/ICMPv6, VXLAN with inner frames), then mutated (byte flips, length-field
 * overwrites, truncation), plus frames of pure noise. Every frame is at least 14 bytes (shorter
 * frames never reach XDP) and at most {@code maxLength}.
 */
public final class FrameFuzzer {
    private final SplittableRandom rnd;
    private final int maxLength;

    public FrameFuzzer(long seed, int maxLength) {
        this.rnd = new SplittableRandom(seed);
        this.maxLength = maxLength;
    }

    public byte[] next() {
        byte[] f;
        int kind = rnd.nextInt(10);
        if (kind == 0) {
            f = new byte[14 + rnd.nextInt(300)];
            rnd.nextBytes(f);
            if (rnd.nextBoolean()) { // a plausible EtherType keeps noise interesting
                int[] types = {0x0800, 0x86dd, 0x8100, 0x88a8};
                int t = types[rnd.nextInt(types.length)];
                f[12] = (byte) (t >>> 8);
                f[13] = (byte) t;
            }
        } else {
            f = structured();
            int mutations = kind <= 3 ? 0 : rnd.nextInt(1, 5);
            for (int i = 0; i < mutations; i++) {
                mutate(f);
            }
            if (rnd.nextInt(4) == 0) {
                f = java.util.Arrays.copyOf(f, 14 + rnd.nextInt(Math.max(1, f.length - 13)));
            }
        }
        if (f.length > maxLength) {
            f = java.util.Arrays.copyOf(f, maxLength);
        }
        return f;
    }

    private void mutate(byte[] f) {
        int at = rnd.nextInt(f.length);
        switch (rnd.nextInt(4)) {
            case 0 -> f[at] ^= (byte) (1 << rnd.nextInt(8));
            case 1 -> f[at] = (byte) rnd.nextInt(256);
            case 2 -> f[at] = (byte) (rnd.nextBoolean() ? 0 : 0xff);
            default -> { // small values where length fields live
                f[at] = (byte) rnd.nextInt(16);
            }
        }
    }

    private byte[] structured() {
        FrameBuilder b = new FrameBuilder().ethernet();
        layers(b, true);
        return b.build();
    }

    private void layers(FrameBuilder b, boolean outer) {
        int vlans = rnd.nextInt(8) < 5 ? 0 : rnd.nextInt(7);
        int[] tpids = {0x8100, 0x88a8, 0x9100};
        for (int i = 0; i < vlans; i++) {
            b.vlan(tpids[rnd.nextInt(3)], rnd.nextInt(4096));
        }
        int l3 = rnd.nextInt(10);
        if (l3 == 0) {
            b.etherType(0x0806).payload(rnd.nextInt(40));
            return;
        }
        boolean v4 = l3 <= 5;
        if (v4) {
            int frag = switch (rnd.nextInt(6)) {
                case 0 -> 0x2000; // first fragment, more to come
                case 1 -> rnd.nextInt(1, 0x2000); // later fragment
                default -> 0x4000; // DF
            };
            b.ipv4(ip4(), ip4(), frag, 64);
            if (rnd.nextInt(5) == 0) {
                b.ipv4Options(rnd.nextInt(1, 41));
            }
        } else {
            b.ipv6(ip6(), ip6());
            int ext = rnd.nextInt(3) == 0 ? rnd.nextInt(11) : 0;
            int[] types = {Ipv6Header.HOP_BY_HOP, Ipv6Header.ROUTING, Ipv6Header.DESTINATION_OPTIONS, Ipv6Header.AUTHENTICATION};
            for (int i = 0; i < ext; i++) {
                if (rnd.nextInt(6) == 0) {
                    b.ipv6Fragment(rnd.nextInt(3) == 0 ? rnd.nextInt(1, 8000) : 0, rnd.nextBoolean());
                } else {
                    // now and then a huge one, so that later headers start past the offset limit
                    b.ipv6Extension(types[rnd.nextInt(types.length)], rnd.nextInt(20) == 0 ? rnd.nextInt(100, 256) : rnd.nextInt(4));
                }
            }
        }
        switch (rnd.nextInt(v4 ? 5 : 5)) {
            case 0 -> b.tcp(port(), port(), rnd.nextInt(256));
            case 1, 2 -> {
                boolean vxlan = outer && rnd.nextInt(3) == 0;
                b.udp(port(), vxlan ? 4789 : port());
                if (vxlan) {
                    b.vxlan(rnd.nextInt(1 << 24)).ethernet();
                    layers(b, false);
                    return;
                }
            }
            case 3 -> {
                if (v4) {
                    b.icmpEcho(rnd.nextInt(65536), rnd.nextInt(65536));
                } else {
                    b.icmpv6Echo(rnd.nextInt(65536), rnd.nextInt(65536));
                }
            }
            default -> { /* no transport header */ }
        }
        b.payload(rnd.nextInt(4) == 0 ? rnd.nextInt(1200) : rnd.nextInt(64));
    }

    private int port() {
        return rnd.nextInt(65536);
    }

    private byte[] ip4() {
        byte[] a = new byte[4];
        rnd.nextBytes(a);
        return a;
    }

    private byte[] ip6() {
        byte[] a = new byte[16];
        rnd.nextBytes(a);
        return a;
    }
}
