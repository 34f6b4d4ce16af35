package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
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

    /** Reads what runs on {@code iface} again; {@code running}: the agent's configuration now. */
    void refresh(String iface, AgentConfig running) {
        RunningNames n = RunningNames.orElse(RunningNames.read(iface), RunningNames.of(running));
        byIface.put(iface, n == null || n.classes() == null ? List.of() : List.copyOf(n.classes()));
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
