package io.xdpml.agent;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.fleet.FleetBlockSync;
import io.xdpml.fleet.FleetPublisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Kafka output's counters for {@code xdpml status} from another shell: the agent writes them
 * every second to {@code /run/xdpml/kafka/IFACE.json} (whole, by a rename), removes the file when it
 * stops; {@link StatusReport} shows them as {@code "kafka"}:
 *
 * <pre>
 * "kafka": {"bootstrap": "..", "published": {"offered", "sent", "pending", "dropped", "failed", "unsent", "last_error"},
 *           "fleet_blocks": {"records", "applied", "removed", "expired", "bad", "failed", "unchanged", "caught_up", "state", "partitions"}}
 * </pre>
 */
final class KafkaStatus {
    static final Path DIR = Path.of("/run/xdpml/kafka");
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaStatus() {}

    static Map<String, Object> of(OutputsSection.Kafka k, FleetPublisher.Counters p, FleetBlockSync.Counters f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bootstrap", k.bootstrap());
        m.put("host", k.host());
        if (p != null) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("offered", p.offered());
            x.put("sent", p.sent());
            x.put("pending", p.pending());
            x.put("dropped", p.dropped());
            x.put("failed", p.failed());
            x.put("unsent", p.unsent());
            x.put("last_error", p.lastError());
            m.put("published", x);
        }
        if (f != null) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("topic", k.blocksTopic());
            x.put("records", f.records());
            x.put("applied", f.applied());
            x.put("removed", f.removed());
            x.put("expired", f.expired());
            x.put("bad", f.bad());
            x.put("failed", f.failed());
            x.put("unchanged", f.unchanged());
            x.put("caught_up", f.caughtUp());
            x.put("state", f.state());
            x.put("partitions", f.partitions());
            m.put("fleet_blocks", x);
        }
        return m;
    }

    static void write(String iface, Map<String, Object> status) {
        try {
            Files.createDirectories(DIR);
            Path tmp = DIR.resolve(iface + ".json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(status));
            Files.move(tmp, DIR.resolve(iface + ".json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // status from another shell only; the agent goes on
        }
    }

    /** The counters the agent on {@code iface} wrote, or null. */
    static Map<String, Object> read(String iface) {
        Path f = DIR.resolve(iface + ".json");
        try {
            return Files.exists(f) ? JSON.readValue(f.toFile(), new TypeReference<Map<String, Object>>() {}) : null;
        } catch (IOException e) {
            return null;
        }
    }

    static void remove(String iface) {
        try {
            Files.deleteIfExists(DIR.resolve(iface + ".json"));
        } catch (IOException e) {
            // left behind: read only while the agent is alive
        }
    }
}
