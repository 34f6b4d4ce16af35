package io.xdpml.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The agents' records as the fleet detector reads them (docs/outputs.md, "EVE JSON"): an EVE
 * {@code flow} event of {@code xdpml.flows} and an EVE {@code alert} of {@code xdpml.alerts}, with
 * the host that saw it. Parsing never throws for bad input: it returns null and says why through
 * {@link Malformed}.
 */
public final class FleetEvents {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Suricata's time format. */
    private static final DateTimeFormatter SURICATA = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxx");

    /** The host an agent names itself by: the host this fleet detector's own alerts carry. */
    public static final String FLEET_HOST = "fleet";

    /**
     * The longest host name taken, in UTF-8 bytes (Linux's HOST_NAME_MAX), and the longest detector
     * name: with at most {@link FleetConfig#maxHosts()} (1,024) hosts and {@link Tally#LABELS} names
     * per host, a tally stays well under the 1 MB a changelog record may have (FleetTopologyTest).
     */
    public static final int MAX_HOST_BYTES = 64;
    public static final int MAX_DETECTOR_BYTES = 32;

    private FleetEvents() {}

    /** Why a record was skipped. */
    public static final class Malformed extends Exception {
        public Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * One EVE flow event: who initiated it to whom, seen by which host, with how many packets and
     * bytes from the initiator, and whether it looks like a probe.
     *
     * @param timeMillis  event time: {@code flow.end} (else {@code timestamp}), epoch ms
     * @param startMillis {@code flow.start} (else the event time)
     */
    public record Flow(String host, String src, String dest, int destPort, String proto, long pktsToServer, long bytesToServer,
            long pktsToClient, boolean psh, boolean fin, long startMillis, long timeMillis) {
        public boolean tcp() {
            return "TCP".equals(proto);
        }
    }

    /**
     * One EVE alert: the source it names ({@code src_ip}; null when it names none), the host, detector, signature.
     *
     * @param timeMillis {@code timestamp}, epoch ms
     */
    public record Alert(String host, String src, String dest, String detector, long signatureId, long timeMillis) {}

    /** A flow event; null for anything that is not one (another event type: {@code why} says so). */
    public static Flow flow(String key, String value, Headers headers) throws Malformed {
        JsonNode n = object(value);
        String type = n.path("event_type").asText("");
        if (!"flow".equals(type)) {
            throw new Malformed("event_type '" + type + "' is not flow");
        }
        String src = address(n, "src_ip");
        String dest = address(n, "dest_ip");
        String proto = n.path("proto").isValueNode() ? n.path("proto").asText() : null;
        if (proto == null || proto.isEmpty()) {
            throw new Malformed("no proto");
        }
        int port = n.has("dest_port") ? port(n.get("dest_port")) : 0;
        JsonNode f = n.get("flow");
        if (f == null || !f.isObject()) {
            throw new Malformed("no flow object");
        }
        long pkts = count(f, "pkts_toserver");
        long bytes = count(f, "bytes_toserver");
        long back = count(f, "pkts_toclient");
        long t = f.has("end") ? time(f.get("end")) : time(n.get("timestamp"));
        long start = f.has("start") ? time(f.get("start")) : t;
        JsonNode tcp = n.path("tcp");
        return new Flow(host(n, key, headers), src, dest, port, proto, pkts, bytes, back, tcp.path("psh").asBoolean(false),
                tcp.path("fin").asBoolean(false), Math.min(start, t), t);
    }

    /** An alert; {@code src} null when it names no source. */
    public static Alert alert(String key, String value, Headers headers) throws Malformed {
        JsonNode n = object(value);
        String type = n.path("event_type").asText("");
        if (!"alert".equals(type)) {
            throw new Malformed("event_type '" + type + "' is not alert");
        }
        // an alert naming no source (amplification, volumetric, anomaly, a fleet flood of a prefix) is valid: src null
        String src = n.hasNonNull("src_ip") ? address(n, "src_ip") : null;
        String dest = n.hasNonNull("dest_ip") ? address(n, "dest_ip") : null;
        JsonNode sig = n.path("alert").path("signature_id");
        if (!sig.canConvertToLong()) {
            throw new Malformed("no alert.signature_id");
        }
        String detector = n.path("xdpml").path("detector").asText("");
        if (detector.isEmpty()) {
            detector = "sid-" + sig.asLong();
        }
        name(detector, "xdpml.detector", MAX_DETECTOR_BYTES);
        return new Alert(host(n, key, headers), src, dest, detector, sig.asLong(), time(n.get("timestamp")));
    }

    /** Whether an alert is this fleet detector's own (it reads the topic it writes to). */
    public static boolean fromFleet(Alert a) {
        return FLEET_HOST.equals(a.host()) || a.detector().startsWith("fleet-");
    }

    private static JsonNode object(String value) throws Malformed {
        if (value == null) {
            throw new Malformed("no value");
        }
        JsonNode n;
        try {
            n = JSON.readTree(value);
        } catch (Exception e) {
            throw new Malformed("not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new Malformed("not a JSON object");
        }
        return n;
    }

    /**
     * The host: the top-level {@code host} field, else a {@code host} header (UTF-8), else the record's
     * key when it can name a host ({@link #namesHost}); none of them, or one longer than
     * {@link #MAX_HOST_BYTES} or not printable: {@link Malformed}.
     */
    static String host(JsonNode n, String key, Headers headers) throws Malformed {
        JsonNode h = n.get("host");
        if (h != null && h.isTextual() && !h.asText().isBlank()) {
            return name(h.asText(), "host", MAX_HOST_BYTES);
        }
        if (headers != null) {
            Header hh = headers.lastHeader("host");
            if (hh != null && hh.value() != null && hh.value().length > 0) {
                return name(new String(hh.value(), StandardCharsets.UTF_8), "host header", MAX_HOST_BYTES);
            }
        }
        if (key != null && !key.isBlank() && namesHost(key)) {
            return name(key, "host (the key)", MAX_HOST_BYTES);
        }
        throw new Malformed("no host (field, header, or a key naming a host)");
    }

    /** {@code s} when it has at most {@code maxBytes} UTF-8 bytes and only printable characters (no control, format or unassigned ones). */
    static String name(String s, String what, int maxBytes) throws Malformed {
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxBytes) {
            throw new Malformed(what + " '" + excerpt(s) + "' has " + bytes + " bytes (at most " + maxBytes + ")");
        }
        boolean printable = s.codePoints().allMatch(c -> switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.SURROGATE, Character.PRIVATE_USE,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        });
        if (!printable) {
            throw new Malformed(what + " '" + excerpt(s) + "' has a character that is not printable");
        }
        return s;
    }

    /** At most 24 characters of {@code s} for a reason, control characters as '?'. */
    private static String excerpt(String s) {
        String e = s.length() <= 24 ? s : s.substring(0, 21) + "...";
        return e.chars().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    /**
     * Whether a record key can name a host: not what the agents key records by (docs/fleet.md: a
     * flow's {@code community_id} {@code 1:...} or {@code flow_id}, an alert's source address).
     */
    static boolean namesHost(String key) {
        boolean flowId = key.matches("\\d+");
        boolean communityId = key.matches("\\d+:[A-Za-z0-9+/]+=*");
        boolean ipv4 = key.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean ipv6 = key.indexOf(':') >= 0 && key.matches("[0-9a-fA-F:.]+");
        return !(flowId || communityId || ipv4 || ipv6);
    }

    private static String address(JsonNode n, String field) throws Malformed {
        JsonNode a = n.get(field);
        if (a == null || !a.isTextual()) {
            throw new Malformed("no " + field);
        }
        String s = a.asText();
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        if (!v4 && !v6) {
            throw new Malformed(field + " '" + s + "' is not an address");
        }
        try {
            InetAddress ia = InetAddress.getByName(s); // a literal: never looked up
            return ia instanceof Inet4Address ? ia.getHostAddress() : s.toLowerCase(java.util.Locale.ROOT);
        } catch (UnknownHostException e) {
            throw new Malformed(field + " '" + s + "' is not an address");
        }
    }

    private static int port(JsonNode p) throws Malformed {
        if (!p.canConvertToInt() || p.asInt() < 0 || p.asInt() > 65535 || !p.isIntegralNumber()) {
            throw new Malformed("bad port " + p);
        }
        return p.asInt();
    }

    private static long count(JsonNode f, String field) throws Malformed {
        JsonNode c = f.get(field);
        if (c == null || !c.isIntegralNumber() || !c.canConvertToLong() || c.asLong() < 0) {
            throw new Malformed("flow." + field + " is not a count");
        }
        return c.asLong();
    }

    /** Suricata's {@code 2021-04-28T10:30:21.099510+0000}, or ISO-8601 ({@code ...Z}, {@code +00:00}): epoch ms; before 1970: {@link Malformed}. */
    static long time(JsonNode t) throws Malformed {
        if (t == null || !t.isTextual()) {
            throw new Malformed("no time");
        }
        String s = t.asText();
        long ms;
        try {
            ms = parseTime(s);
        } catch (ArithmeticException e) {
            throw new Malformed("time '" + s + "' is out of range");
        }
        if (ms < 0) {
            throw new Malformed("time '" + s + "' is before 1970");
        }
        return ms;
    }

    private static long parseTime(String s) throws Malformed {
        try {
            return OffsetDateTime.parse(s, SURICATA).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(s).toInstant().toEpochMilli();
            } catch (DateTimeParseException e2) {
                try {
                    return Instant.parse(s).toEpochMilli();
                } catch (DateTimeParseException e3) {
                    throw new Malformed("time '" + s + "' is not Suricata's format");
                }
            }
        }
    }

    /**
     * Refuses an event time more than {@code maxAheadMs} ahead of {@code nowMs} (this detector's
     * clock): one such record would move the windows' stream time on, and every on-time record after
     * it would fall into windows closed past their grace (docs/fleet-detector.md, "Event time").
     */
    static void notAhead(long timeMs, long nowMs, long maxAheadMs, String what) throws Malformed {
        if (timeMs - nowMs > maxAheadMs) {
            throw new Malformed(what + " " + Instant.ofEpochMilli(timeMs) + " is " + (timeMs - nowMs + 999) / 1000
                    + " s ahead of this detector's clock (at most " + maxAheadMs / 1000 + " s: the grace)");
        }
    }

    /** The prefix of {@code bits} containing an address, as {@code a.b.c.0/24} / {@code 2001:db8::/64}. */
    public static String prefixOf(String address, int bitsV4, int bitsV6) {
        try {
            InetAddress a = InetAddress.getByName(address);
            byte[] b = a.getAddress();
            int bits = a instanceof Inet4Address ? bitsV4 : bitsV6;
            for (int i = 0; i < b.length; i++) {
                int keep = Math.max(0, Math.min(8, bits - 8 * i));
                b[i] = (byte) (b[i] & (0xff << (8 - keep)));
            }
            return io.xdpml.firewall.Measure.host(InetAddress.getByAddress(b)).replace("[", "").replace("]", "") + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address);
        }
    }
}
