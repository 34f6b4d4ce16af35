package io.xdpml.cli;

import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.Measure;
import io.xdpml.processor.Mitigation;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xdpml blocks list|add|remove|clear}: the closed-loop mitigation's blocks (sources, flows)
 * and the firewall's measures (port-drop, syn-limit, udp-limit, bare-syn-drop) of a running {@code xdpml run}.
 */
@Command(name = "blocks", mixinStandardHelpOptions = true,
        header = "List, add and remove the sources, flows and firewall measures a running 'xdpml run' enforces in XDP.",
        description = {"'xdpml run' pins its blocks maps (source prefixes and flows, each with an expiry and a hit count)"
            + " and, with the firewall stage, its measures (port-drop: UDP/TCP from a service port to a victim;"
            + " syn-limit: SYNs to a victim's port over a rate; udp-limit: UDP datagrams to a victim's port over a rate;"
            + " bare-syn-drop: SYNs without TCP options to a victim's port) at /sys/fs/bpf/xdpml/blocks/IFACE while it runs; these"
            + " commands open those pins from another shell. They live as long as the run that enforces them. Needs root."},
        subcommands = {BlocksCommand.ListBlocks.class, BlocksCommand.Add.class, BlocksCommand.Remove.class, BlocksCommand.Clear.class})
final class BlocksCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which pinned maps: --iface names the directory under --pin-dir. */
    static final class Target {
        @Option(names = "--pin-dir", defaultValue = "/sys/fs/bpf/xdpml/blocks", paramLabel = "DIR",
                description = "where runs pin their blocks and measures, a directory per interface (default: ${DEFAULT-VALUE})")
        Path dir;

        Pinned open(String iface) {
            Path d = dir.resolve(iface);
            boolean blocks = Files.exists(d.resolve("xdpml_blocks"));
            boolean measures = FirewallMeasures.pinnedAt(d);
            if (!blocks && !measures) {
                throw new IllegalArgumentException("no blocks or measures pinned at " + d + " (is xdpml run running on that interface?)");
            }
            java.util.OptionalLong dead = blocks ? io.xdpml.agent.RunningAgent.deadOwner(iface, d.resolve("xdpml_blocks"))
                    : java.util.OptionalLong.empty();
            if (dead.isPresent()) {
                throw new IllegalArgumentException("the agent that pinned the blocks at " + d + " (pid " + dead.getAsLong()
                        + ") is no longer running: nothing enforces them (its program went with it). Start the agent on " + iface
                        + " again; it removes the stale pins.");
            }
            Mitigation m = blocks ? Mitigation.openPinned(d) : null;
            try {
                return new Pinned(d, m, measures ? FirewallMeasures.openPinned(d) : null);
            } catch (RuntimeException e) {
                if (m != null) {
                    m.close();
                }
                throw e;
            }
        }
    }

    /** What a run pinned for one interface: its blocks (without the blocks stage: null), its measures (without the firewall stage: null). */
    record Pinned(Path dir, Mitigation blocks, FirewallMeasures measures) implements AutoCloseable {
        Mitigation requireBlocks() {
            if (blocks == null) {
                throw new IllegalArgumentException("no blocks pinned at " + dir + " (the run has no blocks stage)");
            }
            return blocks;
        }

        FirewallMeasures requireMeasures() {
            if (measures == null) {
                throw new IllegalArgumentException("no firewall measures pinned at " + dir + " (the run has no firewall stage)");
            }
            return measures;
        }

        @Override
        public void close() {
            if (blocks != null) {
                blocks.close();
            }
            if (measures != null) {
                measures.close();
            }
        }
    }

    /** --fleet: publish on the fleet's blocks topic instead of the pinned maps of a local run (docs/fleet.md). */
    static final class Fleet {
        @Option(names = "--fleet", description = "publish to the fleet's blocks topic on Kafka (every agent applies it) instead of a local run's maps")
        boolean fleet;
        @Option(names = "--kafka", paramLabel = "BOOTSTRAP", description = "the Kafka bootstrap servers (with --fleet)")
        String bootstrap;
        @Option(names = "--topic", defaultValue = io.xdpml.agent.config.OutputsSection.Kafka.BLOCKS, paramLabel = "TOPIC",
                description = "the blocks topic (default: ${DEFAULT-VALUE})")
        String topic;
        @Option(names = "--kafka-property", paramLabel = "KEY=VALUE", description = "a Kafka client property (repeatable: TLS, SASL ...)")
        java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
        @Option(names = "--reason", paramLabel = "TEXT", description = "why (stored with the block)")
        String reason;

        /** Publishes {@code blocks} (value null: a tombstone for the key) and waits until the broker has them; the exit code. */
        int publish(java.util.List<java.util.Map.Entry<String, String>> records, PrintWriter out) throws InterruptedException {
            if (bootstrap == null) {
                throw new IllegalArgumentException("--fleet needs --kafka BOOTSTRAP (host:port[,host:port])");
            }
            try (io.xdpml.fleet.FleetPublisher p = new io.xdpml.fleet.FleetPublisher(bootstrap, properties, "xdpml-blocks-cli",
                    Math.max(1, records.size()))) {
                for (var r : records) {
                    p.publish(topic, r.getKey(), r.getValue());
                }
                boolean done = p.awaitDelivered(Duration.ofSeconds(15));
                var c = p.counters();
                if (!done || c.failed() > 0 || c.dropped() > 0) {
                    out.printf("published %d of %d records to %s at %s (%s)%n", c.sent(), records.size(), topic, bootstrap,
                            c.lastError() == null ? "broker not reached within 15 s" : c.lastError());
                    out.flush();
                    return 1;
                }
                return 0;
            }
        }
    }

    /** The fleet records of {@code parsed}: blocks until {@code untilMs} (0: until removed), or tombstones when {@code remove}. */
    static java.util.List<java.util.Map.Entry<String, String>> fleetRecords(Items.Parsed parsed, boolean remove, long untilMs, Fleet f) {
        String host = io.xdpml.agent.config.OutputsSection.Kafka.defaultHost();
        long now = System.currentTimeMillis();
        java.util.List<String> reasons = f.reason == null ? java.util.List.of() : java.util.List.of(f.reason);
        java.util.List<io.xdpml.fleet.FleetBlock> blocks = new java.util.ArrayList<>();
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (Prefix x : parsed.prefixes()) {
            String t = x.address().getHostAddress() + "/" + x.length();
            if (remove) {
                keys.add(io.xdpml.fleet.FleetBlock.keyOf(io.xdpml.fleet.FleetBlock.Kind.PREFIX, t));
            } else {
                blocks.add(io.xdpml.fleet.FleetBlock.prefix(t, host, io.xdpml.fleet.FleetBlock.MANUAL, reasons, now, untilMs));
            }
        }
        for (Mitigation.Flow x : parsed.flows()) {
            io.xdpml.fleet.FleetBlock b = io.xdpml.fleet.FleetBlock.flow(new io.xdpml.fleet.FleetBlock.Flow(x.src(), x.srcPort(), x.dst(),
                    x.dstPort(), x.protocol(), x.vlan(), x.vni()), host, io.xdpml.fleet.FleetBlock.MANUAL, reasons, now, untilMs);
            if (remove) {
                keys.add(b.key());
            } else {
                blocks.add(b);
            }
        }
        for (Measure x : parsed.measures()) {
            if (remove) {
                keys.add(io.xdpml.fleet.FleetBlock.keyOf(io.xdpml.fleet.FleetBlock.Kind.MEASURE, x.entry()));
            } else {
                blocks.add(io.xdpml.fleet.FleetBlock.measure(x, host, io.xdpml.fleet.FleetBlock.MANUAL, reasons, now, untilMs));
            }
        }
        java.util.List<java.util.Map.Entry<String, String>> out = new java.util.ArrayList<>();
        for (var b : blocks) {
            out.add(new java.util.AbstractMap.SimpleEntry<>(b.key(), b.toJson()));
        }
        for (String k : keys) {
            out.add(new java.util.AbstractMap.SimpleEntry<>(k, null));
        }
        return out;
    }

    /** ADDRESS or ADDRESS/LEN. */
    record Prefix(InetAddress address, int length) {
        static Prefix parse(String text) throws IOException {
            int slash = text.indexOf('/');
            InetAddress a = InetAddress.ofLiteral(slash < 0 ? text : text.substring(0, slash));
            int max = a.getAddress().length * 8;
            int len;
            try {
                len = slash < 0 ? max : Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in " + text);
            }
            if (len < 0 || len > max) {
                throw new IllegalArgumentException("prefix length of " + text + " outside 0.." + max);
            }
            return new Prefix(a, len);
        }
    }

    /** PROTO/SRC:PORT-DST:PORT[,vlan=N][,vni=N], IPv6 addresses in brackets. */
    static final class FlowArg {
        private FlowArg() {}

        static Mitigation.Flow parse(String whole) {
            String[] parts = whole.split(",", -1);
            String text = parts[0];
            java.util.Map<String, Integer> extra = new java.util.HashMap<>();
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                int max = switch (kv[0]) {
                    case "vlan" -> 4095;
                    case "vni" -> io.xdpml.packet.TransportHeaders.VXLAN_MAX_VNI;
                    default -> throw new IllegalArgumentException("flow '" + whole + "': unknown '" + parts[i] + "' (vlan=N, vni=N)");
                };
                if (kv.length != 2 || !kv[1].matches("[0-9]{1,8}") || Integer.parseInt(kv[1]) > max) {
                    throw new IllegalArgumentException("flow '" + whole + "': " + kv[0] + " must be a number 0.." + max);
                }
                if (extra.put(kv[0], Integer.parseInt(kv[1])) != null) {
                    throw new IllegalArgumentException("flow '" + whole + "': " + kv[0] + " given twice");
                }
            }
            int vlan = extra.getOrDefault("vlan", 0);
            int vni = extra.getOrDefault("vni", 0);
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("flow '" + text + "' is not PROTO/SRC:PORT-DST:PORT");
            }
            int protocol = switch (text.substring(0, slash).toLowerCase(java.util.Locale.ROOT)) {
                case "tcp" -> 6;
                case "udp" -> 17;
                case "icmp" -> 1;
                case "icmpv6" -> 58;
                default -> {
                    try {
                        yield Integer.parseInt(text.substring(0, slash));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("unknown protocol in flow '" + text + "' (tcp, udp, icmp, icmpv6 or a number)");
                    }
                }
            };
            String rest = text.substring(slash + 1);
            int dash = rest.startsWith("[") ? rest.indexOf('-', rest.indexOf(']')) : rest.indexOf('-');
            if (dash < 0) {
                throw new IllegalArgumentException("flow '" + text + "' is not PROTO/SRC:PORT-DST:PORT");
            }
            Object[] a = endpoint(rest.substring(0, dash), text);
            Object[] b = endpoint(rest.substring(dash + 1), text);
            return new Mitigation.Flow((InetAddress) a[0], (int) a[1], (InetAddress) b[0], (int) b[1], protocol, vlan, vni);
        }

        private static Object[] endpoint(String e, String whole) {
            int colon = e.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("endpoint '" + e + "' of flow '" + whole + "' is not ADDRESS:PORT");
            }
            String host = e.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                int port = Integer.parseInt(e.substring(colon + 1));
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return new Object[] {InetAddress.ofLiteral(host), port};
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException("bad port in '" + e + "' of flow '" + whole + "'");
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, header = "List the blocks of one run (--iface) or of every running run.")
    static final class ListBlocks implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", paramLabel = "IF", description = "the run's interface (default: every pinned one)")
        String iface;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            List<String> ifaces;
            if (iface != null) {
                ifaces = List.of(iface);
            } else if (Files.isDirectory(target.dir)) {
                try (Stream<Path> s = Files.list(target.dir)) {
                    ifaces = s.map(p -> p.getFileName().toString()).sorted().toList();
                }
            } else {
                ifaces = List.of();
            }
            if (ifaces.isEmpty()) {
                out.println("no running xdpml run has pinned blocks under " + target.dir);
            }
            long now = System.nanoTime();
            for (String i : ifaces) {
                try (Pinned p = target.open(i)) {
                    List<Mitigation.Block> blocks = p.blocks() == null ? List.of() : p.blocks().list();
                    List<Mitigation.FlowBlock> flows = p.blocks() == null ? List.of() : p.blocks().listFlows();
                    List<Measure> measures = p.measures() == null ? List.of()
                            : p.measures().list().stream().sorted(java.util.Comparator.comparing(Measure::toString)).toList();
                    out.printf("%s: %d block%s, %d flow%s%s%n", i, blocks.size(), blocks.size() == 1 ? "" : "s", flows.size(),
                            flows.size() == 1 ? "" : "s", p.measures() == null ? " (no firewall measures)"
                                    : ", " + measures.size() + " measure" + (measures.size() == 1 ? "" : "s"));
                    for (Mitigation.Block b : blocks) {
                        out.printf("  %-40s dropped %,d packets, %s%n", b.address().getHostAddress() + "/" + b.prefixLength(), b.hits(),
                                expiry(b.expiresNanos(), b.activeAt(now), now));
                    }
                    for (Mitigation.FlowBlock f : flows) {
                        out.printf("  %-40s dropped %,d packets, %s%n", f, f.hits(), expiry(f.expiresNanos(), f.activeAt(now), now));
                    }
                    for (Measure m : measures) {
                        // a syn-limit's hits are the SYNs over its rate: dropped, or answered under syn-cookies on
                        out.printf("  %-40s %-16s %s, %s%n", m.entry(), m.rate(), switch (m.kind()) {
                                    case SYN_LIMIT -> String.format("%,d SYNs over the limit", m.hits());
                                    case UDP_LIMIT -> String.format("%,d datagrams over the limit", m.hits());
                                    case PORT_DROP -> String.format("dropped %,d packets", m.hits());
                                    case BARE_SYN_DROP -> String.format("dropped %,d SYNs without options", m.hits());
                                },
                                expiry(m.expiresNanos(), m.activeAt(now), now));
                    }
                }
            }
            out.flush();
            return 0;
        }
    }

    /** The prefixes, flows and measures a command names, parsed all before any is applied. */
    static final class Items {
        @Parameters(paramLabel = "PREFIX", arity = "0..*", description = "ADDRESS or ADDRESS/LEN, IPv4 or IPv6")
        List<String> prefixes = List.of();
        @Option(names = "--flow", paramLabel = "PROTO/SRC:PORT-DST:PORT[,vlan=N][,vni=N]", description = {"a flow, both directions"
            + " (repeatable); vlan: the outermost VLAN ID; vni: the VXLAN tunnel's VNI, for a flow inside one (its endpoints are the"
            + " inner packet's)"})
        List<String> flows = List.of();
        @Option(names = "--measure", paramLabel = "KIND:SPEC", description = {"a firewall measure (repeatable):",
            "port-drop:udp/53->192.0.2.7 drops UDP from port 53 to the victim (also tcp/PORT);",
            "syn-limit:tcp->192.0.2.7:80@1000/s[,burst=M] drops the SYNs to the victim's port over the rate (port any: all ports);",
            "udp-limit:udp->192.0.2.7:53@5000/s[,burst=M] drops the UDP datagrams to the victim's port over the rate (port any: all ports);",
            "bare-syn-drop:tcp->192.0.2.7:80 drops the SYNs without TCP options to the victim's port, whatever their rate (port any: all ports);",
            "IPv6 victims in brackets; remove needs no rate."})
        List<String> measures = List.of();

        record Parsed(List<Prefix> prefixes, List<Mitigation.Flow> flows, List<Measure> measures) {}

        boolean isEmpty() {
            return prefixes.isEmpty() && flows.isEmpty() && measures.isEmpty();
        }

        /**
         * Every item parsed, or the first bad one's error: nothing is applied from a command with a bad item.
         *
         * @param needRate whether a syn-limit must name its rate (add: yes; remove: no)
         */
        Parsed parse(boolean needRate) throws IOException {
            List<Prefix> p = new java.util.ArrayList<>();
            for (String text : prefixes) {
                p.add(Prefix.parse(text));
            }
            List<Mitigation.Flow> f = new java.util.ArrayList<>();
            for (String text : flows) {
                f.add(FlowArg.parse(text));
            }
            List<Measure> m = new java.util.ArrayList<>();
            for (String text : measures) {
                m.add(Measure.parse(text, needRate, 0));
            }
            return new Parsed(p, f, m);
        }
    }

    static String expiry(long expires, boolean active, long now) {
        return Mitigation.neverExpires(expires) ? "no expiry" : active ? "expires in " + (expires - now) / 1_000_000_000L + " s" : "expired";
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            header = "Block source addresses or prefixes, or flows (--flow), or add firewall measures (--measure), now.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", paramLabel = "IF", description = "the run's interface (not with --fleet)")
        String iface;
        @picocli.CommandLine.Mixin
        Fleet fleet;
        @Option(names = "--seconds", defaultValue = "0", description = "expiry in seconds (0: until removed or the run ends)")
        long seconds;
        @picocli.CommandLine.Mixin
        Items items;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws IOException {
            if (seconds < 0) {
                throw new IllegalArgumentException("--seconds must be >= 0");
            }
            if (items.isEmpty()) {
                throw new IllegalArgumentException("name a PREFIX, a --flow or a --measure to add");
            }
            Items.Parsed parsed = items.parse(true);
            Duration d = seconds == 0 ? null : Duration.ofSeconds(seconds);
            String until = seconds == 0 ? "" : " for " + seconds + " s";
            PrintWriter out = spec.commandLine().getOut();
            if (fleet.fleet) {
                var records = fleetRecords(parsed, false, seconds == 0 ? 0 : System.currentTimeMillis() + seconds * 1000, fleet);
                try {
                    int rc = fleet.publish(records, out);
                    if (rc == 0) {
                        records.forEach(r -> out.printf("published fleet block %s%s to %s%n", r.getKey(), until, fleet.topic));
                    }
                    out.flush();
                    return rc;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
            }
            if (iface == null) {
                throw new IllegalArgumentException("name the run's interface (--iface IF), or publish to the fleet (--fleet --kafka BOOTSTRAP)");
            }
            try (Pinned p = target.open(iface)) {
                Mitigation m = parsed.prefixes().isEmpty() && parsed.flows().isEmpty() ? null : p.requireBlocks();
                FirewallMeasures fm = parsed.measures().isEmpty() ? null : p.requireMeasures();
                for (Mitigation.Flow f : parsed.flows()) {
                    m.blockFlow(f, d);
                    out.printf("blocked flow %s on %s%s%n", flowText(f), iface, until);
                }
                for (Prefix x : parsed.prefixes()) {
                    m.block(x.address(), x.length(), d);
                    out.printf("blocked %s/%d on %s%s%n", x.address().getHostAddress(), x.length(), iface, until);
                }
                for (Measure x : parsed.measures()) {
                    fm.put(x, d);
                    out.printf("added measure %s on %s%s%n", x, iface, until);
                }
            }
            out.flush();
            return 0;
        }
    }

    static String flowText(Mitigation.Flow f) {
        return f.protocol() + "/" + f.src().getHostAddress() + ":" + f.srcPort() + "-" + f.dst().getHostAddress() + ":" + f.dstPort()
                + (f.vlan() != 0 ? ",vlan=" + f.vlan() : "") + (f.vni() != 0 ? ",vni=" + f.vni() : "");
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, header = "Remove blocks and measures (exit code 1 when one was not there).")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", paramLabel = "IF", description = "the run's interface (not with --fleet)")
        String iface;
        @picocli.CommandLine.Mixin
        Fleet fleet;
        @picocli.CommandLine.Mixin
        Items items;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws IOException {
            Items.Parsed parsed = items.parse(false);
            int missing = 0;
            PrintWriter out = spec.commandLine().getOut();
            if (fleet.fleet) {
                var records = fleetRecords(parsed, true, 0, fleet);
                try {
                    int rc = fleet.publish(records, out);
                    if (rc == 0) {
                        records.forEach(r -> out.printf("published tombstone for %s to %s%n", r.getKey(), fleet.topic));
                    }
                    out.flush();
                    return rc;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
            }
            if (iface == null) {
                throw new IllegalArgumentException("name the run's interface (--iface IF), or publish to the fleet (--fleet --kafka BOOTSTRAP)");
            }
            try (Pinned p = target.open(iface)) {
                Mitigation m = parsed.prefixes().isEmpty() && parsed.flows().isEmpty() ? null : p.requireBlocks();
                FirewallMeasures fm = parsed.measures().isEmpty() ? null : p.requireMeasures();
                for (Mitigation.Flow f : parsed.flows()) {
                    boolean removed = m.unblockFlow(f);
                    out.printf("%s flow %s%n", removed ? "removed" : "no block of", flowText(f));
                    missing += removed ? 0 : 1;
                }
                for (Prefix x : parsed.prefixes()) {
                    boolean removed = m.unblock(x.address(), x.length());
                    out.printf("%s %s/%d%n", removed ? "removed" : "no block", x.address().getHostAddress(), x.length());
                    missing += removed ? 0 : 1;
                }
                for (Measure x : parsed.measures()) {
                    boolean removed = fm.remove(x);
                    out.printf("%s %s%n", removed ? "removed measure" : "no measure", x.entry());
                    missing += removed ? 0 : 1;
                }
            }
            out.flush();
            return missing == 0 ? 0 : 1;
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true, header = "Remove every block and measure of a run.")
    static final class Clear implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", required = true, paramLabel = "IF", description = "the run's interface")
        String iface;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() {
            int n = 0;
            int measures = 0;
            try (Pinned p = target.open(iface)) {
                Mitigation m = p.blocks();
                if (m != null) {
                    for (Mitigation.Block b : m.list()) {
                        n += m.unblock(b.address(), b.prefixLength()) ? 1 : 0;
                    }
                    for (Mitigation.FlowBlock f : m.listFlows()) {
                        n += m.unblockFlow(f.flow()) ? 1 : 0;
                    }
                    m.sweep(); // clears the kernel's flow-lookup flag when no flow block is left
                }
                if (p.measures() != null) {
                    measures = p.measures().clear(); // and the measures' lookup flag
                }
            }
            spec.commandLine().getOut().printf("removed %d block%s and %d measure%s on %s%n", n, n == 1 ? "" : "s", measures,
                    measures == 1 ? "" : "s", iface);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
