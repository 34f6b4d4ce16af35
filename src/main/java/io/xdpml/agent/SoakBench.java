package io.xdpml.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.util.TempDirectory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.GarbageCollectionNotificationInfo;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.xsk.XskCounter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * {@code xdpml bench soak}: a real agent with every stage on (blocks, firewall with conntrack and
 * rules, the flow table, the model, 1-in-N sampling to the mirror ring with the default detectors)
 * on one end of a veth pair in a namespace of its own, a generator thread sending a mix of live
 * frames flat out into the other end for a duration; every interval the heap after an explicit
 * full GC, the resident set and the counters are recorded. At the end every packet is accounted
 * for: sent = what the veth ran the program on + what it dropped, the program's packets = Σ exit
 * actions, Σ per-stage drops = XDP_DROP exits, the firewall's reasons add up, sampled = mirrored +
 * lost, and Java received what was mirrored.
 *
 * <p>The mix, per round: a burst of one new UDP flow (a new source each round) to a port the
 * firewall passes; every 4th round a burst of TCP SYNs (conntrack entries); every 8th a burst to
 * UDP port 19 (a firewall rule drops it) and one from a blocked source (the blocks stage drops it);
 * then {@value #SINGLES} single frames, each a flow of its own, so that the flow table (4,096
 * entries) churns. Bursts are large because a test-run call with repeat >= 2 has a fixed cost of
 * milliseconds (docs/machine-facts.md).
 *
 * <p>Heap after GC: {@link System#gc()} (a stop-the-world full collection unless
 * -XX:+ExplicitGCInvokesConcurrent, which is off by default), the figure taken from that
 * collection's own GC notification (the heap pools' usage after it, summed), so that what is
 * allocated between the collection and the reading does not count.
 */
public final class SoakBench {
    /** Single-frame flows per round. */
    static final int SINGLES = 256;
    private static final int BULK = 100_000;
    private static final int SMALL = 20_000;
    static final String BLOCKED_SOURCE = "203.0.113.7";

    /**
     * One interval's reading (cumulative counts).
     *
     * @param seconds     since the traffic started
     * @param heapAfterGc bytes of heap used after a full GC
     * @param gcFromNotification whether that figure came from the GC's notification (else MemoryMXBean right after)
     * @param rssKb       VmRSS
     * @param sent        frames the generator sent
     * @param packets     frames the program counted
     * @param dropped     of them XDP_DROP exits
     * @param sampled     sampled to Java
     * @param received    records Java received
     * @param flowEntries entries of the flow table now
     */
    public record Sample(double seconds, long heapAfterGc, boolean gcFromNotification, long rssKb, long sent, long packets, long dropped,
                        long sampled, long received, long flowEntries) {}

    /** One check of the verdict. */
    public record Check(String name, boolean ok, String detail) {}

    /** Every interval, the final counts, the checks. */
    public record Result(List<Sample> samples, List<Check> checks, List<String> counts, double seconds, long sent, long packets) {
        public boolean ok() {
            return checks.stream().allMatch(Check::ok);
        }

        public double mpps() {
            return packets / seconds / 1e6;
        }
    }

    private SoakBench() {}

    /** The shipped tree, copied from the jar into {@code dir} (from the source tree's models/ when run without the jar's resources). */
    private static Path shippedTree(Path dir) throws java.io.IOException {
        Path to = dir.resolve("captures-dt.json");
        try (java.io.InputStream in = SoakBench.class.getResourceAsStream("/models/captures-dt.json")) {
            if (in != null) {
                Files.copy(in, to);
            } else {
                Files.copy(Path.of("models", "captures-dt.json"), to);
            }
        }
        return to;
    }

    /**
     * Runs the soak.
     *
     * @param seconds        how long frames are sent
     * @param every          seconds between samples
     * @param baselineAt     the sample heap and RSS growth are measured from: the first at or after this many seconds
     * @param heapLimit      allowed heap growth, percent
     * @param rssLimit       allowed RSS growth, percent
     * @param model          the model file, or null for the shipped tree (captures-dt.json, a resource of the jar)
     * @param progress       a row per sample, or null
     */
    public static Result run(double seconds, double every, double baselineAt, double heapLimit, double rssLimit, Path model,
            PrintWriter progress) throws Exception {
        TempDirectory temp = TempDirectory.create("xdpml-bench-soak");
        Path dir = temp.path();
        String id = "xs" + (ProcessHandle.current().pid() % 1_000_000);
        String rx = id + "r";
        String tx = id + "t";
        Path blocksPins = BpfFs.ROOT.resolve("xdpml-bench-soak-" + id);
        // SIGTERM skips the finally below: the exit hook removes these pins then (TempDirectory the directory, AgentPins the lock file)
        BpfFs.removeOnExit(blocksPins);
        BpfFs.removeOnExit(AgentPins.dir(rx));
        Path file = dir.resolve("agent.yaml");
        if (model == null) {
            model = shippedTree(dir);
        }
        Files.writeString(file, """
                interfaces: [%s]
                blocks: {}
                firewall:
                  rules: |
                    default pass
                    conntrack on
                    deny 192.0.2.0/24
                    rule drop udp port 19
                flows:
                  max-flows: 4096
                model:
                  file: %s
                  mode: packet
                  actions: {attack: drop, benign: pass}
                sampling:
                  every: 100
                delivery:
                  to: mirror
                outputs:
                  status: 0
                """.formatted(rx, model.toAbsolutePath()));
        AgentConfig config = AgentConfigLoader.load(file);
        StringWriter agentText = new StringWriter();
        PrintWriter agentOut = new PrintWriter(agentText, true);
        List<Sample> samples = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        double[] elapsed = {0};
        long[] totals = {0, 0};
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-soak")) {
            ns.createVethPair(tx, rx);
            AgentOnThread running = AgentOnThread.start(ns, config, blocksPins, agentOut, "soak-agent-" + rx);
            Agent agent = running.agent();
            CompletableFuture<Integer> done = running.done();
            try {
                agent.processors().getFirst().mitigation().block(InetAddress.ofLiteral(BLOCKED_SOURCE), Duration.ofDays(1));
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong sent = new AtomicLong();
                CompletableFuture<Void> generated = new CompletableFuture<>();
                Thread generator = Thread.ofPlatform().name("soak-generator").daemon().start(() -> {
                    try {
                        ns.callOnThisThread(() -> {
                            generate(tx, stop, sent);
                            return null;
                        });
                        generated.complete(null);
                    } catch (Throwable t) {
                        generated.completeExceptionally(t);
                    }
                });
                long t0 = System.nanoTime();
                long period = (long) (every * 1e9);
                long end = t0 + (long) (seconds * 1e9);
                HeapAfterGc heap = new HeapAfterGc();
                try {
                    for (long next = t0 + period; ; next += period) {
                        long at = Math.min(next, end);
                        long wait = at - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        if (generated.isDone()) {
                            generated.get(); // the generator failed: say why
                        }
                        Sample s = sample(heap, (System.nanoTime() - t0) / 1e9, sent.get(), rx, agent);
                        samples.add(s);
                        if (progress != null) {
                            if (samples.size() == 1) {
                                progress.println(header());
                            }
                            progress.println(row(s, samples.size() > 1 ? samples.get(samples.size() - 2) : null));
                            progress.flush();
                        }
                        if (at >= end) {
                            break;
                        }
                    }
                } finally {
                    stop.set(true);
                    generated.get(60, TimeUnit.SECONDS);
                    generator.join();
                    elapsed[0] = (System.nanoTime() - t0) / 1e9;
                    heap.close();
                }
                settle(rx, agent);
                account(ns, rx, agent, sent.get(), checks, counts, totals);
                totals[0] = sent.get();
            } finally {
                agent.requestStop();
                done.get(30, TimeUnit.SECONDS);
            }
        } finally {
            BpfFs.removeRecursively(blocksPins);
            BpfFs.removeRecursively(AgentPins.dir(rx));
            temp.close();
        }
        growth(samples, baselineAt, heapLimit, rssLimit, checks);
        return new Result(samples, checks, counts, elapsed[0], totals[0], totals[1]);
    }

    /** The mix, round after round, until {@code stop}. */
    private static void generate(String tx, AtomicBoolean stop, AtomicLong sent) throws InterruptedException {
        try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(tx))) {
            long singles = 0;
            for (long round = 0; !stop.get(); round++) {
                int r = (int) round;
                byte[] bulk = new FrameBuilder().ethernet().ipv4("10.1." + ((r >> 8) & 0xff) + "." + (r & 0xff), "198.51.100.2")
                        .udp(1024 + r % 50_000, 5000).payload(round % 2 == 0 ? 0 : 18).build();
                g.send(bulk, BULK, 0);
                if (round % 4 == 1) {
                    byte[] syn = new FrameBuilder().ethernet().ipv4("10.3." + ((r >> 8) & 0xff) + "." + (r & 0xff), "198.51.100.3")
                            .tcp(2000 + r % 50_000, 80, 0x02).build();
                    g.send(syn, SMALL, 0);
                }
                if (round % 8 == 2) {
                    g.send(new FrameBuilder().ethernet().ipv4("10.4.0." + (r & 0xff), "198.51.100.4").udp(3000 + r % 50_000, 19).payload(18).build(),
                            SMALL, 0);
                }
                if (round % 8 == 6) {
                    g.send(new FrameBuilder().ethernet().ipv4(BLOCKED_SOURCE, "198.51.100.5").udp(4000 + r % 50_000, 53).payload(18).build(),
                            SMALL, 0);
                }
                for (int i = 0; i < SINGLES; i++, singles++) {
                    long s = singles;
                    byte[] one = new FrameBuilder().ethernet().ipv4("10.2." + ((s >> 8) & 0xff) + "." + (s & 0xff), "198.51.100.6")
                            .udp(1024 + (int) ((s >> 16) % 60_000), 6000).build();
                    g.send(one, 1, 0);
                }
                sent.set(g.sent());
            }
            sent.set(g.sent());
        }
    }

    private static Sample sample(HeapAfterGc heap, double seconds, long sent, String rx, Agent agent) {
        long[] h = heap.collect();
        long rss = rssKb();
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            AgentInfo info = o.info();
            PipelineReading r = PipelineReading.read(o::map, info.stages(), info.firewallRules());
            ProcessorStats st = agent.processors().getFirst().stats();
            return new Sample(seconds, h[0], h[1] != 0, rss, sent, r.pipeline().packets(), r.pipeline().action(1),
                    r.deliver()[XskCounter.SAMPLED.ordinal()], st.received(), r.flowEntries());
        }
    }

    /** Waits (up to 5 s) until the program's counts stop changing and Java has every mirrored record. */
    private static void settle(String rx, Agent agent) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            try (AgentPins.Opened o = AgentPins.open(rx)) {
                AgentInfo info = o.info();
                PipelineReading r = PipelineReading.read(o::map, info.stages(), info.firewallRules(), m -> 0);
                long packets = r.pipeline().packets();
                long mirrored = r.deliver()[XskCounter.MIRRORED.ordinal()];
                if (packets == last && agent.processors().getFirst().stats().received() >= mirrored) {
                    return;
                }
                last = packets;
            }
        }
    }

    private static void account(NetworkNamespace ns, String rx, Agent agent, long sent, List<Check> checks, List<String> counts,
            long[] totals) throws Exception {
        JsonNode link = new ObjectMapper().readTree(ns.exec("ip", "-j", "-s", "link", "show", "dev", rx)).get(0).path("stats64").path("rx");
        long vethRx = link.path("packets").asLong();
        long vethDropped = link.path("dropped").asLong();
        PipelineReading r;
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            AgentInfo info = o.info();
            r = PipelineReading.read(o::map, info.stages(), info.firewallRules());
        }
        ProcessorStats javaStats = agent.processors().getFirst().stats();
        PipelineCounters pc = r.pipeline();
        totals[1] = pc.packets();
        long[] d = r.deliver();
        long actions = 0;
        for (long a : pc.actions()) {
            actions += a;
        }
        long drops = 0;
        for (long x : pc.dropped()) {
            drops += x;
        }
        String stageDrops = Arrays.stream(Stage.values()).filter(s -> pc.dropped(s) != 0)
                .map(s -> s.key() + " " + String.format(Locale.ROOT, "%,d", pc.dropped(s))).collect(Collectors.joining(", "));
        String[] names = {"aborted", "drop", "pass", "tx", "redirect"};
        StringBuilder exits = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            exits.append(i == 0 ? "" : ", ").append(names[i]).append(' ').append(String.format(Locale.ROOT, "%,d", pc.action(i)));
        }
        counts.add(String.format(Locale.ROOT, "sent %,d; the veth ran the program on %,d and dropped %,d", sent, vethRx, vethDropped));
        counts.add(String.format(Locale.ROOT, "program: packets %,d; exits: %s; tail calls failed %,d", pc.packets(), exits, pc.tailCallFailed()));
        counts.add("dropped by stage: " + stageDrops);
        long[] fw = r.firewall();
        long fwPass = 0;
        long fwDrop = 0;
        StringBuilder fwReasons = new StringBuilder();
        for (FirewallCounter f : FirewallCounter.values()) {
            if (f.kind() == FirewallCounter.Kind.PASS) {
                fwPass += fw[f.id()];
            } else if (f.kind() == FirewallCounter.Kind.DROP) {
                fwDrop += fw[f.id()];
            }
            if (f != FirewallCounter.PACKETS && fw[f.id()] != 0) {
                fwReasons.append(fwReasons.isEmpty() ? "" : ", ").append(f.jsonName()).append(' ').append(String.format(Locale.ROOT, "%,d", fw[f.id()]));
            }
        }
        counts.add("firewall: " + fwReasons);
        counts.add(String.format(Locale.ROOT, "model: classified %,d; flow table: %,d flows created, %,d entries of %,d now",
                r.model().counter(io.xdpml.model.classify.ModelCounter.CLASSIFIED), r.flow()[io.xdpml.flow.FlowCounter.NEW.id()],
                r.flowEntries(), r.flowCapacity()));
        long seen = d[XskCounter.SEEN.ordinal()];
        long sampled = d[XskCounter.SAMPLED.ordinal()];
        long mirrored = d[XskCounter.MIRRORED.ordinal()];
        long ringFull = d[XskCounter.MIRROR_LOST.ordinal()];
        long capped = d[XskCounter.CAPPED.ordinal()];
        long firstCopied = d[XskCounter.FIRST_PICKED.ordinal()];
        long firstLost = d[XskCounter.FIRST_LOST.ordinal()];
        counts.add(String.format(Locale.ROOT, "sample: seen %,d, sampled %,d, mirrored %,d, ring full %,d, capped %,d; flows' first packets"
                + " copied %,d, over their rate %,d, ring full %,d; Java received %,d, counted lost %,d", seen, sampled, mirrored, ringFull,
                capped, firstCopied, d[XskCounter.FIRST_CAPPED.ordinal()], firstLost, javaStats.received(), javaStats.deliveryLost()));

        checks.add(new Check("sent = veth: run + dropped", sent == vethRx + vethDropped,
                String.format(Locale.ROOT, "%,d = %,d + %,d", sent, vethRx, vethDropped)));
        checks.add(new Check("veth run = program packets", vethRx == pc.packets(), String.format(Locale.ROOT, "%,d = %,d", vethRx, pc.packets())));
        checks.add(new Check("packets = exit actions", pc.packets() == actions && pc.tailCallFailed() == 0,
                String.format(Locale.ROOT, "%,d = %,d (tail calls failed %d)", pc.packets(), actions, pc.tailCallFailed())));
        checks.add(new Check("stage drops = XDP_DROP exits", drops == pc.action(1), String.format(Locale.ROOT, "%,d = %,d", drops, pc.action(1))));
        checks.add(new Check("firewall: in = pass + drop reasons, drops = its reasons",
                fw[FirewallCounter.PACKETS.id()] == pc.in(Stage.FIREWALL) && fwPass + fwDrop == fw[FirewallCounter.PACKETS.id()]
                        && fwDrop == pc.dropped(Stage.FIREWALL),
                String.format(Locale.ROOT, "%,d = %,d = %,d + %,d; %,d = %,d", pc.in(Stage.FIREWALL), fw[FirewallCounter.PACKETS.id()], fwPass,
                        fwDrop, fwDrop, pc.dropped(Stage.FIREWALL))));
        // what reaches the sample stage: what no stage before it dropped, and the model's drops when they are sampled too,
        // and the firewall limits' drops (this run samples by packet)
        long modelDropsSampled = r.delivery() != null && r.delivery().sampleDropped() ? pc.dropped(Stage.MODEL) : 0;
        for (FirewallCounter f : FirewallCounter.values()) {
            if (f.limitDrop() && r.delivery() != null && r.delivery().sampleDropped()) {
                modelDropsSampled += fw[f.id()];
            }
        }
        checks.add(new Check("sample: seen = its in (+ the model's and the firewall limits' drops), sampled = mirrored + ring full + capped",
                seen == pc.in(Stage.SAMPLE) + modelDropsSampled && sampled == mirrored + ringFull + capped,
                String.format(Locale.ROOT, "%,d = %,d + %,d; %,d = %,d + %,d + %,d", seen, pc.in(Stage.SAMPLE), modelDropsSampled, sampled,
                        mirrored, ringFull, capped)));
        checks.add(new Check("Java: received = mirrored (+ first packets), lost = ring full (+ first packets)",
                javaStats.received() == mirrored + firstCopied && javaStats.deliveryLost() == ringFull + firstLost,
                String.format(Locale.ROOT, "%,d = %,d + %,d; %,d = %,d + %,d", javaStats.received(), mirrored, firstCopied, javaStats.deliveryLost(),
                        ringFull, firstLost)));
        checks.add(new Check("every stage met traffic", pc.dropped(Stage.BLOCKS) > 0 && fw[FirewallCounter.DROP_RULE.id()] > 0
                && r.model().counter(io.xdpml.model.classify.ModelCounter.CLASSIFIED) > 0 && r.flow()[io.xdpml.flow.FlowCounter.NEW.id()] > r.flowCapacity()
                && mirrored > 0,
                String.format(Locale.ROOT, "blocks dropped %,d, rule drops %,d, model ran %,d, flows created %,d (table %,d), mirrored %,d",
                        pc.dropped(Stage.BLOCKS), fw[FirewallCounter.DROP_RULE.id()],
                        r.model().counter(io.xdpml.model.classify.ModelCounter.CLASSIFIED), r.flow()[io.xdpml.flow.FlowCounter.NEW.id()],
                        r.flowCapacity(), mirrored)));
    }

    private static void growth(List<Sample> samples, double baselineAt, double heapLimit, double rssLimit, List<Check> checks) {
        Sample base = samples.stream().filter(s -> s.seconds() >= baselineAt - 0.5).findFirst().orElse(samples.getLast());
        Sample last = samples.getLast();
        double heap = 100.0 * (last.heapAfterGc() - base.heapAfterGc()) / base.heapAfterGc();
        double rss = 100.0 * (last.rssKb() - base.rssKb()) / base.rssKb();
        checks.add(new Check(String.format(Locale.ROOT, "heap after GC, %.0f s -> end, grows at most %s%%", base.seconds(), trim(heapLimit)),
                heap <= heapLimit, String.format(Locale.ROOT, "%.1f -> %.1f MB: %+.1f%%", base.heapAfterGc() / 1e6, last.heapAfterGc() / 1e6, heap)));
        checks.add(new Check(String.format(Locale.ROOT, "RSS, %.0f s -> end, grows at most %s%%", base.seconds(), trim(rssLimit)), rss <= rssLimit,
                String.format(Locale.ROOT, "%.1f -> %.1f MB: %+.1f%%", base.rssKb() / 1e3, last.rssKb() / 1e3, rss)));
    }

    static String header() {
        return String.format(Locale.ROOT, "%8s %14s %10s %16s %16s %8s %14s %12s %12s %8s", "seconds", "heap after GC", "RSS", "sent", "packets",
                "Mpps", "dropped", "sampled", "Java got", "flows");
    }

    static String row(Sample s, Sample prev) {
        double mpps = prev == null ? s.packets() / s.seconds() / 1e6 : (s.packets() - prev.packets()) / (s.seconds() - prev.seconds()) / 1e6;
        return String.format(Locale.ROOT, "%8.0f %11.1f MB %7.1f MB %,16d %,16d %8.2f %,14d %,12d %,12d %8d", s.seconds(), s.heapAfterGc() / 1e6,
                s.rssKb() / 1e3, s.sent(), s.packets(), mpps, s.dropped(), s.sampled(), s.received(), s.flowEntries());
    }

    /** VmRSS of this process, kB. */
    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Heap used after an explicit full GC, from the collection's notification: the heap pools'
     * usage after it, summed. Falls back to MemoryMXBean's heap used right after System.gc() when
     * no notification with cause "System.gc()" arrives within 10 s.
     */
    static final class HeapAfterGc implements AutoCloseable {
        private final LinkedBlockingQueue<Long> after = new LinkedBlockingQueue<>();
        private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        private final List<NotificationEmitter> emitters = new ArrayList<>();
        private final NotificationListener listener = (n, hb) -> {
            if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
            if (!"System.gc()".equals(info.getGcCause())) {
                return;
            }
            long used = 0;
            for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (heapPools.contains(e.getKey())) {
                    used += e.getValue().getUsed();
                }
            }
            after.offer(used);
        };

        HeapAfterGc() {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter e) {
                    e.addNotificationListener(listener, null, null);
                    emitters.add(e);
                }
            }
        }

        /** {bytes, 1 when from the notification}. */
        long[] collect() {
            after.clear();
            System.gc();
            long fallback = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            try {
                Long used = after.poll(10, TimeUnit.SECONDS);
                return used != null ? new long[] {used, 1} : new long[] {fallback, 0};
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new long[] {fallback, 0};
            }
        }

        @Override
        public void close() {
            for (NotificationEmitter e : emitters) {
                try {
                    e.removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // gone already
                }
            }
        }
    }
}
