package io.xdpml.gen;

/**
 * The host addresses of an IPv4 prefix, as the generator uses them: for prefixes up to /30 the
 * addresses between the network and broadcast addresses, for /31 both, for /32 the one.
 *
 * @param first the first host address (an int, big-endian order of the dotted quad)
 * @param count number of host addresses
 * @param text  the prefix as written
 */
public record Ipv4Range(int first, int count, String text) {
    public Ipv4Range {
        if (count < 1) {
            throw new IllegalArgumentException("empty address range " + text);
        }
    }

    /** Parses {@code a.b.c.d/len} or a single address {@code a.b.c.d} (as /32). */
    public static Ipv4Range parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        int len = 32;
        if (slash >= 0) {
            try {
                len = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            if (len < 8 || len > 32) {
                throw new IllegalArgumentException("prefix length of '" + text + "' must be 8..32");
            }
        }
        int a = address(slash >= 0 ? t.substring(0, slash) : t);
        int mask = -1 << (32 - len); // len >= 8
        int net = a & mask;
        if (len >= 31) {
            return new Ipv4Range(len == 32 ? a : net, len == 32 ? 1 : 2, t);
        }
        return new Ipv4Range(net + 1, (1 << (32 - len)) - 2, t);
    }

    /** Host address {@code i} (0 ≤ i &lt; count). */
    public int host(int i) {
        return first + i;
    }

    /** Parses a dotted quad to an int. */
    public static int address(String dotted) {
        String[] p = dotted.trim().split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
        }
        int a = 0;
        for (String s : p) {
            int v;
            try {
                v = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            }
            if (v < 0 || v > 255 || s.isEmpty() || s.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            }
            a = (a << 8) | v;
        }
        return a;
    }

    /** An int address as a dotted quad. */
    public static String text(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    @Override
    public String toString() {
        return text;
    }
}
