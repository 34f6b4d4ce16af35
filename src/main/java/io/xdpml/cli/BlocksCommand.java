package io.xdpml.cli;

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

/** {@code xdpml blocks list|add|remove|clear}: the closed-loop mitigation's blocks of a running {@code xdpml run}. */
@Command(name = "blocks", mixinStandardHelpOptions = true,
        header = "List, add and remove the sources a running 'xdpml run' blocks in XDP.",
        description = {"'xdpml run' pins its blocks map (an LPM trie of source prefixes with an expiry and a hit count)",
            "at /sys/fs/bpf/xdpml/blocks/IFACE while it runs; these commands open that pin from another shell. The",
            "blocks live as long as the run that enforces them. Needs root."},
        subcommands = {BlocksCommand.ListBlocks.class, BlocksCommand.Add.class, BlocksCommand.Remove.class, BlocksCommand.Clear.class})
final class BlocksCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which pinned map: --iface names the file under --pin-dir. */
    static final class Target {
        @Option(names = "--pin-dir", defaultValue = "/sys/fs/bpf/xdpml/blocks", paramLabel = "DIR",
                description = "where runs pin their blocks, a directory per interface (default: ${DEFAULT-VALUE})")
        Path dir;

        Mitigation open(String iface) {
            return Mitigation.openPinned(dir.resolve(iface));
        }
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

    /** PROTO/SRC:PORT-DST:PORT, IPv6 addresses in brackets. */
    record Flow(int protocol, InetAddress src, int srcPort, InetAddress dst, int dstPort) {
        static Flow parse(String text) {
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
            return new Flow(protocol, (InetAddress) a[0], (int) a[1], (InetAddress) b[0], (int) b[1]);
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
                Mitigation m = target.open(i);
                try {
                    List<Mitigation.Block> blocks = m.list();
                    List<Mitigation.FlowBlock> flows = m.listFlows();
                    out.printf("%s: %d block%s, %d flow%s%n", i, blocks.size(), blocks.size() == 1 ? "" : "s", flows.size(),
                            flows.size() == 1 ? "" : "s");
                    for (Mitigation.Block b : blocks) {
                        out.printf("  %-40s dropped %,d packets, %s%n", b.address().getHostAddress() + "/" + b.prefixLength(), b.hits(),
                                expiry(b.expiresNanos(), b.activeAt(now), now));
                    }
                    for (Mitigation.FlowBlock f : flows) {
                        out.printf("  %-40s dropped %,d packets, %s%n", f, f.hits(), expiry(f.expiresNanos(), f.activeAt(now), now));
                    }
                } finally {
                    m.close();
                }
            }
            out.flush();
            return 0;
        }
    }

    /** The prefixes and flows a command names, parsed all before any is applied. */
    static final class Items {
        @Parameters(paramLabel = "PREFIX", arity = "0..*", description = "ADDRESS or ADDRESS/LEN, IPv4 or IPv6")
        List<String> prefixes = List.of();
        @Option(names = "--flow", paramLabel = "PROTO/SRC:PORT-DST:PORT", description = "a flow, both directions (repeatable)")
        List<String> flows = List.of();

        record Parsed(List<Prefix> prefixes, List<Flow> flows) {}

        /** Every item parsed, or the first bad one's error: nothing is applied from a command with a bad item. */
        Parsed parse() throws IOException {
            List<Prefix> p = new java.util.ArrayList<>();
            for (String text : prefixes) {
                p.add(Prefix.parse(text));
            }
            List<Flow> f = new java.util.ArrayList<>();
            for (String text : flows) {
                f.add(Flow.parse(text));
            }
            return new Parsed(p, f);
        }
    }

    static String expiry(long expires, boolean active, long now) {
        return expires == 0 ? "no expiry" : active ? "expires in " + (expires - now) / 1_000_000_000L + " s" : "expired";
    }

    @Command(name = "add", mixinStandardHelpOptions = true, header = "Block source addresses or prefixes, or flows (--flow), now.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", required = true, paramLabel = "IF", description = "the run's interface")
        String iface;
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
            if (items.prefixes.isEmpty() && items.flows.isEmpty()) {
                throw new IllegalArgumentException("name a PREFIX or a --flow to block");
            }
            Items.Parsed parsed = items.parse();
            Mitigation m = target.open(iface);
            try {
                for (Flow f : parsed.flows()) {
                    m.blockFlow(f.src(), f.srcPort(), f.dst(), f.dstPort(), f.protocol(), 0, seconds == 0 ? null : Duration.ofSeconds(seconds));
                    spec.commandLine().getOut().printf("blocked flow %s on %s%s%n", flowText(f), iface, seconds == 0 ? "" : " for " + seconds + " s");
                }
                for (Prefix p : parsed.prefixes()) {
                    m.block(p.address(), p.length(), seconds == 0 ? null : Duration.ofSeconds(seconds));
                    spec.commandLine().getOut().printf("blocked %s/%d on %s%s%n", p.address().getHostAddress(), p.length(), iface,
                            seconds == 0 ? "" : " for " + seconds + " s");
                }
            } finally {
                m.close();
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    static String flowText(Flow f) {
        return f.protocol() + "/" + f.src().getHostAddress() + ":" + f.srcPort() + "-" + f.dst().getHostAddress() + ":" + f.dstPort();
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, header = "Remove blocks (exit code 1 when one was not there).")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", required = true, paramLabel = "IF", description = "the run's interface")
        String iface;
        @picocli.CommandLine.Mixin
        Items items;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws IOException {
            Items.Parsed parsed = items.parse();
            int missing = 0;
            Mitigation m = target.open(iface);
            try {
                for (Flow f : parsed.flows()) {
                    boolean removed = m.unblockFlow(f.src(), f.srcPort(), f.dst(), f.dstPort(), f.protocol(), 0);
                    spec.commandLine().getOut().printf("%s flow %s%n", removed ? "removed" : "no block of", flowText(f));
                    missing += removed ? 0 : 1;
                }
                for (Prefix p : parsed.prefixes()) {
                    boolean removed = m.unblock(p.address(), p.length());
                    spec.commandLine().getOut().printf("%s %s/%d%n", removed ? "removed" : "no block", p.address().getHostAddress(), p.length());
                    missing += removed ? 0 : 1;
                }
            } finally {
                m.close();
            }
            spec.commandLine().getOut().flush();
            return missing == 0 ? 0 : 1;
        }
    }

    @Command(name = "clear", mixinStandardHelpOptions = true, header = "Remove every block of a run.")
    static final class Clear implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--iface", required = true, paramLabel = "IF", description = "the run's interface")
        String iface;
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() {
            Mitigation m = target.open(iface);
            int n = 0;
            try {
                for (Mitigation.Block b : m.list()) {
                    n += m.unblock(b.address(), b.prefixLength()) ? 1 : 0;
                }
                for (Mitigation.FlowBlock f : m.listFlows()) {
                    n += m.unblockFlow(f.addressA(), f.portA(), f.addressB(), f.portB(), f.protocol(), f.vlan()) ? 1 : 0;
                }
                m.sweep(); // clears the kernel's flow-lookup flag when no flow block is left
            } finally {
                m.close();
            }
            spec.commandLine().getOut().printf("removed %d block%s on %s%n", n, n == 1 ? "" : "s", iface);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
