package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model's class names on each interface as they run now, for the outputs that name a class
 * (EVE's and Kafka's {@code xdpml.class}, {@code xdpml_model_packets_total{class}}): what
 * {@link RunningNames} last recorded for the interface (the agent at start and at every reload,
 * {@code xdpml deploy} from another shell), else the running configuration's model. The agent
 * refreshes it at start, after every reload and once a second; readers (the flow export thread,
 * a scrape) only look it up. Until 2026-12-05 the outputs named classes from the model the agent
 * started with, wrong after a reload or a deploy to a model with other classes.
 */
final class RunningClasses {
    private final Map<String, List<String>> byIface = new ConcurrentHashMap<>();
    /** What each interface's names were read from: the record's modification time and the configuration (the loop's thread only). */
    private final Map<String, ReadFrom> readFrom = new HashMap<>();

    private record ReadFrom(long modified, AgentConfig config) {
        boolean same(long m, AgentConfig c) {
            return modified == m && config == c; // the configuration by identity: a reload makes a new one
        }
    }

    /**
     * Reads what runs on {@code iface} again, when its record or {@code running} (the agent's
     * configuration now) changed since the last read: the record holds every firewall rule's text,
     * not to be parsed each second for nothing.
     */
    void refresh(String iface, AgentConfig running) {
        long modified = modified(RunningNames.file(iface));
        ReadFrom last = readFrom.get(iface);
        if (last != null && last.same(modified, running)) {
            return;
        }
        RunningNames n = RunningNames.orElse(RunningNames.read(iface), RunningNames.of(running));
        byIface.put(iface, n == null || n.classes() == null ? List.of() : List.copyOf(n.classes()));
        readFrom.put(iface, new ReadFrom(modified, running));
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return -1; // none (yet): the configuration's names
        }
    }

    /** The class names on {@code iface} (empty when no model runs there, or none is known). */
    List<String> of(String iface) {
        return byIface.getOrDefault(iface, List.of());
    }

    /** The name of class {@code index} (from 0) on {@code iface}, or null beyond the names. */
    String name(String iface, int index) {
        List<String> l = of(iface);
        return index < 0 || index >= l.size() ? null : l.get(index);
    }
}
