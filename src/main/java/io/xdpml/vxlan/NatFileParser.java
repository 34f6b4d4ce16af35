package io.xdpml.vxlan;

import io.xdpml.firewall.FirewallConfigException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The NAT file: one mapping per line, {@code ADDRESS|* PORT -> NEW_ADDRESS NEW_PORT}; {@code #}
 * starts a comment. {@code *} matches any inner destination address with that port (the exact
 * (address, port) entry wins). Addresses are IP literals only (never looked up); two lines with
 * the same key are refused, the key compared as the kernel map's: by the address's bytes, so
 * {@code 2001:db8::1} and {@code 2001:DB8:0::1} are one, {@code ::ffff:10.0.0.1} is
 * {@code 10.0.0.1}, and an all-zero address is {@code *}. Every line is checked first; problems
 * name their line.
 */
public final class NatFileParser {
    private NatFileParser() {}

    public static List<NatEntry> parse(String text, String source) throws FirewallConfigException {
        List<NatEntry> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> keys = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] t = line.split("\\s+");
            int n = i + 1;
            if (t.length != 5 || !t[2].equals("->")) {
                problems.add("line " + n + ": expected 'ADDRESS|* PORT -> NEW_ADDRESS NEW_PORT', got '" + line + "'");
                continue;
            }
            try {
                byte[] to = address(t[3]);
                byte[] from = t[0].equals("*") ? null : address(t[0]);
                if (from != null && from.length != to.length) {
                    throw new IllegalArgumentException("both addresses must be IPv4 or both IPv6");
                }
                int port = port(t[1]);
                int newPort = port(t[4]);
                NatEntry e = new NatEntry(to.length == 4 ? 4 : 6, from, port, to, newPort);
                Integer first = keys.putIfAbsent(e.family() + "/" + Arrays.toString(e.keyAddress16()) + "/" + port, n);
                if (first != null) {
                    throw new IllegalArgumentException("a second mapping for " + t[0] + " " + port + " (first on line "
                            + first + ")");
                }
                out.add(e);
            } catch (IllegalArgumentException e) {
                problems.add("line " + n + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new FirewallConfigException(source, problems);
        }
        return out;
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad port '" + s + "'");
    }

    /** An IP literal (never a name lookup); IPv4 as four dotted numbers. */
    private static byte[] address(String s) {
        try {
            if (s.contains(":") || s.split("\\.", -1).length == 4) {
                return InetAddress.ofLiteral(s).getAddress();
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad address '" + s + "'");
    }
}
