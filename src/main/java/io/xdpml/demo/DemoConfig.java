package io.xdpml.demo;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigException;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.ConfigProblem;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.TrafficKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The agent's configuration the demo runs (docs/agent.md): a YAML file written next to the shipped
 * model it names, then loaded by {@link AgentConfigLoader} as {@code xdpml run --config} would load
 * it. The demo prints the file, so it shows the format too. Live, the agent runs it on the victim's
 * end of the veth pair; offline, the Java twin of the same program runs its firewall, model and
 * mitigation.
 */
final class DemoConfig {
    /** The shipped model, a resource of the jar (models/ in the source tree). */
    static final String MODEL = "captures-oneway-dt.json";
    /** The file's name in the demo's directory. */
    static final String FILE = "xdpml-demo.yaml";
    /** The SYN limit a spoofed flood gets is this fraction of the flood's rate: 1/200 = 0.5%. */
    static final int SYN_LIMIT_DIVISOR = 200;

    private DemoConfig() {}

    /** SYNs per second the spoofed flood's measure lets through: 0.5% of what the mix sends of it, at least 1. */
    static long synLimit(DemoOptions o, ScenarioSettings settings) {
        int total = settings.shares().values().stream().mapToInt(Integer::intValue).sum();
        long flood = o.ratePps() * settings.shares().getOrDefault(TrafficKind.SPOOFEDSYN, 0) / total;
        return Math.max(1, flood / SYN_LIMIT_DIVISOR);
    }

    /** The file's text for interface {@code iface}. */
    static String yaml(String iface, DemoOptions o, ScenarioSettings settings) {
        long synLimit = synLimit(o, settings);
        String window = trim(o.windowSeconds()) + "s";
        return String.format(Locale.ROOT, """
                # xdpml demo: the agent's configuration (docs/agent.md), as `xdpml run --config FILE` reads it
                interfaces: [%s]
                blocks: {enabled: true}               # the sources a detection names are dropped here
                firewall:                             # a server's rules (docs/firewall.md): none touches the benign clients
                  rules: |
                    default pass
                    conntrack on                      # loose: TCP seen mid-connection is picked up
                    deny 192.0.2.0/24                 # a network this server has no business with
                    rule drop tcp port 23             # no telnet here
                    rule drop udp port 19             # nor chargen
                    rule drop udp port 1900           # nor SSDP
                flows: {idle-timeout: 30s}            # per-flow features, for the model
                model:                                # a shipped tree, in XDP, on every packet
                  file: %s
                  mode: packet
                  actions: {benign: count, attack: count}   # counted, not dropped: it calls some generated benign packets attack
                sampling: {every: 1}                  # every packet to Java (a copy: the stack still gets it)
                delivery: {to: mirror}
                detectors:
                  enabled: [%s]
                  window: %s
                mitigation:
                  block: %ds                          # block named sources this long
                  measures: true                      # amplification: port-drop; spoofed SYN flood: syn-limit
                  measure-time: 60s
                  syn-limit: %d/s                     # 0.5%% of the spoofed flood's %d SYN/s; nothing benign goes to its port %d
                outputs: {status: 0}                  # the demo prints its own line per second
                """, iface, MODEL, DemoOptions.DETECTORS.replace(",", ", "), window, o.blockSeconds(), synLimit,
                synLimit * SYN_LIMIT_DIVISOR, settings.spoofedPort());
    }

    /** Writes the model and the file into {@code dir}; returns the file. */
    static Path write(Path dir, String iface, DemoOptions o, ScenarioSettings settings) throws IOException {
        try (InputStream in = DemoConfig.class.getResourceAsStream("/models/" + MODEL)) {
            Path model = dir.resolve(MODEL);
            if (in != null) {
                Files.copy(in, model);
            } else {
                Files.copy(Path.of("models", MODEL), model); // run from the source tree without the jar's resources
            }
        }
        Path file = dir.resolve(FILE);
        Files.writeString(file, yaml(iface, o, settings));
        return file;
    }

    /** Loads the file as the agent does; a problem (a bug of the demo's) is an exception naming every problem. */
    static AgentConfig load(Path file) {
        try {
            return AgentConfigLoader.load(file);
        } catch (AgentConfigException e) {
            throw new IllegalStateException("the demo's configuration does not load: "
                    + e.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("; ")), e);
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
