package io.xdpml.detect;

/**
 * IP addresses as two big-endian 64-bit words ({@code hi}, {@code lo}), IPv4 mapped as
 * {@code ::ffff:a.b.c.d} like {@link io.xdpml.flow.FlowPacket}, and the 64-bit keys the detectors'
 * primitive tables use: an IPv4 address is its own key (below 2^32); an IPv6 address is a
 * 64-bit mix of its 128 bits and a secret of the process, with the top bit set (collisions are
 * possible but vanishingly rare, and cannot be computed from outside).
 */
public final class Addresses {
    /** The upper half of the low word of an IPv4-mapped address. */
    public static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    private Addresses() {}

    public static boolean isV4(long hi, long lo) {
        return hi == 0 && (lo & 0xffff_ffff_0000_0000L) == V4_MAPPED;
    }

    /**
     * A secret of this process in the IPv6 keys: the mix is invertible, so without it an attacker
     * could compute an address of its own /64 whose key is another host's, and have its scan counted,
     * reported and blocked as that host's.
     */
    private static final long SECRET = new java.security.SecureRandom().nextLong();

    /** The table key of an address. */
    public static long key(long hi, long lo) {
        if (isV4(hi, lo)) {
            return lo & 0xffff_ffffL;
        }
        return mix((hi ^ SECRET) * 0x9E37_79B9_7F4A_7C15L ^ mix(lo + SECRET)) | Long.MIN_VALUE;
    }

    /** The table key of an IPv4 address given as an int. */
    public static long keyV4(int address) {
        return address & 0xffff_ffffL;
    }

    /** A 64-bit finaliser (splitmix64): combines keys into pair keys. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        return z ^ (z >>> 31);
    }

    /** A key for the pair (a, b), distinct from a and b's own keys in practice. */
    public static long pair(long a, long b) {
        return mix(a * 0x9E37_79B9_7F4A_7C15L + mix(b + 0x632B_E59B_D9B4_E019L));
    }

    /** Text of an address: dotted quad for IPv4, RFC 5952 for IPv6. */
    public static String text(long hi, long lo) {
        if (isV4(hi, lo)) {
            return textV4((int) lo);
        }
        return textV6(hi, lo);
    }

    /** RFC 5952 text of 16 bytes as IPv6, ::ffff:a.b.c.d included (as ::ffff:xxxx:xxxx). */
    public static String textV6(long hi, long lo) {
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            g[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::"
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** The address as an InetAddress (IPv4 for a mapped one; no name lookup). */
    public static java.net.InetAddress inet(long hi, long lo) {
        try {
            if (isV4(hi, lo)) {
                int a = (int) lo;
                return java.net.InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
            return java.net.InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String textV4(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    /** The 16 bytes of an address as the kernel's maps key it: IPv6 as is, IPv4 as ::ffff:a.b.c.d. */
    public static byte[] mapped(java.net.InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16) {
            return b;
        }
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(b, 0, m, 12, 4);
        return m;
    }

    /** Whether 16 address bytes are an IPv4-mapped address (::ffff:a.b.c.d). */
    public static boolean isV4Mapped(byte[] addr) {
        for (int i = 0; i < 10; i++) {
            if (addr[i] != 0) {
                return false;
            }
        }
        return addr[10] == (byte) 0xff && addr[11] == (byte) 0xff;
    }

    /** The address of 16 bytes in the maps' form: IPv4 for a mapped one, else IPv6. */
    public static java.net.InetAddress unmapped(byte[] addr) {
        try {
            return java.net.InetAddress.getByAddress(isV4Mapped(addr) ? java.util.Arrays.copyOfRange(addr, 12, 16) : addr);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
