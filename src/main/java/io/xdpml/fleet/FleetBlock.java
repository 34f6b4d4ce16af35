package io.xdpml.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.firewall.Measure;
import io.xdpml.firewall.Prefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One record of the fleet's blocks topic ({@code xdpml.blocks}, compacted): what is blocked, why,
 * which host decided it and until when. The record's key (UTF-8) is {@link #key()}, one per blocked
 * thing, so compaction keeps the latest decision per prefix, flow or measure; a record with that key
 * and a null value (a tombstone) removes it.
 *
 * <p>Three kinds, each with a canonical text {@code target} (the key is {@code KIND:TARGET}):
 * <pre>
 *   prefix   192.0.2.7/32, 2001:db8::/48                          key prefix:192.0.2.7/32
 *   flow     tcp 192.0.2.1:40000 &lt;-&gt; 198.51.100.1:80 [vlan 5] [vni 42]
 *                                                 key flow:tcp 192.0.2.1:40000 &lt;-&gt; 198.51.100.1:80 [vlan 5] [vni 42]
 *            (IPv6 hosts in brackets; endpoints ordered: the lower address, then port, first; the
 *            innermost packet's addresses, and the VXLAN tunnel's VNI for a flow inside one)
 *   measure  port-drop udp/53-&gt;192.0.2.7, syn-limit tcp-&gt;192.0.2.7:80 1000/s, udp-limit udp-&gt;192.0.2.7:53 5000/s
 *            (the firewall measure's text form; the key leaves the rate out: key measure:syn-limit tcp-&gt;192.0.2.7:80)
 * </pre>
 *
 * <p>The value is one JSON object (UTF-8):
 * <pre>
 * {"type":"xdpml.block","version":1,"kind":"prefix","target":"192.0.2.7/32","host":"host-a",
 *  "detector":"portscan","reasons":["..."],"created_ms":1764784800000,"until_ms":1764785100000}
 * </pre>
 * {@code until_ms}: epoch ms when the block ends, 0 never; {@code created_ms}: epoch ms of the
 * decision; {@code detector}: the detector's name, or {@code manual} for {@code xdpml blocks add
 * --fleet}, or {@code fleet} for the fleet detector. {@link #parse} rejects anything else
 * (another type or version, missing fields, a target that does not parse, a key that does not
 * match the value) with an {@link IllegalArgumentException}: consumers skip and count such records.
 */
public record FleetBlock(Kind kind, String target, String host, String detector, List<String> reasons, long createdMs, long untilMs) {

    /** The record's {@code type} field. */
    public static final String TYPE = "xdpml.block";
    /** The record format's version. */
    public static final int VERSION = 1;
    /** The key prefix/detector of blocks published by hand. */
    public static final String MANUAL = "manual";

    /** The widest prefixes a fleet block may name (a /0 from a bad record must not cut a host off). */
    public static final int MIN_PREFIX_V4 = 8;
    public static final int MIN_PREFIX_V6 = 32;
    private static final Prefix V4_MAPPED = Prefix.parse("::ffff:0:0/96");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a block is about. */
    public enum Kind {
        PREFIX, FLOW, MEASURE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.id().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown block kind '" + s + "' (prefix, flow, measure)");
        }
    }

    /** Validates and canonicalises the target (a prefix with host bits set, a bad flow or measure: IllegalArgumentException). */
    public FleetBlock {
        if (kind == null || target == null) {
            throw new IllegalArgumentException("a block needs a kind and a target");
        }
        target = canonical(kind, target);
        if (kind == Kind.PREFIX) {
            Prefix p = Prefix.parse(target);
            int min = p.family() == 4 ? MIN_PREFIX_V4 : MIN_PREFIX_V6;
            if (p.length() < min) {
                throw new IllegalArgumentException("prefix " + target + " is wider than /" + min + ": the fleet does not block so much");
            }
            if (p.family() == 6 && (p.covers(V4_MAPPED) || V4_MAPPED.covers(p))) {
                // the blocks key IPv4 as ::ffff:a.b.c.d: such a prefix would block IPv4 sources past the /8 floor
                throw new IllegalArgumentException("prefix " + target + " overlaps ::ffff:0:0/96, where the blocks keep IPv4:"
                        + " name IPv4 sources as IPv4");
            }
        }
        host = host == null ? "" : host;
        detector = detector == null ? "" : detector;
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        if (createdMs < 0 || untilMs < 0) {
            throw new IllegalArgumentException("negative time in block of " + target);
        }
    }

    /** A prefix block ({@code 192.0.2.7}, {@code 192.0.2.0/24}, {@code 2001:db8::/32}). */
    public static FleetBlock prefix(String prefix, String host, String detector, List<String> reasons, long createdMs, long untilMs) {
        return new FleetBlock(Kind.PREFIX, prefix, host, detector, reasons, createdMs, untilMs);
    }

    /** A flow block, both directions. */
    public static FleetBlock flow(Flow flow, String host, String detector, List<String> reasons, long createdMs, long untilMs) {
        return new FleetBlock(Kind.FLOW, flow.toString(), host, detector, reasons, createdMs, untilMs);
    }

    /** A firewall measure block. */
    public static FleetBlock measure(Measure m, String host, String detector, List<String> reasons, long createdMs, long untilMs) {
        return new FleetBlock(Kind.MEASURE, m.toString(), host, detector, reasons, createdMs, untilMs);
    }

    /** The record key: {@code prefix:192.0.2.7/32}, {@code flow:tcp A:p <-> B:q}, {@code measure:port-drop udp/53->192.0.2.7}. */
    public String key() {
        return keyOf(kind, target);
    }

    /** The key of a block of {@code kind} on {@code target} (canonicalised; for a tombstone). */
    public static String keyOf(Kind kind, String target) {
        String t = kind == Kind.MEASURE ? Measure.parse(target, false, 0).entry() : canonical(kind, target);
        return kind.id() + ":" + t;
    }

    /** The key as the record's bytes. */
    public byte[] keyBytes() {
        return key().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether it has ended at epoch ms {@code nowMs} (a block with until 0 never ends). */
    public boolean expiredAt(long nowMs) {
        return untilMs != 0 && nowMs >= untilMs;
    }

    /** The ms it has left at {@code nowMs}: -1 for no expiry, 0 when ended. */
    public long remainingMs(long nowMs) {
        return untilMs == 0 ? -1 : Math.max(0, untilMs - nowMs);
    }

    /** The prefix of a {@link Kind#PREFIX} block. */
    public Prefix prefix() {
        requireKind(Kind.PREFIX);
        return Prefix.parse(target);
    }

    /** The measure of a {@link Kind#MEASURE} block (expiry 0: the caller sets its clock's expiry). */
    public Measure measure() {
        requireKind(Kind.MEASURE);
        return Measure.parse(target, true, 0);
    }

    /** The flow of a {@link Kind#FLOW} block. */
    public Flow flow() {
        requireKind(Kind.FLOW);
        return Flow.parse(target);
    }

    private void requireKind(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("a " + kind.id() + " block, not a " + k.id() + " block");
        }
    }

    /**
     * A blocked flow: canonical endpoints (a: the lower address, then port), protocol number,
     * outermost VLAN (0: untagged), VXLAN VNI (0: not tunnelled).
     */
    public record Flow(InetAddress addressA, int portA, InetAddress addressB, int portB, int protocol, int vlan, int vni) {
        public Flow {
            if ((addressA instanceof Inet4Address) != (addressB instanceof Inet4Address)) {
                throw new IllegalArgumentException("a flow's endpoints are both IPv4 or both IPv6");
            }
            io.xdpml.processor.Mitigation.Flow.checkRanges(portA, portB, protocol, vlan, vni);
            boolean ports = protocol == 6 || protocol == 17;
            if (!ports) {
                portA = 0;
                portB = 0;
            }
            int c = Arrays.compareUnsigned(addressA.getAddress(), addressB.getAddress());
            if (c > 0 || (c == 0 && portA > portB)) {
                InetAddress t = addressA;
                addressA = addressB;
                addressB = t;
                int p = portA;
                portA = portB;
                portB = p;
            }
        }

        /** A flow outside any tunnel. */
        public Flow(InetAddress addressA, int portA, InetAddress addressB, int portB, int protocol, int vlan) {
            this(addressA, portA, addressB, portB, protocol, vlan, 0);
        }

        /**
         * {@code tcp 192.0.2.1:40000 <-> 198.51.100.1:80}, {@code udp [2001:db8::1]:53 <-> [2001:db8::2]:5353 vlan 7},
         * {@code tcp 10.0.0.1:5000 <-> 10.0.0.2:80 vni 42}.
         */
        @Override
        public String toString() {
            return protocolName(protocol) + " " + Measure.host(addressA) + ":" + portA + " <-> " + Measure.host(addressB) + ":" + portB
                    + (vlan != 0 ? " vlan " + vlan : "") + (vni != 0 ? " vni " + vni : "");
        }

        /** Parses {@link #toString()}'s form (endpoints in either order). */
        public static Flow parse(String text) {
            String[] w = text.strip().split("\\s+");
            int i = 4;
            boolean vlanGiven = w.length >= i + 2 && w[i].equals("vlan");
            i += vlanGiven ? 2 : 0;
            boolean vniGiven = w.length >= i + 2 && w[i].equals("vni");
            i += vniGiven ? 2 : 0;
            if (w.length < 4 || w.length != i || !w[2].equals("<->")) {
                throw new IllegalArgumentException("flow '" + text + "' is not PROTO A:PORT <-> B:PORT [vlan N] [vni N]");
            }
            int proto = switch (w[0]) {
                case "tcp" -> 6;
                case "udp" -> 17;
                case "icmp" -> 1;
                case "icmpv6" -> 58;
                default -> {
                    if (w[0].startsWith("proto-")) {
                        yield number(w[0].substring(6), 255, text);
                    }
                    throw new IllegalArgumentException("flow '" + text + "': unknown protocol '" + w[0] + "'");
                }
            };
            int vlan = vlanGiven ? number(w[5], 4095, text) : 0;
            int vni = vniGiven ? number(w[i - 1], io.xdpml.packet.TransportHeaders.VXLAN_MAX_VNI, text) : 0;
            int pa = port(w[1], text);
            int pb = port(w[3], text);
            return new Flow(endpoint(w[1], text), pa, endpoint(w[3], text), pb, proto, vlan, vni);
        }

        private static InetAddress endpoint(String ep, String text) {
            int colon = ep.lastIndexOf(':');
            String h = colon < 0 ? "" : ep.substring(0, colon);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            } else if (h.indexOf(':') >= 0) {
                throw new IllegalArgumentException("flow '" + text + "': IPv6 hosts go in brackets");
            }
            byte[] b = literal(h);
            if (b == null) {
                throw new IllegalArgumentException("flow '" + text + "': bad address '" + h + "'");
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(e);
            }
        }

        private static int port(String ep, String text) {
            int colon = ep.lastIndexOf(':');
            if (colon < 0 || ep.endsWith("]")) {
                throw new IllegalArgumentException("flow '" + text + "': endpoint '" + ep + "' has no port");
            }
            return number(ep.substring(colon + 1), 65535, text);
        }
    }

    private static byte[] literal(String h) {
        try {
            Prefix p = Prefix.parse(h);
            if (p.length() != (p.family() == 4 ? 32 : 128)) {
                return null;
            }
            return p.address();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int number(String s, int max, String text) {
        if (!s.matches("\\d{1,8}") || Integer.parseInt(s) > max) {
            throw new IllegalArgumentException("'" + text + "': bad number '" + s + "' (0.." + max + ")");
        }
        return Integer.parseInt(s);
    }

    static String protocolName(int p) {
        return switch (p) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 58 -> "icmpv6";
            default -> "proto-" + p;
        };
    }

    /** The canonical target text; throws IllegalArgumentException when it does not parse. */
    static String canonical(Kind kind, String target) {
        return switch (kind) {
            case PREFIX -> Prefix.parse(target.strip()).toString();
            case FLOW -> Flow.parse(target).toString();
            case MEASURE -> Measure.parse(target, true, 0).toString();
        };
    }

    /** The value as a JSON object. */
    public ObjectNode toJsonNode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", TYPE);
        o.put("version", VERSION);
        o.put("kind", kind.id());
        o.put("target", target);
        o.put("host", host);
        o.put("detector", detector);
        ArrayNode r = o.putArray("reasons");
        reasons.forEach(r::add);
        o.put("created_ms", createdMs);
        o.put("until_ms", untilMs);
        return o;
    }

    /** The value as one line of JSON. */
    public String toJson() {
        return toJsonNode().toString();
    }

    /** The value's bytes (UTF-8 JSON). */
    public byte[] valueBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses a record. {@code key} null: not checked. A tombstone (value null) is not a block: use
     * {@link #parseKey} for it.
     *
     * @throws IllegalArgumentException when the value is not an xdpml block of this version, a field
     *                                  is missing or of the wrong type, the target does not parse, or
     *                                  the key does not match
     */
    public static FleetBlock parse(String key, String value) {
        if (value == null) {
            throw new IllegalArgumentException("a tombstone is not a block");
        }
        JsonNode n;
        try {
            n = JSON.readTree(value);
        } catch (Exception e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!TYPE.equals(text(n, "type"))) {
            throw new IllegalArgumentException("type is not " + TYPE);
        }
        JsonNode v = n.get("version");
        // canConvertToInt: a number past int (4294967297) would read as its low bits (1)
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() != VERSION) {
            throw new IllegalArgumentException("version " + (v == null ? "missing" : abbreviate(v.toString())) + " is not " + VERSION);
        }
        Kind kind = Kind.parse(required(n, "kind"));
        String target = required(n, "target");
        List<String> reasons = new ArrayList<>();
        JsonNode r = n.get("reasons");
        if (r != null && !r.isNull()) {
            if (!r.isArray()) {
                throw new IllegalArgumentException("reasons is not an array");
            }
            r.forEach(x -> reasons.add(x.asText()));
        }
        FleetBlock b = new FleetBlock(kind, target, text(n, "host"), text(n, "detector"), reasons, millis(n, "created_ms", false),
                millis(n, "until_ms", true));
        if (key != null && !key.equals(b.key())) {
            throw new IllegalArgumentException("key '" + key + "' does not match the block's key '" + b.key() + "'");
        }
        return b;
    }

    /** A record key taken apart: what a tombstone removes. {@code target} is canonical (a measure's entry, without rate). */
    public record Key(Kind kind, String target) {
        @Override
        public String toString() {
            return kind.id() + ":" + target;
        }

        /** The measure a measure key names (no rate, expiry 0), to remove it. */
        public Measure measure() {
            return Measure.parse(target, false, 0);
        }

        public Prefix prefix() {
            return Prefix.parse(target);
        }

        public Flow flow() {
            return Flow.parse(target);
        }
    }

    /** Parses a record key ({@code prefix:192.0.2.7/32}); throws IllegalArgumentException when it is not a canonical block key. */
    public static Key parseKey(String key) {
        if (key == null) {
            throw new IllegalArgumentException("no key");
        }
        int colon = key.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("key '" + key + "' is not KIND:TARGET");
        }
        Kind kind = Kind.parse(key.substring(0, colon));
        String target = key.substring(colon + 1);
        String canonical = keyOf(kind, target);
        if (!canonical.equals(key)) {
            throw new IllegalArgumentException("key '" + key + "' is not canonical (" + canonical + ")");
        }
        return new Key(kind, target);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private static String text(JsonNode n, String field) {
        JsonNode f = n.get(field);
        return f == null || !f.isTextual() ? null : f.asText();
    }

    private static String required(JsonNode n, String field) {
        String s = text(n, field);
        if (s == null) {
            throw new IllegalArgumentException("no text field '" + field + "'");
        }
        return s;
    }

    private static long millis(JsonNode n, String field, boolean required) {
        JsonNode f = n.get(field);
        if (f == null || f.isNull()) {
            if (required) {
                throw new IllegalArgumentException("no field '" + field + "'");
            }
            return 0;
        }
        // canConvertToLong: a number past long (18446744073709551616) would read as its low bits (0: never ends)
        if (!f.isIntegralNumber() || !f.canConvertToLong() || f.asLong() < 0) {
            throw new IllegalArgumentException("'" + field + "' " + abbreviate(f.toString()) + " is not an integer 0.." + Long.MAX_VALUE
                    + " (epoch ms)");
        }
        return f.asLong();
    }
}
