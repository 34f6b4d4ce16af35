package io.xdpml.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.output.EveWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One finding of the fleet detector: which detector, about which source (an address, or a prefix
 * for a flood from many addresses of one /24), the sources it names, the hosts that saw it (with
 * each host's count: targets, packets or alerts), why, and when (event time, epoch ms).
 *
 * @param subject  the source address, or the prefix ({@code 10.66.0.0/24})
 * @param prefix   whether {@code subject} is a prefix
 * @param sources  the source addresses (the subject itself; for a prefix, up to 8 seen in it)
 * @param hosts    host -> its count (targets, packets, alerts), in name order
 * @param score    the main measure over its threshold (1.0 = at it)
 * @param timeMs   when the finding was made: the event time of the record that crossed the threshold
 * @param firstMs  the window's first event time counted for it
 * @param lastMs   the window's last
 * @param windowStartMs the window's start
 */
public record Finding(FleetSignatures.Signature signature, String subject, boolean prefix, List<String> sources, Map<String, Long> hosts,
        double score, List<String> reasons, long timeMs, long firstMs, long lastMs, long windowStartMs, String proto) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EveWriter IDS = new EveWriter(Writer.nullWriter(), EveWriter.Options.defaults());

    public String detector() {
        return signature.detector();
    }

    /** The prefix a block of this finding names: the prefix, or the address as /32 (/128). */
    public String blockPrefix() {
        if (prefix) {
            return subject;
        }
        return subject + (subject.indexOf(':') >= 0 ? "/128" : "/32");
    }

    /** One line: time, detector, subject, score, hosts, reasons. */
    public String toLine() {
        return String.format(Locale.ROOT, "%s %-13s %-20s score=%.1f hosts=%s  %s", EveWriter.time(timeMs * 1_000_000L), detector(), subject,
                score, hosts.keySet(), String.join("; ", reasons));
    }

    /**
     * The finding as an EVE alert (docs/outputs.md's alert, with {@code host: "fleet"}): {@code src_ip}
     * the source (absent for a prefix: it is in {@code xdpml.subject}), the fleet signature, and in
     * {@code xdpml} the detector, subject, score, reasons, sources, and {@code hosts} (host -> count).
     *
     * @param blocked whether a fleet block was published for it ({@code alert.action: blocked})
     */
    public String toEve(boolean blocked) {
        ObjectNode o = JSON.createObjectNode();
        o.put("timestamp", EveWriter.time(timeMs * 1_000_000L));
        InetAddress src = prefix ? null : literal(subject);
        int p = "TCP".equals(proto) ? 6 : "UDP".equals(proto) ? 17 : -1;
        if (src != null) {
            o.put("flow_id", IDS.flowId(src, 0, null, 0, Math.max(p, 0), 0, 0));
        }
        o.put("host", FleetEvents.FLEET_HOST);
        o.put("event_type", "alert");
        if (src != null) {
            o.put("src_ip", subject);
        }
        if (proto != null) {
            o.put("proto", proto);
        }
        ObjectNode a = o.putObject("alert");
        a.put("action", blocked ? "blocked" : "allowed");
        a.put("gid", 1);
        a.put("signature_id", signature.id());
        a.put("rev", signature.rev());
        a.put("signature", signature.text());
        a.put("category", signature.category());
        a.put("severity", signature.severity());
        if (src != null) {
            a.putObject("source").put("ip", subject);
        }
        ObjectNode meta = a.putObject("metadata");
        meta.putArray("xdpml_detector").add(detector());
        ArrayNode mr = meta.putArray("xdpml_reason");
        reasons.forEach(mr::add);
        ObjectNode x = o.putObject("xdpml");
        x.put("detector", detector());
        x.put("subject", subject);
        x.put("score", score);
        x.put("count", 1);
        x.put("first", EveWriter.time(firstMs * 1_000_000L));
        x.put("last", EveWriter.time(lastMs * 1_000_000L));
        x.put("window_start", EveWriter.time(windowStartMs * 1_000_000L));
        ArrayNode r = x.putArray("reasons");
        reasons.forEach(r::add);
        ArrayNode s = x.putArray("sources");
        sources.forEach(s::add);
        ObjectNode h = x.putObject("hosts");
        hosts.forEach(h::put);
        return o.toString();
    }

    private static InetAddress literal(String s) {
        try {
            return s.matches("[0-9a-fA-F:.]+") ? InetAddress.getByName(s) : null;
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }
}
