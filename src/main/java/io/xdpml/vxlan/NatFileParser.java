package io.xdpml.vxlan;

import io.xdpml.firewall.FirewallConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The NAT file: one mapping per line, {@code ADDRESS|* PORT -> NEW_ADDRESS NEW_PORT}; {@code #}
 * starts a comment. {@code *} matches any inner destination address with that port (the exact
 * (address, port) entry wins). Every line is checked first; problems name their line.
 */
public final class NatFileParser {
    private NatFileParser() {}

    public static List<NatEntry> parse(String text, String source) throws FirewallConfigException {
        List<NatEntry> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> keys = new HashSet<>();
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
                int family = to.length == 4 ? 4 : 6;
                if (!keys.add(family + "/" + t[0] + "/" + port)) {
                    throw new IllegalArgumentException("a second mapping for " + t[0] + " " + port);
                }
                out.add(new NatEntry(family, from, port, to, newPort));
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

    private static byte[] address(String s) {
        if (!s.matches("[0-9a-fA-F:.]+") || (!s.contains(".") && !s.contains(":"))) {
            throw new IllegalArgumentException("bad address '" + s + "'");
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address '" + s + "'");
        }
    }
}
