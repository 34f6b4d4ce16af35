package io.xdpml.cli;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallConfigException;
import io.xdpml.firewall.FirewallConfigParser;
import io.xdpml.firewall.Prefix;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.vxlan.NatEntry;
import io.xdpml.vxlan.NatFileParser;
import io.xdpml.vxlan.VxlanCounter;
import io.xdpml.vxlan.VxlanOptions;
import io.xdpml.vxlan.VxlanProgram;
import io.xdpml.vxlan.XskEgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml vxlan}: the VXLAN gateway (docs/vxlan.md), running until --duration or Ctrl-C. */
@Command(name = "vxlan", mixinStandardHelpOptions = true,
        header = "VXLAN gateway: allowlist, NAT, decap or forward, out of another interface (docs/vxlan.md).",
        description = {"Attaches the gateway to --in: VXLAN packets (UDP --port) whose inner source (--match src) or"
            + " destination (--match dst) is on the allowlist get their inner destination NAT-rewritten (--nat), DF"
            + " cleared (--clear-df), the outer headers removed (--decap, default) or kept (--forward), and leave through"
            + " --out: by XDP_REDIRECT (--egress redirect) or through AF_XDP sockets and Java (--egress xsk). Other"
            + " traffic on --in goes to the host stack. VXLAN packets of a VNI not in --vni, whose outer IP header is a"
            + " fragment, or whose inner frame is VLAN-tagged are dropped. Prints the counters every second. Needs root."})
final class VxlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "IF", description = "ingress interface (VXLAN arrives here)")
    String in;

    @Option(names = "--out", required = true, paramLabel = "IF2", description = "egress interface")
    String out;

    @Option(names = "--allowlist", paramLabel = "FILE",
            description = "allowed prefixes: a firewall config's 'allow src' lines (--match dst: 'allow dst'; 'default drop'"
                    + " may stay), any other line refuses the file; or the allowlist JSON; none: all allowed")
    Path allowlist;

    @Option(names = "--nat", paramLabel = "FILE", description = "NAT file: 'ADDRESS|* PORT -> NEW_ADDRESS NEW_PORT' per line")
    Path nat;

    @Option(names = "--match", defaultValue = "src", paramLabel = "src|dst",
            description = "which inner address the allowlist judges (default: ${DEFAULT-VALUE})")
    String match;

    @Option(names = "--decap", description = "remove the outer headers (the default)")
    boolean decap;

    @Option(names = "--forward", description = "keep the outer headers")
    boolean forward;

    @Option(names = "--clear-df", description = "clear the inner IPv4 DF bit")
    boolean clearDf;

    @Option(names = "--egress", defaultValue = "redirect", paramLabel = "redirect|xsk",
            description = "redirect: XDP_REDIRECT through a DEVMAP, falling back to AF_XDP when it fails; xsk: always "
                    + "AF_XDP (guaranteed egress) (default: ${DEFAULT-VALUE})")
    String egress;

    @Option(names = "--port", defaultValue = "4789", description = "VXLAN UDP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--vni", paramLabel = "LIST",
            description = "the VNIs this gateway serves, e.g. 42,43 (0 to 16777215): a packet of another VNI is dropped"
                    + " (other_vni); default: all VNIs, one allowlist and NAT table shared by all of them")
    String vni;

    @Option(names = "--dst-mac", paramLabel = "MAC",
            description = "destination MAC of the packets leaving --out (the next hop); the source MAC becomes --out's")
    String dstMac;

    @Option(names = "--mode", defaultValue = "auto", paramLabel = "native|generic|auto",
            description = "XDP attach mode on --in (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "S", description = "seconds to run; 0: until Ctrl-C")
    int duration;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        VxlanOptions opts;
        try {
            opts = options();
        } catch (FirewallConfigException e) {
            err.println(e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IOException e) {
            err.println("xdpml vxlan: " + e.getMessage());
            return 1;
        }
        int inIndex = Interfaces.indexOf(in);
        int outIndex = Interfaces.indexOf(out);
        XdpMode xdpMode = XdpMode.valueOf(mode.toUpperCase());
        AtomicBoolean stop = new AtomicBoolean();
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            main.interrupt();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try (VxlanProgram gw = VxlanProgram.load(opts, false)) {
            XskEgress opened = null;
            try {
                opened = XskEgress.open(gw, inIndex, 0, outIndex);
            } catch (RuntimeException e) {
                if (opts.egressXsk()) {
                    throw e;
                }
                // redirect mode works without it; only the fallback is lost (counted as err_xsk)
                err.println("xdpml vxlan: no AF_XDP fallback: " + e.getMessage());
                err.flush();
            }
            XskEgress xsk = opened;
            if (!opts.egressXsk()) {
                gw.setEgress(outIndex);
            }
            Thread forwarder = Thread.ofPlatform().name("xdpml-vxlan-xsk").start(() -> {
                while (!stop.get() && xsk != null) {
                    xsk.poll(50);
                }
            });
            try (XdpAttachment att = XdpAttachment.attach(gw.program(), inIndex, xdpMode)) {
                o.printf("xdpml vxlan: %s -> %s (%s, %s, match %s, egress %s, VNI %s, XDP %s)%n", in, out,
                        opts.decap() ? "decap" : "forward", opts.clearDf() ? "clear DF" : "keep DF",
                        opts.matchDestination() ? "dst" : "src", egress, vni == null ? "all" : vni, att.mode());
                o.flush();
                long end = duration > 0 ? System.nanoTime() + duration * 1_000_000_000L : Long.MAX_VALUE;
                while (!stop.get() && System.nanoTime() < end) {
                    try {
                        Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    } catch (InterruptedException e) {
                        break;
                    }
                    o.println(line(gw.counters(), xsk == null ? 0 : xsk.forwarded(), xsk == null ? 0 : xsk.receiveLost()));
                    o.flush();
                }
            } finally {
                stop.set(true);
                forwarder.join();
                if (xsk != null) {
                    xsk.close();
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        return 0;
    }

    /**
     * The counters; then what happened after the program returned, where this process can see it:
     * xsk_lost, handed to the AF_XDP socket but dropped by the kernel (its RX ring full, no FILL
     * buffer), and xsk_sent, sent out of the egress by Java. A DEVMAP redirect the kernel fails is
     * not seen here (docs/vxlan.md: tracepoint xdp:xdp_redirect_err, the drivers' statistics).
     */
    static String line(long[] c, long javaSent, long xskLost) {
        StringBuilder b = new StringBuilder();
        for (VxlanCounter k : VxlanCounter.values()) {
            long v = c[k.slot()];
            if (!k.isError() || v != 0) {
                b.append(k.label()).append('=').append(v).append(' ');
            }
        }
        return b.append("xsk_lost=").append(xskLost).append(" xsk_sent=").append(javaSent).toString();
    }

    /**
     * The interface's MAC, from {@code ip -o link show} run from this thread: it sees this thread's
     * network namespace (the JVM's /sys is the one it was started with).
     */
    static String macOf(String ifname) throws IOException {
        Process p = new ProcessBuilder("ip", "-o", "link", "show", "dev", ifname).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(text);
        if (p.exitValue() != 0 || !m.find()) {
            throw new IllegalArgumentException("no Ethernet address for " + ifname + ": " + text.strip());
        }
        return m.group(1);
    }

    /**
     * The allowlist of {@code --allowlist}: the JSON's list (it has no direction), or a firewall
     * config's {@code allow} lines of the --match direction. A config is refused whole, each line
     * named, when it has lines the gateway cannot honour: deny, rule, the other direction's allow,
     * settings other than {@code default drop} (before 2026-12-05 both directions were merged into
     * one list and the rest silently ignored).
     */
    static List<Prefix> allowlist(String text, String source, boolean matchDst) throws FirewallConfigException {
        FirewallConfig c = FirewallConfigParser.parse(text, source);
        if (text.stripLeading().startsWith("{")) {
            return c.allowSource();
        }
        String want = matchDst ? "dst" : "src";
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            int hash = l.indexOf('#');
            String[] w = (hash >= 0 ? l.substring(0, hash) : l).strip().split("\\s+");
            String why = switch (w[0]) {
                case "" -> null;
                case "allow" -> w[1].equals("dst") == matchDst ? null : "an allow of the other direction (--match " + want + ")";
                case "default" -> w[1].equals("drop") ? null : "the gateway always drops what is not allowed";
                case "deny" -> "the gateway has no deny list";
                case "rule" -> "the gateway applies no rules";
                default -> "the gateway does not apply '" + w[0] + "'";
            };
            if (why != null) {
                problems.add("line " + (i + 1) + ": " + why + "; the gateway uses only 'allow " + want + "' lines");
            }
        }
        if (!problems.isEmpty()) {
            throw new FirewallConfigException(source, problems);
        }
        return matchDst ? c.allowDestination() : c.allowSource();
    }

    /** {@code --vni}: VNIs separated by commas. */
    static Set<Integer> vnis(String list) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String s : list.split(",", -1)) {
            int v;
            try {
                v = Integer.parseInt(s.strip());
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > VxlanOptions.MAX_VNI) {
                throw new IllegalArgumentException("--vni: bad VNI '" + s + "' (0 to " + VxlanOptions.MAX_VNI
                        + ", separated by commas)");
            }
            out.add(v);
        }
        return out;
    }

    VxlanOptions options() throws IOException, FirewallConfigException {
        if (!match.equals("src") && !match.equals("dst")) {
            throw new IllegalArgumentException("--match must be src or dst, not '" + match + "'");
        }
        if (!egress.equals("redirect") && !egress.equals("xsk")) {
            throw new IllegalArgumentException("--egress must be redirect or xsk, not '" + egress + "'");
        }
        if (decap && forward) {
            throw new IllegalArgumentException("--decap and --forward exclude each other");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be 1..65535");
        }
        if (!List.of("native", "generic", "auto").contains(mode)) {
            throw new IllegalArgumentException("--mode must be native, generic or auto");
        }
        List<Prefix> allow = allowlist == null ? null
                : allowlist(Files.readString(allowlist), allowlist.toString(), match.equals("dst"));
        List<NatEntry> natEntries = nat == null ? List.of() : NatFileParser.parse(Files.readString(nat), nat.toString());
        VxlanOptions v = VxlanOptions.defaults().withPort(port).withAllowlist(allow).withNat(natEntries)
                .withMode(match.equals("dst"), !forward, clearDf).withEgress(egress.equals("xsk"), true)
                .withVnis(vni == null ? null : vnis(vni));
        if (dstMac != null) {
            HexFormat h = HexFormat.ofDelimiter(":");
            byte[] dst;
            try {
                dst = h.parseHex(dstMac);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--dst-mac: bad MAC '" + dstMac + "'");
            }
            byte[] src = h.parseHex(macOf(out));
            v = v.withEthernet(dst, src);
        }
        return v;
    }
}
