package io.xdpml.model.data;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.xdpml.flow.FlowLayout;

/**
 * Labels for the packets of captures, from a small rules file (format in docs/models.md):
 *
 * <pre>
 * # comment
 * default benign
 * synflood  file=attack/cicddos2019-synflood.pcap host=172.16.0.5
 * benign    file=attack/cicddos2019-synflood.pcap
 * scan      file=attack/*scan*  dst=10.0.0.0/8  time=1500000000..1500000600.5
 * </pre>
 *
 * A rule is a label and conditions that must all hold: {@code file=GLOB} (the capture's path, or
 * any trailing part of it), {@code src=}, {@code dst=} or {@code host=} (either end) an address
 * or prefix (IPv4 or IPv6), {@code time=FROM..TO} (capture time, epoch seconds or ISO-8601
 * instants, FROM inclusive, TO exclusive, either may be left out), each at most once a rule (for
 * either of two values, two rules). The first rule that matches a
 * packet gives its label; {@code default LABEL} (required, once) labels the rest. The label
 * {@value #IGNORE} is not a class: such a packet updates its flow as every packet does, but gives
 * no sample, neither to train on nor to evaluate (a victim's answers in an attack capture).
 */
public final class LabelRules {
    /** The label of packets that give no sample ({@link CaptureSamples}). */
    public static final String IGNORE = "ignore";

    private static final String LABEL = "[A-Za-z0-9_.+-]+";
    private static final java.lang.foreign.ValueLayout.OfLong BE64 =
            java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /** One rule; null conditions always hold. */
    record Rule(int line, String label, PathMatcher file, Prefix src, Prefix dst, Prefix host, long fromNs, long toNs) {
        boolean matches(Path capture, long srcHi, long srcLo, long dstHi, long dstLo, long timeNs) {
            return (file == null || fileMatches(file, capture))
                    && (src == null || src.contains(srcHi, srcLo))
                    && (dst == null || dst.contains(dstHi, dstLo))
                    && (host == null || host.contains(srcHi, srcLo) || host.contains(dstHi, dstLo))
                    && timeNs >= fromNs && timeNs < toNs;
        }
    }

    /** An address prefix over IPv6 (IPv4 as ::ffff:a.b.c.d, as the flow key keeps it). */
    record Prefix(long hi, long lo, int length) {
        boolean contains(long h, long l) {
            if (length == 0) {
                return true;
            }
            if (length <= 64) {
                long mask = -1L << (64 - length);
                return (h & mask) == (hi & mask);
            }
            long mask = length == 128 ? -1L : -1L << (128 - length);
            return h == hi && (l & mask) == (lo & mask);
        }
    }

    private final List<Rule> rules;
    private final String defaultLabel;
    private final List<String> labels;

    private LabelRules(List<Rule> rules, String defaultLabel, List<String> labels) {
        this.rules = rules;
        this.defaultLabel = defaultLabel;
        this.labels = labels;
    }

    public static LabelRules read(Path file) throws IOException {
        return parse(Files.readAllLines(file), file.toString());
    }

    /** Parses rules; IllegalArgumentException "source:line: reason" on the first bad line. */
    public static LabelRules parse(List<String> lines, String source) {
        List<Rule> rules = new ArrayList<>();
        String def = null;
        List<String> labels = new ArrayList<>();
        for (int n = 1; n <= lines.size(); n++) {
            String text = lines.get(n - 1);
            int hash = text.indexOf('#');
            String line = (hash >= 0 ? text.substring(0, hash) : text).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (words[0].equals("default")) {
                if (words.length != 2 || !words[1].matches(LABEL)) {
                    throw error(source, n, "expected 'default LABEL'");
                }
                if (def != null) {
                    throw error(source, n, "a second 'default'");
                }
                if (words[1].equals(IGNORE)) {
                    throw error(source, n, "'" + IGNORE + "' cannot be the default: it labels packets that give no sample");
                }
                def = words[1];
                if (!labels.contains(def)) {
                    labels.addFirst(def);
                } else {
                    labels.remove(def);
                    labels.addFirst(def);
                }
                continue;
            }
            if (!words[0].matches(LABEL)) {
                throw error(source, n, "label '" + words[0] + "' may only have letters, digits and _ . + -");
            }
            if (words.length < 2) {
                throw error(source, n, "rule for '" + words[0] + "' has no condition (use 'default' for the rest)");
            }
            rules.add(rule(words, source, n));
            if (!labels.contains(words[0])) {
                labels.add(words[0]);
            }
        }
        if (def == null) {
            throw error(source, lines.size(), "no 'default LABEL' line");
        }
        return new LabelRules(List.copyOf(rules), def, List.copyOf(labels));
    }

    private static Rule rule(String[] words, String source, int n) {
        PathMatcher file = null;
        Prefix src = null;
        Prefix dst = null;
        Prefix host = null;
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        java.util.Set<String> given = new java.util.HashSet<>();
        for (int i = 1; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq <= 0 || eq == words[i].length() - 1) {
                throw error(source, n, "condition '" + words[i] + "' is not NAME=VALUE");
            }
            String name = words[i].substring(0, eq);
            String value = words[i].substring(eq + 1);
            // all conditions must hold, so a second one of a name is no list: one rule per value
            if (!given.add(name)) {
                throw error(source, n, "condition '" + name + "' given twice (all conditions must hold; for either of two values write two rules)");
            }
            try {
                switch (name) {
                    case "file" -> file = FileSystems.getDefault().getPathMatcher("glob:" + value);
                    case "src" -> src = prefix(value);
                    case "dst" -> dst = prefix(value);
                    case "host" -> host = prefix(value);
                    case "time" -> {
                        int dots = value.indexOf("..");
                        if (dots < 0) {
                            throw new IllegalArgumentException("time must be FROM..TO (either may be empty)");
                        }
                        String a = value.substring(0, dots);
                        String b = value.substring(dots + 2);
                        from = a.isEmpty() ? Long.MIN_VALUE : instantNs(a);
                        to = b.isEmpty() ? Long.MAX_VALUE : instantNs(b);
                        if (from >= to) {
                            throw new IllegalArgumentException("time range is empty: " + value);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown condition '" + name + "' (file, src, dst, host, time)");
                }
            } catch (IllegalArgumentException e) {
                throw error(source, n, e.getMessage());
            }
        }
        return new Rule(n, words[0], file, src, dst, host, from, to);
    }

    private static long instantNs(String s) {
        if (s.matches("\\d+(\\.\\d{0,9})?")) {
            return new BigDecimal(s).movePointRight(9).longValueExact();
        }
        try {
            Instant t = Instant.parse(s);
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time '" + s + "' is neither epoch seconds nor an ISO-8601 instant");
        }
    }

    static Prefix prefix(String s) {
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (!addr.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("'" + addr + "' is not an IP address");
        }
        byte[] b;
        try {
            b = InetAddress.getByName(addr).getAddress(); // numeric only (checked above): no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + addr + "' is not an IP address");
        }
        boolean v4 = b.length == 4;
        int max = v4 ? 32 : 128;
        int len;
        try {
            len = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("prefix length in '" + s + "' is not a number");
        }
        if (len < 0 || len > max) {
            throw new IllegalArgumentException("prefix length " + len + " outside 0.." + max);
        }
        long hi = 0;
        long lo = 0;
        if (v4) {
            lo = 0x0000_ffff_0000_0000L | ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
            len += 96;
        } else {
            for (int i = 0; i < 8; i++) {
                hi = hi << 8 | (b[i] & 0xff);
                lo = lo << 8 | (b[i + 8] & 0xff);
            }
        }
        return new Prefix(hi, lo, len);
    }

    private static boolean fileMatches(PathMatcher m, Path capture) {
        Path p = capture.normalize();
        if (m.matches(p)) {
            return true;
        }
        for (int i = 1; i < p.getNameCount(); i++) {
            if (m.matches(p.subpath(i, p.getNameCount()))) {
                return true;
            }
        }
        return false;
    }

    /** The label of a packet (addresses as the flow key's big-endian words). */
    public String label(Path capture, long srcHi, long srcLo, long dstHi, long dstLo, long timeNs) {
        for (Rule r : rules) {
            if (r.matches(capture, srcHi, srcLo, dstHi, dstLo, timeNs)) {
                return r.label();
            }
        }
        return defaultLabel;
    }

    /** The label of a packet of the flow with this key (FlowLayout), sent by endpoint a when {@code fromA}. */
    public String label(Path capture, java.lang.foreign.MemorySegment key, boolean fromA, long timeNs) {
        long aHi = key.get(BE64, FlowLayout.KEY_ADDR_A);
        long aLo = key.get(BE64, FlowLayout.KEY_ADDR_A + 8);
        long bHi = key.get(BE64, FlowLayout.KEY_ADDR_B);
        long bLo = key.get(BE64, FlowLayout.KEY_ADDR_B + 8);
        return fromA ? label(capture, aHi, aLo, bHi, bLo, timeNs) : label(capture, bHi, bLo, aHi, aLo, timeNs);
    }

    /** Whether any rule can match packets of this capture (rules without file= always can). */
    public boolean mentions(Path capture) {
        return rules.stream().anyMatch(r -> r.file() != null && fileMatches(r.file(), capture));
    }

    public String defaultLabel() {
        return defaultLabel;
    }

    /** Every label: the default first, then the others in the order they first appear ({@link #IGNORE} too). */
    public List<String> labels() {
        return labels;
    }

    /** The labels that are classes: {@link #labels()} but {@link #IGNORE}. */
    public List<String> classLabels() {
        return labels.stream().filter(l -> !l.equals(IGNORE)).toList();
    }

    private static IllegalArgumentException error(String source, int line, String reason) {
        return new IllegalArgumentException(String.format(Locale.ROOT, "%s:%d: %s", source, line, reason));
    }
}
