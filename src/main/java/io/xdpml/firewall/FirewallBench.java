package io.xdpml.firewall;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.DropFloor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Kernel cost per packet of the firewall (BPF_PROG_TEST_RUN, repeat, the kernel's own duration),
 * production mode (real clock, no verdict recording), 64-byte Ethernet/IPv4/UDP frames, for
 * configs of a given size:
 * <ul>
 * <li>{@code pass-all}: no lists, no rules (the parse and the firewall's fixed cost);</li>
 * <li>{@code deny-miss}: N deny prefixes (random /16 to /32), the packet's source in none; default pass;</li>
 * <li>{@code deny-hit}: the same list, the packet's source in it;</li>
 * <li>{@code rules}: N rules on distinct source hosts and ports (every 4th a range of up to 16), default drop; the packet
 *     matches the LAST rule in file order (a scan would pay N);</li>
 * <li>{@code rules-drop}: the same rules with action drop and default pass (for end-to-end runs,
 *     where a passed packet would go on to the network stack);</li>
 * <li>{@code conntrack}: the rules plus conntrack, the packet of a tracked UDP flow;</li>
 * <li>{@code measures-miss}: no lists, no rules, N measures (port-drops and syn-limits on other victims, at most
 *     {@value #MAX_MEASURES}): the packet pays the lookup flag and one hash lookup that misses;</li>
 * <li>{@code measures-hit}: the same with a port-drop of the packet's source port to its destination: dropped.</li>
 * <li>{@code measures-udp-miss}: N measures, a third of each kind (udp-limits among them, on other victims): a UDP
 *     packet pays the lookup flag and three hash lookups that miss (port-drop, udp-limit of its port, of any port);</li>
 * <li>{@code measures-udp-hit}: the same with a udp-limit of the packet's destination and port at 0/s: dropped.</li>
 * <li>{@code measures-syn-miss}: N measures, port-drops and syn-limits on other victims; the packet a TCP SYN without
 *     options (192.0.2.1:4000 to 198.51.100.1:{@value #SYN_PORT}): it pays the flag and three lookups that miss
 *     (port-drop, syn-limit of its port, of any port), no bare-syn-drop being in;</li>
 * <li>{@code measures-bare-miss}: the same with a third of the measures bare-syn-drops (on other victims): the SYN
 *     pays the two bare-syn-drop lookups more (since 2026-12-07);</li>
 * <li>{@code measures-bare-hit}: the same with a bare-syn-drop of the packet's destination and port: dropped.</li>
 * <li>{@code syn-drop}: a TCP SYN (192.0.2.1:4000 to 198.51.100.1:{@value #SYN_PORT}) over {@code syn-flood 1/s burst 1}: dropped;</li>
 * <li>{@code bare-drop}: the same SYN (no options) over {@code bare-syn-flood 1/s burst 1}: dropped (since 2026-12-07);</li>
 * <li>{@code icmp-drop}: an ICMP echo request over {@code icmp-flood 1/s burst 1}: dropped (since 2026-12-07);</li>
 * <li>{@code syn-cookie}: the same with {@code syn-cookies on}: answered with a SYN cookie (XDP_TX) for a socket listening on
 *     the port ({@code --veth} only: a test run's repetitions would reuse the frame the first one turned into its answer).</li>
 * </ul>
 */
public final class FirewallBench {
    public static final List<String> SCENARIOS = List.of("pass-all", "deny-miss", "deny-hit", "rules", "rules-drop", "conntrack",
            "measures-miss", "measures-hit", "measures-udp-miss", "measures-udp-hit", "measures-syn-miss", "measures-bare-miss",
            "measures-bare-hit", "syn-drop", "bare-drop", "icmp-drop", "syn-cookie");
    /** The port the SYN scenarios' packet is for (a socket listens on it in {@code --veth} runs). */
    public static final int SYN_PORT = 8080;
    /** Measures the map holds at most (its max_entries is 16384). */
    public static final int MAX_MEASURES = 16000;

    private FirewallBench() {}

    /** The config of a scenario with n entries; the packet comes from 192.0.2.1:4000 to 198.51.100.1:53. */
    public static FirewallConfig config(String scenario, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        FirewallConfig base = FirewallConfig.passAll();
        List<Prefix> deny = new ArrayList<>();
        List<FirewallRule> rules = new ArrayList<>();
        boolean conntrack = scenario.equals("conntrack");
        FirewallRule.Action action = scenario.equals("rules-drop") ? FirewallRule.Action.DROP : FirewallRule.Action.PASS;
        switch (scenario) {
            case "pass-all", "measures-miss", "measures-hit", "measures-udp-miss", "measures-udp-hit", "measures-syn-miss",
                 "measures-bare-miss", "measures-bare-hit", "syn-drop", "bare-drop", "icmp-drop", "syn-cookie" -> { }
            case "deny-miss", "deny-hit" -> {
                java.util.Set<Prefix> set = new java.util.LinkedHashSet<>();
                while (set.size() < n - 1) {
                    int len = 16 + rnd.nextInt(17);
                    byte[] a = new byte[4];
                    int v = rnd.nextInt();
                    for (int i = 0; i < 4; i++) {
                        a[i] = (byte) (v >>> (24 - 8 * i));
                    }
                    if ((a[0] & 0xff) == 192 || (a[0] & 0xff) == 198) {
                        continue; // keep the packet's own addresses out of the random part
                    }
                    set.add(new Prefix(4, Prefix.mask(a, len), len));
                }
                set.add(scenario.equals("deny-hit") ? Prefix.parse("192.0.2.0/24") : Prefix.parse("192.0.3.0/24"));
                deny.addAll(set);
            }
            case "rules", "rules-drop", "conntrack" -> {
                for (int i = 0; i < n - 1; i++) {
                    // distinct hosts in 10.0.0.0/8 and 100.64.0.0/10, ports in random ranges
                    int host = i;
                    byte[] a = i < (1 << 24) ? new byte[] {10, (byte) (host >>> 16), (byte) (host >>> 8), (byte) host}
                            : new byte[] {100, (byte) (64 + (host >>> 16 & 63)), (byte) (host >>> 8), (byte) host};
                    int lo = rnd.nextInt(60000);
                    int hi = i % 4 == 0 ? lo + rnd.nextInt(16) : lo; // mostly one port, some short ranges
                    rules.add(new FirewallRule(i, 0, action, FirewallRule.Protocol.UDP, new Prefix(4, a, 32), null,
                            true, lo, hi));
                }
                rules.add(new FirewallRule(n - 1, 0, action, FirewallRule.Protocol.UDP,
                        Prefix.parse("192.0.2.0/24"), Prefix.parse("198.51.100.0/24"), true, 50, 60));
            }
            default -> throw new IllegalArgumentException("unknown scenario " + scenario + "; known: " + SCENARIOS);
        }
        boolean drop = scenario.equals("rules") || conntrack;
        long synFlood = scenario.startsWith("syn-") ? 1 : 0; // every SYN after the first over the limit
        long bareFlood = scenario.equals("bare-drop") ? 1 : 0;
        long icmpFlood = scenario.equals("icmp-drop") ? 1 : 0;
        return new FirewallConfig(drop, false, conntrack, false, base.timeoutSynNanos(), base.timeoutEstablishedNanos(),
                base.timeoutFinNanos(), 3600 * FirewallConfig.SECOND, 0, 0, 0, 0, synFlood, synFlood, bareFlood, bareFlood, icmpFlood, icmpFlood,
                scenario.equals("syn-cookie"),
                deny, List.of(), List.of(), List.of(), rules);
    }

    /**
     * Puts the measures of a scenario into {@code p} (none for the others): n on victims in 10.0.0.0/8, half
     * port-drops, half syn-limits (a third of each kind for {@code measures-udp-*}, udp-limits the third; for
     * {@code measures-bare-*}, bare-syn-drops the third); for {@code measures-hit} the last one drops the packet (UDP from
     * 4000 to 198.51.100.1:53), for {@code measures-udp-hit} too (a udp-limit at 0/s), for {@code measures-bare-hit} the
     * SYN (a bare-syn-drop of 198.51.100.1:{@value #SYN_PORT}).
     */
    static void putMeasures(FirewallProgram p, String scenario, int n) {
        if (!scenario.startsWith("measures")) {
            return;
        }
        for (int i = 0; i < Math.min(n, MAX_MEASURES) - 1; i++) {
            java.net.InetAddress v = java.net.InetAddress.ofLiteral("10." + (i >>> 16 & 255) + "." + (i >>> 8 & 255) + "." + (i & 255));
            int kind = scenario.startsWith("measures-udp") || scenario.startsWith("measures-bare") ? i % 3 : i % 2;
            p.measures().put(kind == 0 ? Measure.portDrop(17, 1 + i % 60000, v, 0)
                    : kind == 1 ? Measure.synLimit(v, 80, 1000, 1000, 0)
                    : scenario.startsWith("measures-bare") ? Measure.bareSynDrop(v, SYN_PORT, 0) : Measure.udpLimit(v, 53, 1000, 1000, 0));
        }
        java.net.InetAddress dst = java.net.InetAddress.ofLiteral("198.51.100.1");
        p.measures().put(switch (scenario) {
            case "measures-hit" -> Measure.portDrop(17, 4000, dst, 0);
            case "measures-udp-hit" -> Measure.udpLimit(dst, 53, 0, 0, 0);
            case "measures-bare-hit" -> Measure.bareSynDrop(dst, SYN_PORT, 0);
            default -> Measure.portDrop(17, 123, dst, 0);
        });
    }

    /** The verdict the scenario's packet must get (checked before measuring). */
    static FirewallCounter expected(String scenario) {
        return switch (scenario) {
            case "deny-hit" -> FirewallCounter.DROP_DENY_LIST;
            case "rules" -> FirewallCounter.PASS_RULE;
            case "rules-drop" -> FirewallCounter.DROP_RULE;
            case "conntrack" -> FirewallCounter.PASS_CONNTRACK;
            case "measures-hit" -> FirewallCounter.DROP_MEASURE_PORT;
            case "measures-udp-hit" -> FirewallCounter.DROP_MEASURE_UDP;
            case "measures-bare-hit" -> FirewallCounter.DROP_MEASURE_BARE;
            case "syn-drop" -> FirewallCounter.DROP_SYN_GLOBAL;
            case "bare-drop" -> FirewallCounter.DROP_BARE_GLOBAL;
            case "icmp-drop" -> FirewallCounter.DROP_ICMP_GLOBAL;
            case "syn-cookie" -> FirewallCounter.SYN_COOKIE;
            default -> FirewallCounter.PASS_DEFAULT;
        };
    }

    /** One measured point. */
    public record Result(String scenario, int entries, double nsPerPacket, long prefixEntries, long ruleEntries,
                         double installSeconds) {}

    /** The row of the bare XDP_DROP measured beside the scenarios (first in {@link #measure}'s list). */
    public static final String DROP = "drop";

    /**
     * Median ns per packet over {@code runs} calls of {@code repeat} repetitions, for each scenario
     * and size; first a {@value #DROP} row: a bare XDP_DROP called with the same packet and repeat
     * right after every timed call of every scenario, the median of all those calls (so the
     * figures can be given as ratios to drop of the same run).
     */
    public static List<Result> measure(List<String> scenarios, List<Integer> sizes, int repeat, int runs) {
        if (scenarios.contains("syn-cookie")) {
            throw new IllegalArgumentException("syn-cookie is measured with --veth only: a test run's repetitions would reuse the"
                    + " frame the first one turned into its answer");
        }
        List<Result> out = new ArrayList<>();
        int biggest = sizes.stream().mapToInt(Integer::intValue).max().orElse(10);
        int cap = Integer.highestOneBit(Math.max(biggest, 1 << 16) * 2 - 1) * 8; // a limit: the tries allocate per entry
        FirewallProgram.Limits limits = new FirewallProgram.Limits(cap, cap, Math.max(biggest, 1024), 1 << 16, 1 << 16);
        try (FirewallProgram verdictProgram = FirewallProgram.load(limits, 4789, true);
             FirewallProgram program = FirewallProgram.load(limits, 4789, false);
             TestRun check = verdictProgram.program().testRun();
             TestRun run = program.program().testRun();
             DropFloor drop = new DropFloor();
             Arena arena = Arena.ofConfined()) {
            MemorySegment verdict = verdictProgram.object().variable("last_verdict");
            for (int n : sizes) {
                for (String s : scenarios) {
                    byte[] frame = frame(s);
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    if (s.equals("pass-all") && n != sizes.getFirst() || s.startsWith("measures") && n > MAX_MEASURES) {
                        continue;
                    }
                    FirewallConfig c = config(s, n, 1);
                    long t0 = System.nanoTime();
                    program.maps().install(c);
                    double install = (System.nanoTime() - t0) / 1e9;
                    verdictProgram.maps().install(c);
                    putMeasures(program, s, n);
                    putMeasures(verdictProgram, s, n);
                    check.run(pkt, frame.length);
                    check.run(pkt, frame.length); // the first creates the connection
                    FirewallCounter got = FirewallCounter.of(verdict.get(FirewallLayout.U32, FirewallLayout.VERDICT_REASON));
                    if (got != expected(s)) {
                        throw new IllegalStateException(s + " with " + n + ": verdict " + got + ", expected " + expected(s));
                    }
                    verdictProgram.maps().install(FirewallConfig.passAll()); // frees its memory
                    verdictProgram.measures().clear();
                    run.run(pkt, frame.length); // conntrack: the flow exists before timing
                    long[] ns = new long[runs];
                    for (int r = 0; r < runs; r++) {
                        run.run(pkt, frame.length, repeat);
                        ns[r] = run.durationNanos();
                        drop.time(pkt, frame.length, repeat);
                    }
                    Arrays.sort(ns);
                    out.add(new Result(s, s.equals("pass-all") ? 0 : s.startsWith("measures") ? Math.min(n, MAX_MEASURES) : n, ns[runs / 2],
                            program.maps().lists().keys().size(), program.maps().activeRuleEntries(), install));
                    program.maps().clearState();
                    program.measures().clear();
                }
            }
            program.maps().install(FirewallConfig.passAll());
            if (!out.isEmpty()) {
                out.addFirst(new Result(DROP, 0, drop.medianNanos(), 0, 0, 0));
            }
        }
        return out;
    }

    /** One end-to-end point: frames sent through the veth pair, time, frames the firewall judged. */
    public record VethResult(String scenario, int entries, long frames, long nanos, long judged) {
        public double mpps() {
            return frames * 1000.0 / nanos;
        }
    }

    /**
     * End to end: a namespace of its own with a veth pair, live frames (BPF_PROG_TEST_RUN with
     * XDP_TX, as {@code bench veth}) into the end where the firewall is attached natively, for each
     * drop scenario and size; the median of {@code runs}.
     */
    public static List<VethResult> measureVeth(List<String> scenarios, List<Integer> sizes, int frames, int runs) {
        int biggest = sizes.stream().mapToInt(Integer::intValue).max().orElse(10);
        int cap = Integer.highestOneBit(Math.max(biggest, 1 << 16) * 2 - 1) * 8;
        FirewallProgram.Limits limits = new FirewallProgram.Limits(cap, cap, Math.max(biggest, 1024), 1 << 16, 1 << 16);
        List<VethResult> out = new ArrayList<>();
        try (io.xdpml.kernel.NetworkNamespace ns = io.xdpml.kernel.NetworkNamespace.create("xdpml-fwbench")) {
            ns.createVethPair("xdpfw0", "xdpfw1");
            // the SYN scenarios: cookies always (the kernel's helper gives one only then), a listener, and the
            // generator's end receiving the answers (an XDP program of its own: veth's NAPI) to drop them
            ns.run(() -> {
                java.nio.file.Files.writeString(SynCookies.SYSCTL, "2"); // this thread's namespace: the bench's own
                int gen = io.xdpml.kernel.Interfaces.indexOf("xdpfw0");
                int rcv = io.xdpml.kernel.Interfaces.indexOf("xdpfw1");
                try (io.xdpml.kernel.BpfObject tx = io.xdpml.kernel.BpfObject.openResource("/bpf/xdp_tx.bpf.o");
                     io.xdpml.kernel.BpfObject sink = io.xdpml.kernel.BpfObject.openResource("/bpf/xdp_drop.bpf.o");
                     FirewallProgram program = FirewallProgram.load(limits, 4789, false);
                     java.net.ServerSocket listener = new java.net.ServerSocket(SYN_PORT);
                     Arena arena = Arena.ofConfined()) {
                    tx.load();
                    sink.load();
                    try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(gen, 0).withLiveFrames(64);
                         io.xdpml.kernel.XdpAttachment att = io.xdpml.kernel.XdpAttachment.attach(program.program(), rcv,
                                 io.xdpml.kernel.XdpMode.NATIVE);
                         io.xdpml.kernel.XdpAttachment sinkAtt = io.xdpml.kernel.XdpAttachment.attach(sink.program("xdpml_drop"), gen,
                                 io.xdpml.kernel.XdpMode.NATIVE)) {
                        // the receiving end answers SYN cookies for the MAC the bench's frames are sent to
                        byte[] mac = java.util.Arrays.copyOf(frame(scenarios.get(0)), 6);
                        new CookieInterfaces(program.object()::map).set(rcv, mac, mac);
                        for (int n : sizes) {
                            for (String s : scenarios) {
                                byte[] frame = frame(s);
                                MemorySegment pkt = arena.allocate(frame.length);
                                pkt.copyFrom(MemorySegment.ofArray(frame));
                                if (s.startsWith("measures") && n > MAX_MEASURES) {
                                    continue;
                                }
                                program.maps().install(config(s, n, 1));
                                program.measures().clear();
                                putMeasures(program, s, n);
                                run.run(pkt, frame.length, 100_000); // warm up
                                List<VethResult> rs = new ArrayList<>();
                                for (int r = 0; r < runs; r++) {
                                    long before = program.maps().counter(FirewallCounter.PACKETS);
                                    long t0 = System.nanoTime();
                                    run.run(pkt, frame.length, frames);
                                    long nanos = System.nanoTime() - t0;
                                    Thread.sleep(20); // what is still in the veth ring gets judged
                                    long judged = program.maps().counter(FirewallCounter.PACKETS) - before;
                                    rs.add(new VethResult(s, n, frames, nanos, judged));
                                }
                                rs.sort((x, y) -> Double.compare(x.mpps(), y.mpps()));
                                out.add(rs.get(rs.size() / 2));
                                if (program.maps().counter(expected(s)) == 0) {
                                    throw new IllegalStateException(s + ": no packet got " + expected(s));
                                }
                            }
                        }
                    }
                }
                return null;
            });
        }
        return out;
    }

    /** The scenario's packet: 64-byte UDP from 192.0.2.1:4000 to 198.51.100.1:53, for the SYN scenarios a TCP SYN, for icmp-drop an ICMP echo request. */
    static byte[] frame(String scenario) {
        FrameBuilder b = new FrameBuilder().ethernet().ipv4("192.0.2.1", "198.51.100.1");
        boolean syn = scenario.startsWith("syn-") || scenario.startsWith("measures-syn") || scenario.startsWith("measures-bare")
                || scenario.equals("bare-drop");
        if (scenario.equals("icmp-drop")) return b.icmpEcho(1, 1).padTo(64).build();
        return (syn ? b.tcp(4000, SYN_PORT, 0x02) : b.udp(4000, 53)).padTo(64).build(); // the SYN: a 20-byte header, no options
    }

    /** {scenario: {entries: ns}} for JSON output. */
    public static Map<String, Map<Integer, Double>> table(List<Result> results) {
        Map<String, Map<Integer, Double>> t = new LinkedHashMap<>();
        for (Result r : results) {
            t.computeIfAbsent(r.scenario(), k -> new LinkedHashMap<>()).put(r.entries(), r.nsPerPacket());
        }
        return t;
    }
}
