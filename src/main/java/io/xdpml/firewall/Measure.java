package io.xdpml.firewall;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;

/**
 * A firewall measure: a dynamic entry against one attack on one victim, installed by Java
 * ({@link FirewallMeasures}, held the same by {@link JavaFirewall}), with an expiry and a hit
 * counter. Not part of the firewall's configuration: a reload keeps it. Four kinds:
 *
 * <ul>
 *   <li>{@link Kind#PORT_DROP}: packets of {@code proto} (UDP, or TCP) FROM source port
 *       {@code port} TO {@code victim} are dropped (reflected amplification: the responses of a
 *       service port, from however many reflectors). Text: {@code port-drop udp/53->192.0.2.7}.
 *   <li>{@link Kind#SYN_LIMIT}: TCP SYNs without ACK TO {@code victim}:{@code port} (0: every
 *       port) beyond {@code pps} per second, burst {@code burst}, are dropped; everything else to
 *       it flows (a SYN flood from spoofed sources). Text:
 *       {@code syn-limit tcp->192.0.2.7:80 1000/s}, {@code syn-limit tcp->192.0.2.7:any 1000/s burst 200}.
 *   <li>{@link Kind#UDP_LIMIT}: UDP datagrams TO {@code victim}:{@code port} (0: every port)
 *       beyond {@code pps} per second, burst {@code burst}, are dropped (a UDP flood from spoofed
 *       or too many sources to block); a datagram's later fragments follow its first fragment's
 *       verdict. Text: {@code udp-limit udp->192.0.2.7:53 5000/s}.
 *   <li>{@link Kind#BARE_SYN_DROP}: TCP SYNs without ACK and without TCP options (a 20-byte header)
 *       TO {@code victim}:{@code port} (0: every port) are dropped, whatever their rate, before any
 *       syn-limit and never answered with a cookie (since 2026-12-07). No TCP stack in use sends such
 *       a SYN (every one sends at least an MSS option); packet crafters do (hping3, most flooders).
 *       Text: {@code bare-syn-drop tcp->192.0.2.7:80}.
 * </ul>
 *
 * @param expiresNanos the packet clock's time after which it no longer matches (live: the kernel's
 *                     CLOCK_MONOTONIC, as {@link System#nanoTime()}; tests: the test clock); 0 never
 * @param hits         packets it dropped (as read back; ignored when installing)
 */
public record Measure(Kind kind, InetAddress victim, int proto, int port, long pps, long burst, long expiresNanos, long hits) {
    /** Rates and bursts up to this (the bucket's capacity in nano-tokens then fits a signed 64-bit word). */
    public static final long MAX_RATE = 1_000_000_000L;

    /** What a measure does. */
    public enum Kind {
        PORT_DROP("port-drop", FirewallLayout.M_PORT_DROP), SYN_LIMIT("syn-limit", FirewallLayout.M_SYN_LIMIT),
        UDP_LIMIT("udp-limit", FirewallLayout.M_UDP_LIMIT), BARE_SYN_DROP("bare-syn-drop", FirewallLayout.M_BARE_SYN);

        /** The name in texts and on the command line. */
        public final String text;
        /** enum xdpml_fw_measure_kind. */
        public final int code;

        Kind(String text, int code) {
            this.text = text;
            this.code = code;
        }

        public static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalArgumentException("no measure kind " + code);
        }

        public static Kind parse(String text) {
            for (Kind k : values()) {
                if (k.text.equals(text)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown measure kind '" + text + "' (port-drop, syn-limit, udp-limit or bare-syn-drop)");
        }
    }

    public Measure {
        if (kind == null || victim == null) {
            throw new IllegalArgumentException("a measure needs a kind and a victim");
        }
        switch (kind) {
            case PORT_DROP -> {
                if (proto != 6 && proto != 17) {
                    throw new IllegalArgumentException("port-drop is for udp or tcp, not protocol " + proto);
                }
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port-drop needs a source port 1..65535, not " + port);
                }
                if (pps != 0 || burst != 0) {
                    throw new IllegalArgumentException("port-drop has no rate");
                }
            }
            case BARE_SYN_DROP -> {
                if (proto != 6) {
                    throw new IllegalArgumentException("bare-syn-drop is for tcp, not protocol " + proto);
                }
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("bare-syn-drop port " + port + " outside 0..65535 (0: any)");
                }
                if (pps != 0 || burst != 0) {
                    throw new IllegalArgumentException("bare-syn-drop has no rate");
                }
            }
            case SYN_LIMIT, UDP_LIMIT -> {
                int wanted = kind == Kind.SYN_LIMIT ? 6 : 17;
                if (proto != wanted) {
                    throw new IllegalArgumentException(kind.text + " is for " + (wanted == 6 ? "tcp" : "udp") + ", not protocol " + proto);
                }
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException(kind.text + " port " + port + " outside 0..65535 (0: any)");
                }
                if (pps < 0 || pps > MAX_RATE || burst < 0 || burst > MAX_RATE) {
                    throw new IllegalArgumentException(kind.text + " rate and burst must be 0.." + MAX_RATE);
                }
                if (pps > 0 && burst == 0) { // the bucket holds nothing: every packet dropped, whatever the rate says
                    throw new IllegalArgumentException(kind.text + ": a burst of 0 lets no " + (wanted == 6 ? "SYN" : "datagram") + " through at "
                            + pps + "/s: give at least 1");
                }
            }
        }
    }

    /** Drops {@code proto} (17 UDP, 6 TCP) packets from {@code sourcePort} to {@code victim}. */
    public static Measure portDrop(int proto, int sourcePort, InetAddress victim, long expiresNanos) {
        return new Measure(Kind.PORT_DROP, victim, proto, sourcePort, 0, 0, expiresNanos, 0);
    }

    /** Lets {@code pps} SYNs per second (burst {@code burst}) to {@code victim}:{@code port} (0: any) through, drops the rest. */
    public static Measure synLimit(InetAddress victim, int port, long pps, long burst, long expiresNanos) {
        return new Measure(Kind.SYN_LIMIT, victim, 6, port, pps, burst, expiresNanos, 0);
    }

    /** Lets {@code pps} UDP datagrams per second (burst {@code burst}) to {@code victim}:{@code port} (0: any) through, drops the rest. */
    public static Measure udpLimit(InetAddress victim, int port, long pps, long burst, long expiresNanos) {
        return new Measure(Kind.UDP_LIMIT, victim, 17, port, pps, burst, expiresNanos, 0);
    }

    /** Drops the SYNs without TCP options to {@code victim}:{@code port} (0: any), whatever their rate. */
    public static Measure bareSynDrop(InetAddress victim, int port, long expiresNanos) {
        return new Measure(Kind.BARE_SYN_DROP, victim, 6, port, 0, 0, expiresNanos, 0);
    }

    /** Whether it limits to a rate (syn-limit, udp-limit) rather than drops. */
    public boolean limit() {
        return kind == Kind.SYN_LIMIT || kind == Kind.UDP_LIMIT;
    }

    /** Whether it matches at time {@code now} (the same clock as {@link #expiresNanos}). */
    public boolean activeAt(long now) {
        return expiresNanos == 0 || Long.compareUnsigned(now, expiresNanos) <= 0;
    }

    public Measure withExpiry(long expires) {
        return new Measure(kind, victim, proto, port, pps, burst, expires, hits);
    }

    public Measure withHits(long n) {
        return new Measure(kind, victim, proto, port, pps, burst, expiresNanos, n);
    }

    /** Whether {@code o} is the same entry (kind, victim, protocol, port): rate, expiry and hits aside. */
    public boolean sameEntry(Measure o) {
        return kind == o.kind && victim.equals(o.victim) && proto == o.proto && port == o.port;
    }

    /** The bucket's capacity in nano-tokens (syn-limit, udp-limit). */
    long cap() {
        return burst * FirewallLayout.NS_PER_TOKEN;
    }

    /**
     * The entry without its rate: {@code port-drop udp/53->192.0.2.7}, {@code syn-limit tcp->192.0.2.7:80},
     * {@code udp-limit udp->192.0.2.7:any}, {@code bare-syn-drop tcp->192.0.2.7:80}.
     */
    public String entry() {
        String host = host(victim);
        String p = proto == 6 ? "tcp" : "udp";
        return switch (kind) {
            case PORT_DROP -> "port-drop " + p + "/" + port + "->" + host;
            case SYN_LIMIT, UDP_LIMIT, BARE_SYN_DROP -> kind.text + " " + p + "->" + host + ":" + (port == 0 ? "any" : Integer.toString(port));
        };
    }

    /** An address as in the text form: dotted quad, or RFC 5952 in brackets. */
    public static String host(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        return "[" + io.xdpml.detect.Addresses.text(MeasureTable.word(b, 0), MeasureTable.word(b, 8)) + "]";
    }

    /** The rate of a syn-limit or udp-limit ({@code 1000/s}, {@code 1000/s burst 200} when the burst differs), else "". */
    public String rate() {
        return limit() ? pps + "/s" + (burst != pps ? " burst " + burst : "") : "";
    }

    /** The stable text form: {@link #entry()} and, for a limit, its {@link #rate()}. */
    @Override
    public String toString() {
        return limit() ? entry() + " " + rate() : entry();
    }

    /**
     * Parses the text form ({@code port-drop udp/53->192.0.2.7}, {@code syn-limit tcp->192.0.2.7:80
     * 1000/s [burst 200]}, {@code udp-limit udp->192.0.2.7:53 5000/s}, {@code bare-syn-drop
     * tcp->192.0.2.7:80}) or the command-line form ({@code port-drop:udp/53->192.0.2.7},
     * {@code syn-limit:tcp->192.0.2.7:80@1000/s[,burst=200]}, {@code udp-limit:udp->192.0.2.7:53@5000/s},
     * {@code bare-syn-drop:tcp->192.0.2.7:80}). IPv6 victims in brackets; the port of a limit or a
     * bare-syn-drop may be {@code any} (or {@code *}, or 0). The burst defaults to the rate.
     *
     * @param needRate whether a limit must name its rate (false: to name an entry, e.g. to remove it)
     */
    public static Measure parse(String text, boolean needRate, long expiresNanos) {
        String t = text.strip();
        int sep = 0;
        while (sep < t.length() && t.charAt(sep) != ':' && !Character.isWhitespace(t.charAt(sep))) {
            sep++;
        }
        if (sep == t.length()) {
            throw new IllegalArgumentException("measure '" + text + "' is not KIND:SPEC (port-drop:udp/53->192.0.2.7, "
                    + "syn-limit:tcp->192.0.2.7:80@1000/s, udp-limit:udp->192.0.2.7:53@5000/s, bare-syn-drop:tcp->192.0.2.7:80)");
        }
        Kind kind = Kind.parse(t.substring(0, sep).toLowerCase(Locale.ROOT));
        String spec = t.substring(sep + 1).strip();
        String rate = null;
        int at = spec.indexOf('@');
        if (at >= 0) {
            rate = spec.substring(at + 1);
            spec = spec.substring(0, at);
        } else {
            int space = spec.indexOf(' ');
            if (space >= 0) {
                rate = spec.substring(space + 1).strip();
                spec = spec.substring(0, space);
            }
        }
        int arrow = spec.indexOf("->");
        if (arrow < 0) {
            throw new IllegalArgumentException("measure '" + text + "': no '->' before the victim");
        }
        String left = spec.substring(0, arrow).toLowerCase(Locale.ROOT);
        String right = spec.substring(arrow + 2);
        try {
            if (kind == Kind.PORT_DROP || kind == Kind.BARE_SYN_DROP) {
                if (rate != null) {
                    throw new IllegalArgumentException("measure '" + text + "': " + kind.text + " has no rate");
                }
            }
            if (kind == Kind.PORT_DROP) {
                int slash = left.indexOf('/');
                if (slash < 0) {
                    throw new IllegalArgumentException("measure '" + text + "' is not port-drop:PROTO/PORT->VICTIM");
                }
                return portDrop(protocol(left.substring(0, slash), text), number(left.substring(slash + 1), "port", text),
                        address(right, text), expiresNanos);
            }
            int colon = right.lastIndexOf(':');
            if (colon < 0 || (right.startsWith("[") && colon < right.indexOf(']'))) {
                throw new IllegalArgumentException("measure '" + text + "' is not " + kind.text + ":" + (kind == Kind.UDP_LIMIT ? "udp" : "tcp")
                        + "->VICTIM:PORT" + (kind == Kind.BARE_SYN_DROP ? "" : "@N/s"));
            }
            String p = right.substring(colon + 1);
            int port = p.equals("any") || p.equals("*") ? 0 : number(p, "port", text);
            long pps = 0;
            long burst = 0;
            if (rate != null) {
                String r = rate.replace(",burst=", " burst ").replace(", burst ", " burst ").strip();
                String[] w = r.split("\\s+");
                if (!w[0].endsWith("/s") || (w.length != 1 && (w.length != 3 || !w[1].equals("burst")))) {
                    throw new IllegalArgumentException("measure '" + text + "': rate is N/s[,burst=M]");
                }
                pps = number(w[0].substring(0, w[0].length() - 2), "rate", text);
                burst = w.length == 3 ? number(w[2], "burst", text) : pps;
            } else if (needRate && kind != Kind.BARE_SYN_DROP) {
                throw new IllegalArgumentException("measure '" + text + "': a " + kind.text + " needs a rate (@N/s)");
            }
            InetAddress victim = address(right.substring(0, colon), text);
            if (kind == Kind.BARE_SYN_DROP) {
                return bareSynDrop(victim, port, expiresNanos).withProtocolChecked(protocol(left, text), text);
            }
            return (kind == Kind.SYN_LIMIT ? synLimit(victim, port, pps, burst, expiresNanos) : udpLimit(victim, port, pps, burst, expiresNanos))
                    .withProtocolChecked(protocol(left, text), text);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("measure '")) {
                throw e;
            }
            throw new IllegalArgumentException("measure '" + text + "': " + e.getMessage(), e);
        }
    }

    private Measure withProtocolChecked(int p, String text) {
        if (p != proto) {
            throw new IllegalArgumentException("measure '" + text + "': " + kind.text + " is for " + (proto == 6 ? "tcp" : "udp"));
        }
        return this;
    }

    private static int protocol(String p, String text) {
        return switch (p) {
            case "udp" -> 17;
            case "tcp" -> 6;
            default -> throw new IllegalArgumentException("measure '" + text + "': protocol '" + p + "' is not udp or tcp");
        };
    }

    private static int number(String s, String what, String text) {
        try {
            long v = Long.parseLong(s);
            if (v < 0 || v > MAX_RATE) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("measure '" + text + "': bad " + what + " '" + s + "'");
        }
    }

    private static InetAddress address(String s, String text) {
        String h = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        try {
            return InetAddress.ofLiteral(h);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("measure '" + text + "': bad victim address '" + s + "'");
        }
    }
}
