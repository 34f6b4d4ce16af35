package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigException;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.Stage;
import io.xdpml.model.data.LabelRules;
import io.xdpml.model.data.TrainingData;
import io.xdpml.replay.CaptureReplay;
import io.xdpml.replay.CaptureReplay.Outcome;
import io.xdpml.replay.CaptureReplay.Tally;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml replay}: labeled captures through the agent a configuration describes, without a kernel. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        header = "Replay labeled captures through the agent a configuration describes: what it drops.",
        description = {"Each capture alone, in its own time, through the Java twin of the agent --config describes:"
            + " its XDP program (blocks, firewall, flows, the model and its actions at their confidence, sampling),"
            + " the detectors on what it delivers, and the agent's mitigation (named sources blocked, firewall"
            + " measures), new detections acted on every 0.1 s of capture time as the agent does. Packets are labeled as xdpml eval"
            + " labels them (--labels; packets without an IP header are not counted).",
            "Per capture and label: packets, dropped, by stage (blocks, firewall, model), the capture time to the"
            + " first drop, and what was detected, blocked and measured; then each label over every capture."
            + " --json prints one object. Exit code 0, or 1 for a configuration with problems (each printed).",
            "The twin is the kernel program's reference (the parity tests hold it to the kernel byte for byte);"
            + " offline, no delivered copy is lost, where a live agent that cannot keep up loses some. With delivery"
            + " af_xdp, a packet redirected to Java counts as not dropped (what Java does with it is not replayed).",
            "--per-host: what the agent on every host of a capture would do. Without it one twin gets every packet,"
            + " both directions, where a host's XDP sees only what arrives at it. With it each IP packet goes to the twin"
            + " of its (outer) destination address, one fresh twin per destination from its first packet on (same"
            + " configuration, salts from the same seed; each knows its host's address as its own, as the agent does,"
            + " so its firewall drops what arrives forged from it: drop_own_source; a loopback host's, on lo, knows none); every broadcast and multicast packet to one shared twin; frames"
            + " without an IP header to none. Labels and counts as without it; detections, blocks and measures prefixed"
            + " by the host (\"at 10.0.0.2: portscan 10.0.0.9\"). At most " + CaptureReplay.HOSTS_PER_PASS + " twins at a"
            + " time (about 12 MB each as shipped): a capture with more destinations is read again for each next "
            + CaptureReplay.HOSTS_PER_PASS + " (said on stderr)."})
final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the agent's configuration (as xdpml run --config)")
    Path configFile;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "FILE|DIR", description = "captures (a directory: every capture under it)")
    List<Path> data;

    @Option(names = "--labels", required = true, paramLabel = "RULES", description = "label rules (docs/models.md)")
    Path labels;

    @Option(names = "--sample", paramLabel = "N", description = "1 in N packets to Java, instead of the file's sampling.every")
    Integer sample;

    @Option(names = "--detectors", split = ",", paramLabel = "LIST", description = "these detectors (or all, none) instead of the file's")
    List<String> detectors;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "the salts the agent's detectors draw at random (their hash tables, sketches, samples) drawn from N,"
                + " afresh for each capture, so that a replay comes out the same every time (default: ${DEFAULT-VALUE});"
                + " with IPv6 hosts only within one run: their keys also mix in a secret drawn once per process;"
                + " another N shows how much a finding near a detector's floor depends on them")
    long seed;

    @Option(names = "--per-host", description = "each packet to the agent of the host it arrives at (its destination), not one agent for all")
    boolean perHost;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        AgentConfig config;
        try {
            config = AgentConfigLoader.load(configFile);
        } catch (AgentConfigException e) {
            e.print(spec.commandLine().getErr(), "xdpml replay", " in " + configFile);
            return 1;
        }
        if (sample != null) {
            if (sample < 1) {
                throw new IllegalArgumentException("--sample must be >= 1, not " + sample);
            }
            config = config.withSamplingEvery(sample);
        }
        if (detectors != null) {
            config = config.withDetectorsEnabled(detectors);
        }
        LabelRules rules = LabelRules.read(labels);
        List<String> shown = rules.labels();
        List<Outcome> outcomes = new ArrayList<>();
        for (Path f : TrainingData.expand(data)) {
            outcomes.add(perHost ? CaptureReplay.runPerHost(config, f, rules, seed, CaptureReplay.HOSTS_PER_PASS)
                    : CaptureReplay.run(config, f, rules, seed));
            int hosts = outcomes.getLast().hosts().size();
            if (hosts > CaptureReplay.HOSTS_PER_PASS) { // not an error: said, as it takes longer
                spec.commandLine().getErr().printf("xdpml replay --per-host: %s: %,d hosts, read %d times (%d twins at a time)%n", f, hosts,
                        (hosts + CaptureReplay.HOSTS_PER_PASS - 1) / CaptureReplay.HOSTS_PER_PASS, CaptureReplay.HOSTS_PER_PASS);
            }
        }
        Map<String, Tally> totals = new LinkedHashMap<>();
        for (String l : shown) {
            totals.put(l, CaptureReplay.sum(outcomes, l));
        }
        if (json) {
            out.println(json(config, seed, perHost, outcomes, totals, shown));
        } else {
            text(out, config, seed, perHost, outcomes, totals, shown);
        }
        out.flush();
        return 0;
    }

    private static void text(PrintWriter o, AgentConfig config, long seed, boolean perHost, List<Outcome> outcomes, Map<String, Tally> totals,
            List<String> shown) {
        o.println("the agent of " + config.file() + ", each capture alone in its own time" + (perHost ? ", each packet to the agent of"
                + " the host it arrives at" : "") + " (Java twin, no kernel; salts from seed " + seed + "):");
        for (String line : config.describe()) {
            if (!line.startsWith("interfaces") && !line.startsWith("outputs") && !line.startsWith("cpumap")) {
                o.println("  " + line);
            }
        }
        o.println();
        String head = String.format("%-52s %-8s %9s %9s %7s %8s %8s %8s %9s", "capture", "label", "packets", "dropped", "%",
                "blocks", "firewall", "model", "1st drop");
        o.println(head);
        for (Outcome r : outcomes) {
            boolean first = true;
            for (String l : shown) {
                Tally t = r.tally(l);
                if (t.packets() == 0) {
                    continue;
                }
                o.println(row(first ? r.capture().getFileName().toString() + (r.damaged() ? " (damaged)" : "") : "", l, t));
                first = false;
            }
            if (first) {
                o.printf("%-52s (no IP packet)%n", r.capture().getFileName());
            }
            if (r.damaged()) {
                o.printf("    damaged: %s (packets before it counted)%n", r.damage().getMessage());
            }
            if (perHost) {
                o.printf("    hosts: %d (%s)%n", r.hosts().size(), summary(r.hosts()));
            }
            o.printf("    detected: %s; blocked: %s; measures: %s%s%n", summary(r.detections()), summary(r.blocked()), summary(r.measures()),
                    firewall(r, shown));
        }
        o.println();
        for (String l : shown) {
            o.println(row("all " + outcomes.size() + " captures", l, totals.get(l)));
        }
    }

    private static String row(String name, String label, Tally t) {
        long first = t.timeToFirstDrop();
        return String.format("%-52s %-8s %,9d %,9d %6.2f%% %,8d %,8d %,8d %9s", name.length() > 52 ? name.substring(0, 49) + "..." : name,
                label, t.packets(), t.dropped(), t.packets() == 0 ? 0.0 : 100.0 * t.dropped() / t.packets(), t.droppedBy(Stage.BLOCKS),
                t.droppedBy(Stage.FIREWALL), t.droppedBy(Stage.MODEL), first < 0 ? "-" : String.format("%.1f s", first / 1e9));
    }

    /** The firewall's drops by reason, per label, where it dropped any. */
    private static String firewall(Outcome r, List<String> shown) {
        StringBuilder b = new StringBuilder();
        for (String l : shown) {
            Map<String, Long> m = r.tally(l).firewallReasons();
            if (!m.isEmpty()) {
                b.append(b.isEmpty() ? "; firewall drops: " : ", ").append(l).append(' ').append(m.toString().replaceAll("[{}]", ""));
            }
        }
        return b.toString();
    }

    /** At most a few items, then how many more. */
    private static String summary(List<String> items) {
        if (items.isEmpty()) {
            return "none";
        }
        List<String> distinct = items.stream().distinct().toList();
        String s = String.join(", ", distinct.subList(0, Math.min(4, distinct.size())));
        return distinct.size() > 4 ? s + " and " + (distinct.size() - 4) + " more" : s;
    }

    private static String json(AgentConfig config, long seed, boolean perHost, List<Outcome> outcomes, Map<String, Tally> totals,
            List<String> shown) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("config", config.file().toString());
        root.put("seed", seed);
        if (perHost) {
            root.put("per_host", true);
        }
        ArrayNode captures = root.putArray("captures");
        for (Outcome r : outcomes) {
            ObjectNode c = captures.addObject();
            c.put("capture", r.capture().toString()).put("damaged", r.damaged());
            if (r.damaged()) {
                c.putObject("damage").put("offset", r.damage().offset()).put("reason", r.damage().reason());
            }
            ObjectNode ls = c.putObject("labels");
            for (String l : shown) {
                put(ls, l, r.tally(l));
            }
            r.detections().forEach(c.putArray("detections")::add);
            r.blocked().forEach(c.putArray("blocked")::add);
            r.measures().forEach(c.putArray("measures")::add);
            if (perHost) {
                r.hosts().forEach(c.putArray("hosts")::add);
            }
        }
        ObjectNode all = root.putObject("all");
        for (String l : shown) {
            put(all, l, totals.get(l));
        }
        return m.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    private static void put(ObjectNode parent, String label, Tally t) {
        ObjectNode o = parent.putObject(label);
        o.put("packets", t.packets()).put("dropped", t.dropped());
        ObjectNode by = o.putObject("dropped_by");
        for (Stage s : CaptureReplay.DROPPERS) {
            by.put(s.key(), t.droppedBy(s));
        }
        if (t.timeToFirstDrop() >= 0) {
            o.put("first_drop_s", t.timeToFirstDrop() / 1e9);
        }
        ObjectNode fw = o.putObject("firewall_reasons");
        t.firewallReasons().forEach(fw::put);
    }
}
