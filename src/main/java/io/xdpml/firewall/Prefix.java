package io.xdpml.firewall;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix: the address bytes (4 or 16), with every bit after {@code length} zero.
 * Parsed from literals only ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, a host without a length);
 * never resolves names.
 */
public record Prefix(int family, byte[] address, int length) {
    public Prefix {
        int bits = family == 4 ? 32 : 128;
        if ((family != 4 && family != 6) || address.length != bits / 8 || length < 0 || length > bits) {
            throw new IllegalArgumentException("bad prefix " + family + "/" + address.length + "/" + length);
        }
        address = address.clone();
    }

    /** The prefix that matches every address of the family. */
    public static Prefix any(int family) {
        return new Prefix(family, new byte[family == 4 ? 4 : 16], 0);
    }

    /**
     * Parses {@code ADDR[/LEN]}.
     *
     * @throws IllegalArgumentException with the reason (not an address, length out of range, host bits set)
     */
    public static Prefix parse(String text) {
        String addr = text;
        int length = -1;
        int slash = text.indexOf('/');
        if (slash >= 0) {
            addr = text.substring(0, slash);
            String len = text.substring(slash + 1);
            if (!len.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("bad prefix length '" + len + "' in '" + text + "'");
            }
            length = Integer.parseInt(len);
        }
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + addr + "' is not an IPv4 or IPv6 address");
        }
        int family = bytes.length == 4 ? 4 : 6;
        int bits = bytes.length * 8;
        if (length < 0) {
            length = bits;
        }
        if (length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " is more than " + bits + " in '" + text + "'");
        }
        byte[] masked = mask(bytes, length);
        if (!Arrays.equals(masked, bytes)) {
            throw new IllegalArgumentException("host bits set in '" + text + "' (the prefix is "
                    + new Prefix(family, masked, length) + ")");
        }
        return new Prefix(family, bytes, length);
    }

    /** The bytes of an IPv4 (dotted quad) or IPv6 literal, or null. IPv4-mapped IPv6 stays IPv6. */
    static byte[] literal(String s) {
        if (s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') < 0) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (!parts[i].matches("\\d{1,3}")) {
                    return null;
                }
                int v = Integer.parseInt(parts[i]);
                if (v > 255) {
                    return null;
                }
                b[i] = (byte) v;
            }
            return b;
        }
        if (!s.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(s); // a literal: no resolution
            if (a instanceof Inet6Address) {
                return a.getAddress();
            }
            if (a instanceof Inet4Address) { // Java folds ::ffff:a.b.c.d to IPv4: keep it IPv6
                byte[] b = new byte[16];
                b[10] = (byte) 0xff;
                b[11] = (byte) 0xff;
                System.arraycopy(a.getAddress(), 0, b, 12, 4);
                return b;
            }
            return null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static byte[] mask(byte[] bytes, int length) {
        byte[] m = bytes.clone();
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, length - i * 8));
            m[i] &= (byte) (0xff00 >>> keep);
        }
        return m;
    }

    /** Whether the address (4 or 16 bytes, of this family) is inside this prefix. */
    public boolean contains(int addrFamily, byte[] addr, int offset) {
        if (addrFamily != family) {
            return false;
        }
        int full = length / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != addr[offset + i]) {
                return false;
            }
        }
        int rest = length % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff00 >>> rest) & 0xff;
        return (address[full] & m) == (addr[offset + full] & m);
    }

    /** Whether every address of {@code other} is inside this prefix. */
    public boolean covers(Prefix other) {
        return other.family == family && other.length >= length && contains(family, other.address, 0);
    }

    /** This prefix cut to {@code len} bits. */
    public Prefix truncate(int len) {
        return new Prefix(family, mask(address, len), len);
    }

    @Override
    public byte[] address() {
        return address.clone();
    }

    byte[] rawAddress() {
        return address;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prefix p && p.family == family && p.length == length && Arrays.equals(p.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + length * 7 + family;
    }

    @Override
    public String toString() {
        String a;
        if (family == 4) {
            a = (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        } else {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(address);
            a = io.xdpml.detect.Addresses.textV6(b.getLong(0), b.getLong(8)); // RFC 5952 ("0:0:0:0:0:fffe:0:0" is "::fffe:0:0")
        }
        return a + "/" + length;
    }
}
