package io.xdpml.firewall;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a firewall config file (syntax: docs/firewall.md), or the old VXLAN pipeline's IP
 * allowlist JSON (a file whose first non-blank character is '{': {@link AllowlistJson}). The whole
 * file is checked before anything is returned; every bad line is reported with its number and
 * the reason, and a file with any problem yields no config at all.
 */
public final class FirewallConfigParser {
    /** Most entries a list or the rules may have (the kernel maps are sized at load). */
    public static final int MAX_ENTRIES = 4_000_000;
    public static final long MAX_RATE = 1_000_000_000L;

    private static final Pattern RATE = Pattern.compile("(\\d{1,10})/s");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h)?");
    private static final Pattern PORTS = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?");

    private FirewallConfigParser() {}

    public static FirewallConfig parse(Path file) throws IOException, FirewallConfigException {
        return parse(Files.readString(file), file.toString());
    }

    public static FirewallConfig parse(String text, String source) throws FirewallConfigException {
        if (text.stripLeading().startsWith("{")) {
            return AllowlistJson.parse(text, source);
        }
        return new Reader(source).read(text);
    }

    private static final class Reader {
        final String source;
        final List<String> problems = new ArrayList<>();
        final Map<String, Integer> seen = new HashMap<>();
        boolean defaultDrop;
        boolean malformedPass;
        boolean conntrack;
        boolean strict;
        long[] timeouts = {30, 3600, 30, 60};
        long ratePps;
        long rateBurst;
        long synPps;
        long synBurst;
        long floodPps;
        long floodBurst;
        long barePps;
        long bareBurst;
        long icmpPps;
        long icmpBurst;
        boolean synCookies;
        final Set<Prefix> denySrc = new LinkedHashSet<>();
        final Set<Prefix> denyDst = new LinkedHashSet<>();
        final Set<Prefix> allowSrc = new LinkedHashSet<>();
        final Set<Prefix> allowDst = new LinkedHashSet<>();
        final List<FirewallRule> rules = new ArrayList<>();
        int line;

        Reader(String source) {
            this.source = source;
            for (int i = 0; i < 4; i++) {
                timeouts[i] *= FirewallConfig.SECOND;
            }
        }

        FirewallConfig read(String text) throws FirewallConfigException {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                line = i + 1;
                String l = lines[i];
                int hash = l.indexOf('#');
                if (hash >= 0) {
                    l = l.substring(0, hash);
                }
                l = l.strip();
                if (l.isEmpty()) {
                    continue;
                }
                try {
                    statement(l.split("\\s+"));
                } catch (IllegalArgumentException e) {
                    problem(e.getMessage());
                }
            }
            int entries = denySrc.size() + denyDst.size() + allowSrc.size() + allowDst.size();
            if (entries > MAX_ENTRIES || rules.size() > MAX_ENTRIES) {
                problems.add("too many entries (" + entries + " list entries, " + rules.size() + " rules; at most "
                        + MAX_ENTRIES + " each)");
            }
            if (!problems.isEmpty()) {
                throw new FirewallConfigException(source, problems);
            }
            return new FirewallConfig(defaultDrop, malformedPass, conntrack, strict, timeouts[0], timeouts[1],
                    timeouts[2], timeouts[3], ratePps, rateBurst, synPps, synBurst, floodPps, floodBurst, barePps, bareBurst, icmpPps, icmpBurst, synCookies, List.copyOf(denySrc),
                    List.copyOf(denyDst), List.copyOf(allowSrc), List.copyOf(allowDst), rules);
        }

        void problem(String reason) {
            problems.add("line " + line + ": " + reason);
        }

        /** A setting may appear once. */
        void once(String key) {
            Integer first = seen.putIfAbsent(key, line);
            if (first != null) {
                throw new IllegalArgumentException("'" + key + "' is set again (first on line " + first + ")");
            }
        }

        void statement(String[] w) {
            switch (w[0]) {
                case "default" -> {
                    arity(w, 2, "default pass|drop");
                    once("default");
                    defaultDrop = passOrDrop(w[1]);
                }
                case "malformed" -> {
                    arity(w, 2, "malformed pass|drop");
                    once("malformed");
                    malformedPass = !passOrDrop(w[1]);
                }
                case "conntrack" -> {
                    if (w.length < 2 || w.length > 3 || !(w[1].equals("on") || w[1].equals("off"))
                            || (w.length == 3 && !(w[1].equals("on") && w[2].equals("strict")))) {
                        throw new IllegalArgumentException("expected 'conntrack on [strict]' or 'conntrack off'");
                    }
                    once("conntrack");
                    conntrack = w[1].equals("on");
                    strict = w.length == 3;
                }
                case "timeout" -> {
                    arity(w, 3, "timeout tcp-syn|tcp-established|tcp-fin|udp DURATION");
                    int which = switch (w[1]) {
                        case "tcp-syn" -> 0;
                        case "tcp-established" -> 1;
                        case "tcp-fin" -> 2;
                        case "udp" -> 3;
                        default -> throw new IllegalArgumentException("unknown timeout '" + w[1]
                                + "' (tcp-syn, tcp-established, tcp-fin, udp)");
                    };
                    once("timeout " + w[1]);
                    timeouts[which] = duration(w[2]);
                }
                case "rate-limit", "syn-limit", "syn-flood", "bare-syn-flood", "icmp-flood" -> {
                    once(w[0]);
                    long[] r = rate(w);
                    switch (w[0]) {
                        case "rate-limit" -> {
                            ratePps = r[0];
                            rateBurst = r[1];
                        }
                        case "syn-limit" -> {
                            synPps = r[0];
                            synBurst = r[1];
                        }
                        case "bare-syn-flood" -> {
                            barePps = r[0];
                            bareBurst = r[1];
                        }
                        case "icmp-flood" -> {
                            icmpPps = r[0];
                            icmpBurst = r[1];
                        }
                        default -> {
                            floodPps = r[0];
                            floodBurst = r[1];
                        }
                    }
                }
                case "syn-cookies" -> {
                    if (w.length != 2 || !(w[1].equals("on") || w[1].equals("off"))) {
                        throw new IllegalArgumentException("expected 'syn-cookies on' or 'syn-cookies off'");
                    }
                    once("syn-cookies");
                    synCookies = w[1].equals("on");
                }
                case "deny", "allow" -> list(w);
                case "rule" -> rule(w);
                default -> throw new IllegalArgumentException("unknown statement '" + w[0]
                        + "' (default, malformed, conntrack, timeout, rate-limit, syn-limit, syn-flood, syn-cookies, deny, allow, rule)");
            }
        }

        static void arity(String[] w, int n, String usage) {
            if (w.length != n) {
                throw new IllegalArgumentException("expected '" + usage + "'");
            }
        }

        static boolean passOrDrop(String s) {
            return switch (s) {
                case "pass" -> false;
                case "drop" -> true;
                default -> throw new IllegalArgumentException("expected pass or drop, not '" + s + "'");
            };
        }

        static long duration(String s) {
            Matcher m = DURATION.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad duration '" + s + "' (e.g. 500ms, 30s, 5m, 2h)");
            }
            long v = Long.parseLong(m.group(1));
            long unit = switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ms" -> 1_000_000L;
                case "m" -> 60 * FirewallConfig.SECOND;
                case "h" -> 3600 * FirewallConfig.SECOND;
                default -> FirewallConfig.SECOND;
            };
            if (v == 0 || v > 365L * 86400 * FirewallConfig.SECOND / unit) {
                throw new IllegalArgumentException("duration '" + s + "' out of range (more than 0, at most a year)");
            }
            return v * unit;
        }

        static long[] rate(String[] w) {
            String usage = w[0] + " N/s [burst M] | " + w[0] + " off";
            if (w.length == 2 && w[1].equals("off")) {
                return new long[] {0, 0};
            }
            if (!(w.length == 2 || (w.length == 4 && w[2].equals("burst")))) {
                throw new IllegalArgumentException("expected '" + usage + "'");
            }
            Matcher m = RATE.matcher(w[1]);
            if (!m.matches()) {
                throw new IllegalArgumentException("bad rate '" + w[1] + "' (packets per second, e.g. 1000/s)");
            }
            long pps = Long.parseLong(m.group(1));
            long burst = pps;
            if (w.length == 4) {
                if (!w[3].matches("\\d{1,10}")) {
                    throw new IllegalArgumentException("bad burst '" + w[3] + "'");
                }
                burst = Long.parseLong(w[3]);
            }
            if (pps < 1 || pps > MAX_RATE || burst < 1 || burst > MAX_RATE) {
                throw new IllegalArgumentException("rate and burst must be 1 to " + MAX_RATE);
            }
            return new long[] {pps, burst};
        }

        void list(String[] w) {
            boolean deny = w[0].equals("deny");
            int first = 1;
            boolean dst = false;
            if (w.length > 1 && (w[1].equals("src") || w[1].equals("dst"))) {
                dst = w[1].equals("dst");
                first = 2;
            }
            if (w.length <= first) {
                throw new IllegalArgumentException("expected '" + w[0] + " [src|dst] PREFIX...'");
            }
            Set<Prefix> target = deny ? (dst ? denyDst : denySrc) : (dst ? allowDst : allowSrc);
            for (int i = first; i < w.length; i++) {
                target.add(Prefix.parse(w[i]));
            }
        }

        void rule(String[] w) {
            String usage = "rule pass|drop tcp|udp|icmp|icmpv6|any [from PREFIX|any] [to PREFIX|any] [port N|N-M]";
            if (w.length < 3) {
                throw new IllegalArgumentException("expected '" + usage + "'");
            }
            FirewallRule.Action action = passOrDrop(w[1]) ? FirewallRule.Action.DROP : FirewallRule.Action.PASS;
            FirewallRule.Protocol proto = switch (w[2]) {
                case "tcp" -> FirewallRule.Protocol.TCP;
                case "udp" -> FirewallRule.Protocol.UDP;
                case "icmp" -> FirewallRule.Protocol.ICMP;
                case "icmpv6" -> FirewallRule.Protocol.ICMPV6;
                case "any" -> FirewallRule.Protocol.ANY;
                default -> throw new IllegalArgumentException("unknown protocol '" + w[2] + "' (tcp, udp, icmp, icmpv6, any)");
            };
            Prefix from = null;
            Prefix to = null;
            boolean ports = false;
            int lo = 0;
            int hi = 65535;
            Set<String> used = new LinkedHashSet<>();
            for (int i = 3; i < w.length; i += 2) {
                if (i + 1 >= w.length) {
                    throw new IllegalArgumentException("'" + w[i] + "' needs a value; expected '" + usage + "'");
                }
                if (!used.add(w[i])) {
                    throw new IllegalArgumentException("'" + w[i] + "' given twice");
                }
                String v = w[i + 1];
                switch (w[i]) {
                    case "from" -> from = v.equals("any") ? null : Prefix.parse(v);
                    case "to" -> to = v.equals("any") ? null : Prefix.parse(v);
                    case "port" -> {
                        Matcher m = PORTS.matcher(v);
                        if (!m.matches()) {
                            throw new IllegalArgumentException("bad port range '" + v + "' (N or N-M)");
                        }
                        lo = Integer.parseInt(m.group(1));
                        hi = m.group(2) == null ? lo : Integer.parseInt(m.group(2));
                        if (hi > 65535 || lo > hi) {
                            throw new IllegalArgumentException("bad port range '" + v + "' (0 to 65535, low first)");
                        }
                        ports = true;
                    }
                    default -> throw new IllegalArgumentException("unexpected '" + w[i] + "'; expected '" + usage + "'");
                }
            }
            if (ports && (proto == FirewallRule.Protocol.ICMP || proto == FirewallRule.Protocol.ICMPV6)) {
                throw new IllegalArgumentException("a port range needs tcp, udp or any, not " + w[2]);
            }
            if (from != null && to != null && from.family() != to.family()) {
                throw new IllegalArgumentException("from " + from + " and to " + to + " are different address families");
            }
            rules.add(new FirewallRule(rules.size(), line, action, proto, from, to, ports, lo, hi));
        }
    }
}
