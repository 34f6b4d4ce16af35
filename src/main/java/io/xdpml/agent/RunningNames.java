package io.xdpml.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The names of what runs on an agent's interface, for {@code xdpml status} from another shell: the
 * firewall's rules (their text, in slot order) and the model's classes and file, as last installed,
 * by the agent (at start and every reload) or by {@code xdpml fw load} / {@code xdpml deploy} on its
 * interface. The kernel keeps only numbers (rule hits by slot, packets by class index); naming them
 * from the configuration file on disk named them wrong once the file was edited and its reload
 * rejected, or after {@code fw load}. Written whole (a rename) to {@code /run/xdpml/agents/IF.names},
 * under the lock of the configuration word's switch; removed with the agent's pins.
 *
 * @param rules   the rules' text, or null when not known (then status names none)
 * @param classes the model's class names, or null
 * @param model   the model's file, or null
 */
record RunningNames(List<String> rules, List<String> classes, String model) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The names a configuration installs: its rules, and its model's classes and file (null for a stage that is off). */
    static RunningNames of(AgentConfig c) {
        return new RunningNames(c.firewall().enabled() ? c.firewall().rules().rules().stream().map(Object::toString).toList() : null,
                c.model().enabled() ? c.model().model().classes() : null, c.model().enabled() ? c.model().file().toString() : null);
    }

    /** Each name of {@code a}, or where it has none, of {@code b}; either may be null. */
    static RunningNames orElse(RunningNames a, RunningNames b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return new RunningNames(a.rules != null ? a.rules : b.rules, a.classes != null ? a.classes : b.classes, a.model != null ? a.model : b.model);
    }

    static Path file(String iface) {
        return AgentPins.LOCKS.resolve(iface + ".names");
    }

    /** The names last written for {@code iface}, or null when there are none (or they cannot be read). */
    static RunningNames read(String iface) {
        try {
            JsonNode n = JSON.readTree(file(iface).toFile());
            return new RunningNames(strings(n.get("rules")), strings(n.get("classes")), n.hasNonNull("model") ? n.get("model").asText() : null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<String> strings(JsonNode a) {
        if (a == null || !a.isArray()) {
            return null;
        }
        List<String> l = new ArrayList<>();
        a.forEach(x -> l.add(x.asText()));
        return l;
    }

    /** Writes these names for {@code iface} (whole); a failure is left unsaid: status then names from the file. */
    void write(String iface) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rules", rules);
        m.put("classes", classes);
        m.put("model", model);
        try {
            Files.createDirectories(AgentPins.LOCKS);
            Path tmp = file(iface).resolveSibling(iface + ".names.tmp");
            JSON.writeValue(tmp.toFile(), m);
            Files.move(tmp, file(iface), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // status falls back to the configuration file
        }
    }

    static void remove(String iface) {
        try {
            Files.deleteIfExists(file(iface));
        } catch (IOException e) {
            // a stale file is overwritten by the next agent on the interface
        }
    }
}
