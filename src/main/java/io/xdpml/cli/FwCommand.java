package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallConfigException;
import io.xdpml.firewall.FirewallConfigParser;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.FirewallLayout;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.agent.RunningAgent;
import io.xdpml.firewall.FirewallPins;
import io.xdpml.firewall.FirewallProgram;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xdpml fw load|show|clear|stats}: the XDP firewall, pinned in bpffs between commands. */
@Command(name = "fw", mixinStandardHelpOptions = true,
        header = "The XDP firewall: deny/allow lists, rules, conntrack, rate limits (docs/firewall.md).",
        description = {"The firewall program and its maps are pinned under /sys/fs/bpf/xdpml/fw and stay attached after"
            + " the command exits (a pinned BPF link per interface). 'fw load' validates a whole config file and swaps it"
            + " in atomically; 'fw clear' detaches and removes everything. Needs root."},
        subcommands = {FwCommand.Load.class, FwCommand.Show.class, FwCommand.Stats.class, FwCommand.Clear.class})
final class FwCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the pins live (tests use their own directory). */
    static final class PinDir {
        @Option(names = "--pin-dir", defaultValue = "/sys/fs/bpf/xdpml/fw", paramLabel = "DIR",
                description = "bpffs directory of the pinned firewall (default: ${DEFAULT-VALUE})")
        Path dir;

        FirewallPins pins() {
            return new FirewallPins(dir);
        }
    }

    /** show/stats: the firewall of a running agent (--iface), else the one 'fw load' pinned. */
    static final class Source {
        @Option(names = "--iface", paramLabel = "IF", description = "the firewall stage of the agent running on IF")
        String iface;

        @Mixin
        PinDir pinDir = new PinDir();

        /** The maps, the interfaces they serve, and what to close. */
        /** @param dir where its measures are pinned */
        record Maps(FirewallMaps maps, String where, Path dir, AutoCloseable closer) implements AutoCloseable {
            @Override
            public void close() throws Exception {
                closer.close();
            }
        }

        Maps open() {
            if (iface != null) {
                RunningAgent a = RunningAgent.on(iface).orElseThrow(() -> new IllegalStateException(
                        "no agent runs on " + iface + " ('xdpml status' lists them); without --iface: the firewall of 'xdpml fw load'"));
                try {
                    return new Maps(a.firewall(), a.describe(), io.xdpml.agent.AgentPins.dir(iface), a);
                } catch (RuntimeException e) {
                    a.close();
                    throw e;
                }
            }
            FirewallPins pins = pinDir.pins();
            FirewallPins.Opened o = pins.open();
            return new Maps(o.maps(), String.join(", ", pins.interfaces()), pins.dir(), o);
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            header = "Validate a config file and make it the firewall's, atomically.",
            description = {"FILE is a firewall config (docs/firewall.md) or the old VXLAN pipeline's IP allowlist JSON"
                + " (version, total_ips, organizations, flat_ip_list; total_ips is checked). The whole file is checked first:"
                + " every bad line is reported with its number and reason, and nothing changes (exit code 1).",
                "The first load loads the program and pins it; later loads swap the new config in (packets see the old"
                + " config or the new one, never a mix). --iface attaches to an interface (native XDP where the driver"
                + " has it, else generic); the program stays attached after the command exits."})
    static final class Load implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "config file")
        Path file;

        @Option(names = "--iface", paramLabel = "IF", description = "attach to this interface too")
        String iface;

        @Option(names = "--check", description = "only validate the file; touch nothing")
        boolean check;

        @Option(names = "--max-rules", defaultValue = "65536",
                description = "rules a config may have; fixed when the program is first loaded (default: ${DEFAULT-VALUE})")
        int maxRules;

        @Option(names = "--max-entries", defaultValue = "1048576",
                description = "entries of the prefix and rule tries; fixed at first load (default: ${DEFAULT-VALUE})")
        int maxEntries;

        @Option(names = "--max-connections", defaultValue = "65536",
                description = "conntrack entries (LRU), of each of two tables: the assured connections and those not yet (docs/firewall.md, Early drop); fixed at first load (default: ${DEFAULT-VALUE})")
        int maxConnections;

        @Option(names = "--vxlan-port", defaultValue = "4789", description = "UDP port parsed as VXLAN, 0: none (default: ${DEFAULT-VALUE};"
            + " a program already pinned keeps the port it was loaded with)")
        int vxlanPort;

        @Mixin
        PinDir pinDir = new PinDir();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            FirewallConfig config;
            try {
                config = FirewallConfigParser.parse(file);
            } catch (FirewallConfigException e) {
                spec.commandLine().getErr().println("xdpml fw load: " + e.getMessage());
                return 1;
            }
            out.printf("%s: valid: %d deny, %d allow entries, %d rules, default %s%n", file,
                    config.denySource().size() + config.denyDestination().size(),
                    config.allowSource().size() + config.allowDestination().size(), config.rules().size(),
                    config.defaultDrop() ? "drop" : "pass");
            String cookies = config.synCookies() ? io.xdpml.firewall.SynCookies.hostProblem() : null;
            if (cookies != null) {
                out.println("syn-cookies: " + cookies);
            }
            if (check) {
                return 0;
            }
            java.util.Optional<RunningAgent> agent = RunningAgent.on(iface);
            if (agent.isPresent()) {
                try (RunningAgent a = agent.get()) {
                    if (config.synCookies() && a.spreadsOverCpus()) {
                        spec.commandLine().getErr().println("xdpml fw load: " + file + ": syn-cookies on cannot answer behind the cpumap of "
                                + a.describe() + " (its file " + a.info().config() + "): a SYN-ACK leaves with XDP_TX, which the kernel"
                                + " does not allow in a CPU's program; nothing installed");
                        return 1;
                    }
                    int generation = a.installFirewall(config);
                    out.println("installed into the firewall stage of " + a.describe() + ", generation " + generation
                            + " (one XDP program per interface: the agent's, not a second one). The agent's file " + a.info().config()
                            + " keeps its own rules: its next reload puts them back.");
                }
                return 0;
            }
            if (vxlanPort < 0 || vxlanPort > 65535) {
                throw new IllegalArgumentException("--vxlan-port must be 0..65535: " + vxlanPort);
            }
            FirewallProgram.Limits limits = new FirewallProgram.Limits(maxEntries, maxEntries, maxRules, maxConnections,
                    maxConnections);
            for (String step : pinDir.pins().load(config, iface, limits, vxlanPort)) {
                out.println(step);
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            header = "Print the config the kernel enforces now (read back from the pinned maps).",
            description = {"Settings, then every deny/allow list entry and the rules' prefix sets of the active generation,"
                + " as held in the kernel's maps (not as a file said)."})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--connections", paramLabel = "N", arity = "0..1", fallbackValue = "100", defaultValue = "0",
                description = "also list up to N tracked connections (initiator -> responder, state, idle time; N default 100)")
        int connections;

        @Mixin
        Source source = new Source();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (Source.Maps o = source.open(); Arena a = Arena.ofConfined()) {
                FirewallMaps m = o.maps();
                MemorySegment c = m.activeConfig(a);
                out.println("# generation " + m.activeGeneration() + "; attached to: " + o.where());
                out.println("default " + (b(c, FirewallLayout.CONFIG_DEFAULT_ACTION) == 1 ? "drop" : "pass"));
                out.println("malformed " + (b(c, FirewallLayout.CONFIG_MALFORMED_PASS) == 1 ? "pass" : "drop"));
                out.println("conntrack " + (b(c, FirewallLayout.CONFIG_CONNTRACK) == 1
                        ? "on" + (b(c, FirewallLayout.CONFIG_CT_STRICT) == 1 ? " strict" : "") : "off"));
                out.println("timeout tcp-syn " + ms(c, FirewallLayout.CONFIG_TIMEOUT_SYN));
                out.println("timeout tcp-established " + ms(c, FirewallLayout.CONFIG_TIMEOUT_EST));
                out.println("timeout tcp-fin " + ms(c, FirewallLayout.CONFIG_TIMEOUT_FIN));
                out.println("timeout udp " + ms(c, FirewallLayout.CONFIG_TIMEOUT_UDP));
                out.println("rate-limit " + rate(c, FirewallLayout.CONFIG_RATE_PPS, FirewallLayout.CONFIG_RATE_CAP));
                out.println("syn-limit " + rate(c, FirewallLayout.CONFIG_SYN_PPS, FirewallLayout.CONFIG_SYN_CAP));
                out.println("syn-flood " + rate(c, FirewallLayout.CONFIG_FLOOD_PPS, FirewallLayout.CONFIG_FLOOD_CAP));
                out.println("bare-syn-flood " + rate(c, FirewallLayout.CONFIG_BARE_PPS, FirewallLayout.CONFIG_BARE_CAP));
                out.println("icmp-flood " + rate(c, FirewallLayout.CONFIG_ICMP_PPS, FirewallLayout.CONFIG_ICMP_CAP));
                List<String> entries = m.activeListEntries();
                entries.stream().sorted().forEach(out::println);
                out.println("# " + c.get(FirewallLayout.U64, FirewallLayout.CONFIG_RULE_COUNT) + " rules compiled into "
                        + m.activeRuleEntries() + " rule-trie entries");
                if (io.xdpml.firewall.FirewallMeasures.pinnedAt(o.dir())) {
                    try (io.xdpml.firewall.FirewallMeasures fm = io.xdpml.firewall.FirewallMeasures.openPinned(o.dir())) {
                        List<io.xdpml.firewall.Measure> measures = fm.list();
                        if (!measures.isEmpty()) {
                            out.println("# " + measures.size() + " measure" + (measures.size() == 1 ? "" : "s") + " (xdpml blocks --pin-dir "
                                    + o.dir().getParent() + " --iface " + o.dir().getFileName() + ")");
                            long now = System.nanoTime();
                            measures.stream().sorted(java.util.Comparator.comparing(io.xdpml.firewall.Measure::toString))
                                    .forEach(x -> out.println("# " + x + ", dropped " + x.hits() + (x.activeAt(now) ? "" : ", expired")));
                        }
                    }
                }
                if (connections > 0) {
                    // bpf_ktime_get_ns() and System.nanoTime() both read CLOCK_MONOTONIC on Linux
                    List<String> lines = m.connectionLines(connections, System.nanoTime());
                    out.println("# " + m.connections() + " connections" + (lines.size() < m.connections() ? ", first " + lines.size() : ""));
                    lines.forEach(l -> out.println("# " + l));
                }
            }
            return 0;
        }

        private static int b(MemorySegment c, int off) {
            return c.get(ValueLayout.JAVA_BYTE, off);
        }

        private static String ms(MemorySegment c, int off) {
            return c.get(FirewallLayout.U64, off) / 1_000_000 + "ms";
        }

        private static String rate(MemorySegment c, int pps, int cap) {
            long p = c.get(FirewallLayout.U64, pps);
            return p == 0 ? "off" : p + "/s burst " + c.get(FirewallLayout.U64, cap) / FirewallLayout.NS_PER_TOKEN;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            header = "Packets by verdict reason, hits per rule, tracked connections.",
            description = {"Counters are per CPU in the kernel, summed here. Every packet counts once in 'packets' and once"
                + " under the reason of its verdict (pass_* or drop_*); ct_new counts connections created."})
    static final class Stats implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "one JSON object: counters{name: n}, rules[hits], connections")
        boolean json;

        @Mixin
        Source source = new Source();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (Source.Maps o = source.open(); Arena a = Arena.ofConfined()) {
                FirewallMaps m = o.maps();
                long[] c = m.counters();
                int rules = (int) m.activeConfig(a).get(FirewallLayout.U64, FirewallLayout.CONFIG_RULE_COUNT);
                long[] hits = m.ruleHits(rules);
                long connections = m.connections();
                if (json) {
                    Map<String, Object> root = new LinkedHashMap<>();
                    Map<String, Long> counters = new LinkedHashMap<>();
                    for (FirewallCounter fc : FirewallCounter.values()) {
                        counters.put(fc.jsonName(), c[fc.id()]);
                    }
                    root.put("counters", counters);
                    root.put("rules", hits);
                    root.put("connections", connections);
                    out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
                    return 0;
                }
                for (FirewallCounter fc : FirewallCounter.values()) {
                    out.printf("%-18s %,d%n", fc.jsonName(), c[fc.id()]);
                }
                for (int i = 0; i < rules; i++) {
                    out.printf("rule %-13d %,d%n", i + 1, hits[i]);
                }
                out.printf("%-18s %,d%n", "connections", connections);
            }
            return 0;
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true,
            header = "Detach the firewall from every interface and remove its program and maps.",
            description = {"Removes the pinned links (which detaches the program), the program and every map."})
    static final class Clear implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PinDir pinDir = new PinDir();

        @Override
        public Integer call() {
            FirewallPins pins = pinDir.pins();
            List<String> ifaces = pins.interfaces();
            boolean any = pins.clear();
            spec.commandLine().getOut().println(any ? "removed the firewall" + (ifaces.isEmpty() ? "" : " (detached from "
                    + String.join(", ", ifaces) + ")") : "nothing to remove at " + pins.dir());
            return 0;
        }
    }
}
