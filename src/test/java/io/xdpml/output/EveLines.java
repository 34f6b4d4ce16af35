package io.xdpml.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** Reading EVE lines back in tests: parsing with Jackson, the common fields, an independent Community ID. */
public final class EveLines {
    static final ObjectMapper MAPPER = new ObjectMapper();
    /** Suricata's timestamp: microseconds and a +hhmm offset. */
    static final DateTimeFormatter SURICATA_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxx");

    private EveLines() {}

    /** Every line of the text as a JSON object (each must parse, and be an object). */
    public static List<JsonNode> parse(String text) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode n = MAPPER.readTree(line);
                assertThat(n.isObject()).as(line).isTrue();
                out.add(n);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + line, e);
            }
        }
        return out;
    }

    /** A Suricata timestamp as epoch microseconds. */
    public static long micros(String timestamp) {
        OffsetDateTime t = OffsetDateTime.parse(timestamp, SURICATA_TIME);
        return t.toEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    /** The protocol number of Suricata's proto text. */
    public static int protoNumber(String proto) {
        return switch (proto) {
            case "TCP" -> 6;
            case "UDP" -> 17;
            case "ICMP" -> 1;
            case "IPv6-ICMP" -> 58;
            case "SCTP" -> 132;
            default -> Integer.parseInt(proto);
        };
    }

    /** The fields every line has, with their formats. */
    public static void assertCommon(JsonNode line) {
        String s = line.toString();
        assertThat(line.path("timestamp").asText()).as(s).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+0000");
        assertThat(line.path("event_type").asText()).as(s).isIn("alert", "flow");
        if (line.has("flow_id")) {
            assertThat(line.get("flow_id").isIntegralNumber()).as(s).isTrue();
            assertThat(line.get("flow_id").asLong()).as(s).isBetween(0L, EveWriter.FLOW_ID_MASK);
        }
        if (line.path("event_type").asText().equals("flow")) {
            assertThat(line.has("src_ip") && line.has("dest_ip") && line.has("proto") && line.has("flow_id")).as(s).isTrue();
        } else {
            // an alert names an address unless its detection's subject is none (an anomaly of "all")
            boolean named = line.has("src_ip") || line.has("dest_ip");
            assertThat(named || EveWriter.literal(line.path("xdpml").path("subject").asText()) == null).as(s).isTrue();
            assertThat(line.has("flow_id")).as(s).isEqualTo(named);
        }
        for (String f : new String[] {"src_port", "dest_port"}) {
            if (line.has(f)) {
                assertThat(line.get(f).asInt()).as(s).isBetween(1, 65535);
                assertThat(line.path("proto").asText()).as(s).isIn("TCP", "UDP", "SCTP");
            }
        }
        if (line.has("proto")) {
            assertThat(line.get("proto").asText()).as(s).matches("TCP|UDP|ICMP|IPv6-ICMP|SCTP|\\d{1,3}");
        }
    }

    /**
     * The Community ID recomputed from the line's own src_ip, dest_ip, proto and ports (null when
     * the line lacks a part the hash needs: both addresses and the protocol, and both ports for TCP,
     * UDP and SCTP).
     */
    public static String recomputedCommunityId(JsonNode line) {
        if (!line.has("src_ip") || !line.has("dest_ip") || !line.has("proto")) {
            return null;
        }
        int proto = protoNumber(line.get("proto").asText());
        if (CommunityId.isIcmp(proto)) {
            return null; // lines carry no ICMP type and code
        }
        if (CommunityId.hasPorts(proto) && (!line.has("src_port") || !line.has("dest_port"))) {
            return null;
        }
        try {
            InetAddress s = InetAddress.getByName(line.get("src_ip").asText());
            InetAddress d = InetAddress.getByName(line.get("dest_ip").asText());
            if (s.getAddress().length != d.getAddress().length) {
                return null;
            }
            return CommunityId.DEFAULT.of(s, d, proto, line.path("src_port").asInt(0), line.path("dest_port").asInt(0));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(line.toString(), e);
        }
    }
}
