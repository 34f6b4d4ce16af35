package io.xdpml.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigException;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.ConfigProblem;
import io.xdpml.agent.config.InterfaceSpec;
import io.xdpml.dataplane.Stages;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.FlowWalk;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.detect.PacketObservation;
import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.CookieInterfaces;
import io.xdpml.firewall.OwnAddresses;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetBlockSync;
import io.xdpml.fleet.FleetPublisher;
import io.xdpml.firewall.Measure;
import io.xdpml.firewall.Measures;
import io.xdpml.flow.KernelFlowTable;
import io.xdpml.kernel.Interfaces;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.onnx.OnnxPacketClassifier;
import io.xdpml.processor.Delivery;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.Mitigation;
import io.xdpml.processor.ProcessorConfig;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.processor.Verdict;
import io.xdpml.xsk.XskMetadata;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;

/**
 * The long-lived agent: one composed XDP program per interface (parse, blocks, firewall, flow,
 * model, sample, deliver), the sampled packets through the detectors, detections turned into
 * blocks in XDP, a status line, and reloads of its configuration file while traffic flows.
 *
 * <p>Per interface it claims the interface (refusing when another live agent has it, removing
 * the pins a dead one left), loads and configures the program, attaches it through a BPF link
 * (the kernel detaches it when the process ends, however it ends) and pins its maps for other
 * shells ({@link AgentPins}). A reload (SIGHUP, {@code xdpml reload}, or {@link #requestReload})
 * re-reads the file, and applies only what changed, each interface's stages in one switch of the
 * configuration word ({@link InterfacePipeline#apply}); a file with any problem, or one that
 * changes what is fixed at load, is rejected whole and nothing changes.
 */
public final class Agent implements AutoCloseable {
    /** Exit code when an interface disappears under the agent. */
    public static final int EXIT_INTERFACE_GONE = 3;
    /**
     * How often the loop looks for new detections between its seconds: a detector that reports
     * before its window closes is acted on within this (the rest of the loop's work is every second).
     */
    public static final long POLL_NANOS = 100_000_000L;

    /** What the command line adds to the file. */
    public record Extras(double durationSeconds, boolean quietStatus, Path onnx, List<String> onnxFlag, float onnxMinScore,
                         Path capture, int captureLimit, int[] cpus, boolean hugePages, Path blocksPinDir) {
        public static Extras none() {
            return new Extras(0, false, null, List.of(), 0, null, 1000, new int[0], false, Mitigation.DEFAULT_PIN_DIR);
        }

        public Extras withDuration(double seconds) {
            return new Extras(seconds, quietStatus, onnx, onnxFlag, onnxMinScore, capture, captureLimit, cpus, hugePages, blocksPinDir);
        }

        public Extras withQuietStatus(boolean q) {
            return new Extras(durationSeconds, q, onnx, onnxFlag, onnxMinScore, capture, captureLimit, cpus, hugePages, blocksPinDir);
        }
    }

    /** One interface: its pipeline, the processor that loaded and attached it, its status line. */
    private record Member(String iface, int ifindex, InterfacePipeline pipeline, MlPacketProcessor processor, StatusLine status,
                          OnnxPacketClassifier classifier, FlaggedFlows flagged, FirewallMeasures measures, OwnAddresses own,
                          DeliveryShare share) {}

    /**
     * How many packets of the traffic a delivered packet stands for ({@link PacketObservation#weight()}):
     * 0 when it was copied besides the sample as the first packet of its direction of its flow (it stands for no other);
     * 1 when the model sent it to Java (not sampled) or its metadata is missing (never over-counted),
     * else what the running configuration's sampling makes it; either times the interface's
     * {@link DeliveryShare} (what the rate cap and a full ring held back).
     */
    private int weight(XskMetadata m, DeliveryShare share) {
        boolean meta = m != null && m.present();
        if (meta && m.firstPick()) {
            return 0;
        }
        return share.weigh(meta && !m.toJavaByModel() ? config.sampling().weight() : 1);
    }

    /** Each interface's delivery share from its program's counters (two per-CPU arrays read). */
    private void updateShares() {
        for (Member m : members) {
            io.xdpml.kernel.BpfObject o = m.processor().program().object();
            m.share().update(o.map("xdpml_xsk_counters").sumPerCpuLongs(0),
                    io.xdpml.dataplane.PipelineCounters.of(o.map("xdpml_pipeline_stats").sumPerCpuLongs(0)).toJavaForced(),
                    m.processor().socketsLost());
        }
    }

    /** The detectors, swapped whole when a reload changes them. */
    private static final class Detecting {
        final DetectorSet set;
        final ObservationBuilder observations;
        final NewDetections news;

        Detecting(AgentConfig c) {
            set = new DetectorSet(c.detectors().create());
            observations = new ObservationBuilder(set.needsFlows(), c.parse().vxlanPort()); // as the kernel parses
            news = new NewDetections(set);
        }
    }

    /**
     * What a program that embeds the agent (the demo) learns of its work besides its output lines:
     * every packet handed to Java (after the detectors saw it; on the receiving thread, one packet
     * at a time), every new detection, every source it blocks and every measure it installs (on the
     * agent's loop). The default does nothing.
     */
    public interface Observer {
        default void packet(String iface, io.xdpml.processor.PacketView view) {}

        default void detected(Detection detection) {}

        default void blocked(String source, String detector) {}

        default void measured(Measure measure, Detection detection) {}
    }

    private volatile Observer observer = new Observer() {};
    private final PrintWriter out;
    private final Extras extras;
    private final UnaryOperator<AgentConfig> overrides;
    private final boolean fromFile;
    private final List<Member> members = new ArrayList<>();
    private final Map<String, Long> blocked = new LinkedHashMap<>();
    /**
     * For each of {@link #blocked}: the expiry of the shorter block its detection replaced in each
     * interface's blocks (the operator's, the fleet's), which a tombstone gives back (FleetTarget).
     */
    private final Map<String, Map<Mitigation, Long>> replacedBlocks = new java.util.HashMap<>();
    /**
     * For each of {@link #blocked}: the record this agent published of its block (publish-blocks);
     * only a tombstone that answers it, read back from the topic, takes the block back (FleetTarget).
     */
    private final Map<InetAddress, FleetBlock> publishedBlocks = new java.util.HashMap<>();
    /** The hits of the measures this agent put in, at the last look (renewMeasuresStillHit; the loop thread's). */
    private final Map<String, Long> measureHits = new java.util.HashMap<>();
    /** The hits of the kernel's blocks of {@link #blocked} sources at the last look (renewBlocksStillHit). */
    private final Map<String, Long> blockHits = new java.util.HashMap<>();
    /** Sources of {@link #blocked} whose renewal found a longer block in force, said once (renewBlocksStillHit). */
    private final java.util.Set<String> renewedBeneath = new java.util.HashSet<>();
    /** Sources a detection named that NeverBlock spares: until when that was said. */
    private final Map<String, Long> spared = new LinkedHashMap<>();
    private final Object blockedLock = new Object();
    private final AtomicBoolean reloadRequested = new AtomicBoolean();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final ObjectMapper json = new ObjectMapper();
    private final long startedNanos = System.nanoTime();
    private final OnnxModel onnxModel;
    private final AgentMetrics metrics; // outputs.metrics: the /metrics endpoint, or null
    private volatile Thread loopThread;
    private volatile AgentConfig config;
    private volatile Detecting detecting;
    private BufferedWriter jsonLines;
    private AgentOutputs outputs;
    private FlowExport flowExport;
    private final RunningClasses classes = new RunningClasses(); // what the outputs name a model's classes by
    private FleetBlockSync fleetBlocks;
    private long detectionsTotal;
    private int reloads;
    private int rejected;
    private volatile AgentMetrics.Reloads reloadCounts = new AgentMetrics.Reloads(0, 0); // both at once, for /metrics

    /**
     * Opens every interface of {@code config}: claims it, loads, configures and attaches its
     * program, pins its maps. On any failure what was opened is closed again.
     *
     * @param overrides what command line flags change in the file (applied again on every reload)
     * @param fromFile  whether {@code config} came from a file that a reload can re-read
     */
    public Agent(AgentConfig config, UnaryOperator<AgentConfig> overrides, boolean fromFile, Extras extras, PrintWriter out)
            throws IOException {
        this.config = config;
        this.overrides = overrides;
        this.fromFile = fromFile;
        this.extras = extras;
        this.out = out;
        this.detecting = new Detecting(config);
        try {
            this.metrics = AgentMetrics.start(config, this::config, () -> reloadCounts, this::detectorTables); // its port first: in use, nothing is attached
            this.observer = AgentMetrics.both(metrics, observer);
            this.onnxModel = extras.onnx() == null ? null : OnnxModel.load(extras.onnx());
            openOutputs(config);
            outputs = AgentOutputs.open(config, classes); // files and sockets first: a bad one fails before anything is attached
            for (InterfaceSpec spec : config.interfaces()) {
                members.add(open(spec.name()));
            }
            refreshClasses();
            // each program is new, its request word 0: a request from the moment it is pinned is answered by run()
            reloadRequestsSeen = new long[members.size()];
            if (config.flows().enabled() && outputs.wantsFlows()) {
                List<FlowExport.Source> sources = new ArrayList<>();
                for (Member m : members) {
                    sources.add(FlowExport.Source.of(m.iface(), m.processor().program().object(), outputs.flowsOf(m.iface()),
                            config.flows().idleTimeout().toNanos()));
                }
                flowExport = new FlowExport(sources, out, outputs::flush);
            }
            outputs.notes().forEach(this::say);
            var k = outputs.kafkaConfig();
            if (k != null && k.applyBlocks()) {
                // started here, on the caller's thread: its network namespace is the consumer's
                fleetBlocks = new FleetBlockSync(k.bootstrap(), k.properties(), "xdpml-" + k.host() + "-blocks", k.blocksTopic(), k.createTopics(),
                        new FleetTarget(() -> members.stream().map(m -> new FleetTarget.Maps(m.processor().mitigation(), m.measures())).toList(),
                                () -> NeverBlock.of(this.config, true), this::ownBlock, this::ownRecord), this::say).start(); // the running config's, reloads too
            }
            writeInfo();
            if (metrics != null) {
                for (Member m : members) {
                    metrics.add(m.iface(), m.processor(), m.share()); // /metrics reads them from now on
                }
                metrics.outputs(outputs);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Member open(String iface) throws IOException {
        int ifindex = Interfaces.indexOf(iface);
        String stale = AgentPins.claim(iface);
        if (stale != null) {
            say(iface + ": " + stale);
        }
        try {
            return openClaimed(iface, ifindex);
        } catch (IOException | RuntimeException e) {
            AgentPins.remove(iface); // what it pinned, and the claim: the interface is free again
            throw e;
        }
    }

    private Member openClaimed(String iface, int ifindex) throws IOException {
        InterfacePipeline pipeline = new InterfacePipeline(iface, config);
        AgentConfig c = config;
        int sampleN = InterfacePipeline.deliveryValues(c).sampleN();
        ProcessorConfig pc = ProcessorConfig.forInterface(iface).withDataPlane(pipeline).withDelivery(c.delivery().to())
                .withQueues(c.delivery().queues().stream().mapToInt(Integer::intValue).toArray()).withSampling(sampleN)
                .withBlocksPin(extras.blocksPinDir().resolve(iface)).withCpus(extras.cpus()).withHugePages(extras.hugePages());
        pc = onnxModel != null ? pc : pc.withFlowTracking(false, 1, 1);
        if (extras.capture() != null) {
            pc = pc.withCapture(extras.capture(), extras.captureLimit());
        }
        OnnxPacketClassifier classifier = onnxModel == null ? null
                : OnnxPacketClassifier.flagging(onnxModel, flaggedClasses()).withMinScore(extras.onnxMinScore());
        FlaggedFlows flagged = new FlaggedFlows(config.mitigation().block().toSeconds());
        DeliveryShare share = new DeliveryShare();
        MlPacketProcessor p = MlPacketProcessor.open(pc, view -> {
            // the detectors keep state across queues and interfaces: one packet at a time
            synchronized (this) {
                Detecting d = detecting;
                PacketObservation o = d.observations.observe(view.memory(), view.offset(), view.length(), view.wireLength(), view.timestampNanos(),
                        weight(view.metadata(), share));
                synchronized (d.set) { // the lock NewDetections reads the set under, from the agent's loop
                    d.set.observe(o);
                }
                observer.packet(iface, view);
                if (classifier == null) {
                    return Verdict.NORMAL;
                }
                Verdict v = classifier.onPacket(view);
                if (v.flagged()) {
                    flagged.add(o, view, v);
                }
                return v;
            }
        });
        FirewallMeasures measures = null;
        OwnAddresses own = null;
        try {
            AgentPins.pin(p.program().object(), iface);
            if (pipeline.stages().firewall()) {
                warnAboutRules(iface, config);
                measures = new FirewallMeasures(p.program().object()::map);
                measures.pin(extras.blocksPinDir().resolve(iface)); // beside the blocks, for 'xdpml blocks'
                CookieInterfaces macs = new CookieInterfaces(p.program().object()::map);
                cookieInterfaces.put(iface, macs);
                keepMacs(iface, ifindex, macs);
                if (!isLoopback(iface)) { // on lo, this host's own packets do arrive
                    own = new OwnAddresses(p.program().object()::map);
                    keepOwn(iface, own);
                    if (config.firewall().rules().conntrack()) {
                        say(iface + ": firewall: conntrack opens nothing for a packet from one of this host's " + own.size()
                                + " own and broadcast addresses or a multicast source (forged: drop_own_source), nor passes one that is"
                                + " not TCP or UDP (ICMP), kept current every second");
                    } else {
                        say(iface + ": firewall: a packet that is not TCP or UDP (ICMP) from one of this host's " + own.size()
                                + " own and broadcast addresses or a multicast source is dropped (forged: drop_own_source), kept"
                                + " current every second");
                    }
                }
            } else if (config.mitigation().measures()) {
                say(iface + ": mitigation.measures needs the firewall stage (firewall measures); without it only sources are blocked");
            }
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return new Member(iface, ifindex, pipeline, p, new StatusLine(p), classifier, flagged, measures, own, share);
    }

    private String[] flaggedClasses() {
        if (!extras.onnxFlag().isEmpty()) {
            return extras.onnxFlag().toArray(String[]::new);
        }
        List<String> rest = onnxModel.classes().stream()
                .filter(c -> !c.equalsIgnoreCase("benign") && !c.equalsIgnoreCase("normal")).toList();
        if (rest.size() == onnxModel.classes().size()) {
            throw new IllegalArgumentException("no class of " + extras.onnx() + " is named benign or normal: say which flag with"
                    + " --onnx-flag (classes: " + onnxModel.classes() + ")");
        }
        return rest.toArray(String[]::new);
    }

    private void openOutputs(AgentConfig c) throws IOException {
        closeQuietly(jsonLines);
        jsonLines = c.outputs().json() != null ? openJson(c) : null;
    }

    private static BufferedWriter openJson(AgentConfig c) throws IOException {
        return Files.newBufferedWriter(c.outputs().json(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    private static void closeQuietly(BufferedWriter w) {
        if (w == null) {
            return;
        }
        try {
            w.close();
        } catch (IOException e) {
            // what it held is flushed after every line
        }
    }

    private void writeInfo() {
        AgentConfig c = config;
        int rules = c.firewall().enabled() ? c.firewall().rules().rules().size() : 0;
        int classes = c.model().enabled() ? c.model().model().classes().size() : 0;
        for (Member m : members) {
            Stages s = m.pipeline().stages();
            // where the frames redirected to AF_XDP carry their metadata (status, /metrics); none when nothing goes to a socket
            io.xdpml.xsk.MetadataLayout metadata = s.delivers() && !s.mirror() ? m.processor().program().metadataLayout() : null;
            new AgentInfo((int) ProcessHandle.current().pid(), s.bits(), startedNanos, reloads, rejected, rules, classes,
                    c.flows().enabled() && c.flows().coarseClock(), metadata, fromFile ? c.file() : null)
                    .write(m.processor().program().object().map(AgentPins.INFO));
        }
    }

    public AgentConfig config() { return config; }

    /** Tells {@code o} what the agent does from now on (see {@link Observer}); set it before {@link #run}. */
    public void observe(Observer o) {
        observer = AgentMetrics.both(metrics, java.util.Objects.requireNonNull(o));
    }

    /** The interfaces' processors, in the configuration's order (for tests and status). */
    public List<MlPacketProcessor> processors() {
        return members.stream().map(Member::processor).toList();
    }

    /** Asks the running loop to re-read the file (what SIGHUP does). */
    public void requestReload() {
        reloadRequested.set(true);
        Thread t = loopThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Asks the running loop to stop. */
    public void requestStop() {
        stopRequested.set(true);
        Thread t = loopThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Prints the start line of each interface. */
    private void announce() {
        AgentConfig c = config;
        for (Member m : members) {
            say(String.format("running on %s: %s; %s, %s, %s s windows%s", m.iface(), m.pipeline().stages(),
                    c.delivery().to() == Delivery.MIRROR ? "mirror ring, packets passed on" : "AF_XDP " + m.processor().socketMode() + " mode",
                    c.detectors().enabled().isEmpty() ? "no detectors" : "detectors " + String.join(",", c.detectors().enabled()),
                    trim(c.detectors().window().toMillis() / 1000.0),
                    c.mitigation().block().isZero() ? "" : ", blocking named sources for " + c.mitigation().block().toSeconds() + " s"));
        }
        if (members.stream().anyMatch(m -> m.processor().program().metadataLayout() == io.xdpml.xsk.MetadataLayout.IN_FRAME)) {
            say(io.xdpml.kernel.XdpFeatures.ADJUST_META_REFUSED); // once: the kernel's, not an interface's (docs/kernel.md)
        }
        if (onnxModel != null) {
            say("ONNX model " + extras.onnx() + ": flags " + String.join(",", flaggedClasses())
                    + (extras.onnxMinScore() > 0 ? " at score >= " + extras.onnxMinScore() : ""));
        }
    }

    /**
     * Runs until {@link #requestStop}, the duration, or an interface disappears; reloads when asked.
     *
     * @return 0, or {@link #EXIT_INTERFACE_GONE}
     */
    public int run() throws Exception {
        loopThread = Thread.currentThread();
        announce();
        for (Member m : members) {
            m.processor().start();
        }
        if (flowExport != null) {
            flowExport.start();
        }
        long start = System.nanoTime();
        long end = extras.durationSeconds() > 0 ? start + (long) (extras.durationSeconds() * 1e9) : Long.MAX_VALUE;
        long tick = 1_000_000_000L;
        long nextReport = start + tick;
        long nextPoll = start + POLL_NANOS;
        long statusEvery = config.outputs().status().toNanos();
        long nextStatus = statusEvery > 0 ? start + statusEvery : Long.MAX_VALUE;
        int exit = 0;
        while (!stopRequested.get() && System.nanoTime() < end) {
            LockSupport.parkNanos(Math.max(1, Math.min(Math.min(nextPoll, nextReport), end) - System.nanoTime()));
            if (reloadRequested.getAndSet(false) | askedToReload()) {
                reload();
                refreshClasses(); // the flows reported from now on are named by the classes that run
                outputs.reopen(this::say); // the EVE file by its name again (logrotate's create, then SIGHUP)
                statusEvery = config.outputs().status().toNanos();
                nextStatus = statusEvery > 0 ? System.nanoTime() + statusEvery : Long.MAX_VALUE;
            }
            long now = System.nanoTime();
            if (!stopRequested.get() && now >= nextPoll && now < Math.min(nextReport, end)) {
                // between the seconds: new detections acted on at once (the detectors may report before their window closes)
                nextPoll = now + POLL_NANOS;
                updateShares();
                census(detecting, true);
                actOnNew(false);
                continue;
            }
            if (stopRequested.get() || now < Math.min(nextReport, end)) {
                continue; // woken early: a reload, a stop, or spuriously
            }
            nextReport += tick;
            nextPoll = now + POLL_NANOS;
            String gone = goneInterface();
            if (gone != null) {
                say("interface " + gone + " is gone (deleted or renamed): its program went with it. Stopping: every other"
                        + " interface is detached, every pin removed.");
                exit = EXIT_INTERFACE_GONE;
                break;
            }
            updateShares();
            refreshOwnAddresses();
            refreshClasses();
            report(false);
            writeKafkaStatus();
            if (flowExport != null && flowExport.failure() != null) {
                throw new IllegalStateException("flow export failed: " + flowExport.failure(), flowExport.failure());
            }
            for (Member m : members) {
                if (m.classifier() != null) {
                    m.flagged().report(out, m.processor(), config.mitigation().block().toSeconds());
                }
                Throwable failed = m.processor().failure();
                if (failed != null) {
                    throw new IllegalStateException(m.iface() + ": receive thread failed: " + failed, failed);
                }
            }
            for (Member m : members) {
                m.status().sample(); // every second, lines or not: the summary tells the start from the rest
            }
            if (!extras.quietStatus() && now >= nextStatus) {
                nextStatus += statusEvery;
                for (Member m : members) {
                    out.println((members.size() > 1 ? m.iface() + " " : "") + m.status().next());
                }
                out.flush();
            }
        }
        for (Member m : members) {
            m.processor().stop();
        }
        report(true);
        closeFlowExport(); // every flow still in the tables reported, while the programs are still attached
        if (outputs.kafka() != null) {
            outputs.kafka().awaitDelivered(Duration.ofSeconds(5)); // for the summary's counts
        }
        summary();
        return exit;
    }

    private void closeFlowExport() {
        if (flowExport != null) {
            FlowExport e = flowExport;
            flowExport = null;
            if (e.stopped()) {
                outputs.flush();
            } else {
                outputsStuck = true; // its thread holds them (a hung disk): flushing or closing them would hang the stop too
            }
        }
    }

    /** The flow export's thread did not stop: the outputs it writes are left to it. */
    private boolean outputsStuck;

    private String goneInterface() {
        for (Member m : members) {
            if (Interfaces.indexOrZero(m.iface()) != m.ifindex()) {
                return m.iface();
            }
        }
        return null;
    }

    /** Whether another shell asked for a reload through any interface's pins since the last look (ReloadRequests). */
    private boolean askedToReload() {
        boolean asked = false;
        for (int i = 0; i < members.size(); i++) {
            long n = ReloadRequests.read(members.get(i).processor().program().object().map(ReloadRequests.MAP));
            asked |= n != reloadRequestsSeen[i];
            reloadRequestsSeen[i] = n;
        }
        return asked;
    }

    /** The reload requests of each member's pins at the last look (the loop thread's). */
    private long[] reloadRequestsSeen = new long[0];

    /** The capped tables' counts of detectors a reload replaced, per detector: /metrics' counters go on from them. */
    private final java.util.Map<String, long[]> retiredTables = new java.util.HashMap<>();

    private void retireTables(DetectorSet set) {
        synchronized (retiredTables) {
            set.tableCounts().forEach((d, n) -> retiredTables.merge(d, n, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
        }
    }

    /** Per detector: {untracked, evicted} since the start, replaced detectors included (for /metrics). */
    java.util.Map<String, long[]> detectorTables() {
        Map<String, long[]> all = new java.util.TreeMap<>(detecting.set.tableCounts());
        synchronized (retiredTables) {
            retiredTables.forEach((d, n) -> all.merge(d, n, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
        }
        return all;
    }

    /** The CPUs the running program's spread has (none when off): a reload may name them while offline. */
    private static java.util.Set<Integer> runningCpus(AgentConfig running) {
        return running.cpumap().enabled() ? java.util.Set.copyOf(running.cpumap().spread().cpus()) : java.util.Set.of();
    }

    /**
     * Re-reads the file and applies what changed, or rejects it whole. Runs on the loop's thread.
     *
     * @return whether the new configuration is in force
     */
    boolean reload() {
        if (!fromFile) {
            say("reload: started without --config, there is no file to re-read; nothing changed");
            return countReload(false);
        }
        AgentConfig running = config;
        AgentConfig next;
        try {
            next = overrides.apply(AgentConfigLoader.load(running.file(), runningCpus(running)));
        } catch (AgentConfigException e) {
            say("reload rejected: " + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s")
                    + " in the configuration; nothing changed");
            for (ConfigProblem p : e.problems()) {
                say("  " + p);
            }
            return countReload(false);
        } catch (RuntimeException e) {
            say("reload rejected: " + e.getMessage() + "; nothing changed");
            return countReload(false);
        }
        String restart = InterfacePipeline.restartNeeded(running, next);
        if (restart != null) {
            say("reload rejected: " + restart + ": that needs a restart of the agent; nothing changed");
            return countReload(false);
        }
        InterfacePipeline.Change change = InterfacePipeline.Change.between(running, next);
        // the detections file is opened (again, by its name: logrotate's create then SIGHUP) before anything switches: a
        // new one that cannot be opened rejects the reload whole; the same one that cannot be opened again is written on
        boolean sameJson = java.util.Objects.equals(running.outputs().json(), next.outputs().json());
        boolean newJson = next.outputs().json() != null || !sameJson;
        BufferedWriter json = null;
        if (next.outputs().json() != null) {
            try {
                json = openJson(next);
            } catch (IOException e) {
                if (!sameJson) {
                    say("reload rejected: cannot open outputs.json " + next.outputs().json() + ": " + e.getMessage() + "; nothing changed");
                    return countReload(false);
                }
                say("outputs.json: cannot open " + next.outputs().json() + " again (" + e.getMessage() + "); writing on to the file open before");
                newJson = false;
            }
        }
        // the new detectors are built before anything switches too: one that cannot be built rejects the reload whole
        Detecting nextDetecting = null;
        if (change.detectors()) {
            try {
                nextDetecting = new Detecting(next);
            } catch (RuntimeException e) {
                closeQuietly(json);
                say("reload rejected: detectors: " + e.getMessage() + "; nothing changed");
                return countReload(false);
            }
        }
        List<Member> done = new ArrayList<>();
        boolean outside = false;
        try {
            for (Member m : members) {
                // `xdpml fw load` or `xdpml deploy` switched an interface since: the file's settings go back there
                outside |= m.pipeline().apply(next, change, true);
                done.add(m);
            }
        } catch (RuntimeException e) {
            for (Member m : done) { // put the interfaces that took it back on the running configuration (a switch more)
                try {
                    m.pipeline().apply(running, change, true);
                } catch (RuntimeException back) {
                    m.pipeline().forgetInstalled(); // the next reload installs everything there anew
                    say(m.iface() + ": cannot put the running configuration back (" + back.getMessage() + "): it may run the new file's"
                            + " firewall, model and delivery settings; the next reload installs them anew, or restart the agent");
                }
            }
            closeQuietly(json);
            say("reload rejected: " + e.getMessage() + "; nothing changed");
            return countReload(false);
        }
        if (change.detectors()) {
            synchronized (this) {
                try {
                    report(true); // what the old detectors found first
                } catch (IOException e) {
                    say("writing detections: " + e.getMessage());
                }
                retireTables(detecting.set);
                detecting = nextDetecting;
            }
        }
        if (newJson) {
            synchronized (this) {
                closeQuietly(jsonLines);
                jsonLines = json;
            }
        }
        config = next;
        if (change.firewall()) {
            for (Member m : members) {
                if (m.pipeline().stages().firewall()) {
                    warnAboutRules(m.iface(), next);
                }
            }
        }
        countReload(true);
        int generation = members.isEmpty() ? 0 : members.get(0).pipeline().word().generation();
        String what = change.any() ? "changed " + String.join(", ", change.names()) : "nothing changed";
        if (outside) {
            what += (change.any() ? "; " : ", but ") + "the firewall, the model and delivery put back over another writer's (xdpml fw load or deploy)";
        }
        say("reloaded " + next.file() + " (generation " + generation + "): " + what);
        String offline = next.cpumap().offlineCpus();
        if (offline != null) {
            say("cpumap: CPU " + offline + " of the running spread is offline now; the program keeps it in the spread");
        }
        return true;
    }

    /** What in the firewall's rules will surprise: SYN cookies the host cannot answer, VXLAN tunnels all dropped. */
    private void warnAboutRules(String iface, AgentConfig c) {
        String cookies = c.firewall().rules().synCookies() ? io.xdpml.firewall.SynCookies.hostProblem() : null;
        if (cookies != null) {
            say(iface + ": firewall syn-cookies: " + cookies);
        }
        int vxlan = c.parse().vxlanPort();
        if (vxlan != 0 && !c.firewall().rules().passesSomeUdpTo(vxlan)) {
            say(iface + ": firewall: the policy passes no UDP to the VXLAN port " + vxlan + ", so every VXLAN tunnel is dropped"
                    + " (drop_tunnel): pass its underlay peers ('rule pass udp from PREFIX port " + vxlan + "'), or set parse.vxlan-port: 0"
                    + " if this host terminates no VXLAN");
        }
    }

    private boolean countReload(boolean ok) {
        reloads++;
        if (!ok) {
            rejected++;
        }
        reloadCounts = new AgentMetrics.Reloads(reloads, rejected);
        writeInfo();
        return ok;
    }

    /**
     * The detectors' packet time goes on with the clock, a poll behind (a packet stamped before it may
     * still be on its way to them): windows that ended are evaluated though no packet came, so that a
     * short scan on a quiet link is acted on at its window's end, not at the next delivered packet.
     */
    private void advance(Detecting d) {
        long now = members.getFirst().processor().packetClockNanos() - POLL_NANOS;
        synchronized (this) { // the lock order of the packet callback
            synchronized (d.set) {
                d.set.advance(now);
            }
        }
    }

    /**
     * The kernel flow tables' live flows to the detectors that read them (slowconn: which connections
     * are open, which the packets sampled to Java cannot tell), when due: every interface's table in
     * one census, on the kernel's clock (CLOSING, first and last times: bpf_ktime_get_ns, the
     * monotonic clock System.nanoTime reads). Under the packet callback's locks: the walk reads the
     * table in batches (docs/flows.md, "The sweep"). Not measured for the census; copying a full table
     * of 65,536 flows out in batches took 75 ms of wall time for the metrics' count (BENCHMARKS.md,
     * "Prometheus /metrics"), so the packets to Java may wait about that long every 2 s. At the second's
     * tick when due ({@code askedOnly} false); at a poll between ({@code askedOnly}) only when a detector
     * asked for one sooner ({@link io.xdpml.detect.Detector#censusSoon}, at most every
     * {@link DetectorSet#SOON_NANOS}).
     */
    private void census(Detecting d, boolean askedOnly) {
        long now = members.getFirst().processor().packetClockNanos();
        if (!config.flows().enabled() || !(askedOnly ? d.set.censusAsked(now) : d.set.censusDue(now))) {
            return;
        }
        FlowWalk walk = each -> {
            for (Member m : members) {
                KernelFlowTable.forEach(m.processor().program().object().map("xdpml_flows"), each);
            }
        };
        synchronized (this) { // the lock order of the packet callback
            synchronized (d.set) {
                d.set.census(now, System.nanoTime(), walk);
            }
        }
    }

    /** Prints detections not reported yet and acts on them: blocks their sources, puts in their measures. */
    private Detecting actOnNew(boolean finish) throws IOException {
        Detecting d = detecting;
        advance(d);
        List<Detection> fresh = new ArrayList<>();
        d.news.poll(finish, fresh::add);
        long blockSeconds = config.mitigation().block().toSeconds();
        for (Detection det : fresh) {
            detectionsTotal++;
            observer.detected(det);
            say("DETECTED " + det.toLine());
            if (jsonLines != null) {
                ObjectNode o = json.createObjectNode();
                o.put("time_ns", det.timeNanos()).put("detector", det.detector()).put("subject", det.subject()).put("score", det.score())
                        .put("count", det.count());
                o.putPOJO("reasons", det.reasons());
                o.putPOJO("sources", det.sources());
                if (det.target() != null) {
                    o.putObject("target").put("victim", det.target().victim().getHostAddress()).put("protocol", det.target().protocol())
                            .put("source_port", det.target().sourcePort()).put("destination_port", det.target().destinationPort())
                            .put("bare_syns", det.target().bareSyns());
                }
                jsonLines.write(json.writeValueAsString(o));
                jsonLines.newLine();
                jsonLines.flush();
            }
            // each alert line says what was done to its source (a spared one is not blocked: until 2026-12-05 every line said blocked)
            java.util.Set<String> blockedNow = new java.util.HashSet<>();
            if (blockSeconds > 0) {
                for (String source : det.sources()) {
                    if (block(source, det.detector(), det.reasons(), blockSeconds)) {
                        blockedNow.add(source);
                    }
                }
            }
            outputs.alert(det, measure(det), blockedNow);
        }
        return d;
    }

    /**
     * Detections reported after this time are still going on (two windows and a second): on the
     * packet clock, as the detections' times are (not the wall clock, which may step).
     */
    private long recentSince() {
        return members.getFirst().processor().packetClockNanos() - 2 * config.detectors().window().toNanos() - 1_000_000_000L;
    }

    /**
     * Prints (and blocks the sources of) detections not reported yet, then renews what detections
     * still going on call for and sweeps what expired: every second.
     */
    private void report(boolean finish) throws IOException {
        census(detecting, false);
        Detecting d = actOnNew(finish);
        long blockSeconds = config.mitigation().block().toSeconds();
        if (blockSeconds > 0) {
            // detections still going on: sources merged into them later, and sources whose block expired while they go on
            long since = recentSince();
            for (Detection det : d.news.recent(since)) {
                for (String source : det.sources()) {
                    block(source, det.detector(), det.reasons(), blockSeconds);
                }
            }
            renewBlocksStillHit(blockSeconds);
        }
        if (config.mitigation().measures()) {
            // re-armed while the attack lasts: a detection still going on renews its measures' expiry
            long since = recentSince();
            for (Detection det : d.news.recent(since)) {
                measure(det);
            }
            renewMeasuresStillHit();
        }
        for (Member m : members) {
            m.processor().mitigation().sweep();
            if (m.measures() != null) {
                m.measures().sweep();
            }
        }
        // what no renewal can ask for any more: kept a minute past it (an agent runs for days)
        synchronized (this) { // the lock order of the packet callback
            d.news.forgetBefore(recentSince() - RETAIN_NANOS);
        }
    }

    /**
     * Keeps each firewall's own addresses (OwnAddresses) those of this host now: every second, as
     * addresses come and go (DHCP, SLAAC). A failure to list them is said once and keeps the last.
     */
    private void refreshOwnAddresses() {
        for (Member m : members) {
            if (m.own() != null) {
                keepOwn(m.iface(), m.own());
            }
            CookieInterfaces macs = m.measures() == null ? null : cookieInterfaces.get(m.iface());
            if (macs != null) {
                keepMacs(m.iface(), m.ifindex(), macs);
            }
        }
    }

    /**
     * Sets the MACs SYN cookies answer on {@code iface} to its MACs now (CookieInterfaces): at
     * attach and every second, so a changed MAC is answered within a second. A failure is said once.
     */
    private void keepMacs(String iface, int ifindex, CookieInterfaces macs) {
        String failed = null;
        try {
            macs.keep(iface, ifindex);
        } catch (RuntimeException e) {
            failed = e.getMessage() + " (SYN cookies answer the MACs read before, if any)";
        }
        if (failed != null && !failed.equals(macsFailures.get(iface))) {
            say(iface + ": syn-cookies: " + failed);
        }
        if (failed == null) {
            macsFailures.remove(iface);
        } else {
            macsFailures.put(iface, failed);
        }
    }

    /**
     * Sets {@code own} to what cannot be a true source on {@code iface} now. A failure (the
     * addresses cannot be listed; more than the map holds: then it is emptied, the check off) is
     * said once and never stops the agent.
     */
    private void keepOwn(String iface, OwnAddresses own) {
        String failed = null;
        try {
            own.set(OwnAddresses.ofThisHost(iface), OwnAddresses.destinationsOfThisHost(iface));
        } catch (IllegalArgumentException e) { // too many
            own.set(List.of());
            failed = e.getMessage() + ": the check is off; list this host's addresses in the firewall's deny src";
        } catch (RuntimeException e) {
            failed = e.getMessage() + " (the last ones stay)";
        }
        if (failed != null && !failed.equals(ownFailure)) {
            say(iface + ": own addresses: " + failed);
        }
        ownFailure = failed;
    }

    /** The class names each interface runs now (a reload's, a deploy's): every second, and after a reload. */
    private void refreshClasses() {
        for (Member m : members) {
            classes.refresh(m.iface(), config);
        }
    }

    /** The last failure of keepOwn, said once. */
    private String ownFailure;
    /** The last failure to read each interface's MACs, so that each is said once (per interface: one failing, one not, must not alternate). */
    private final java.util.Map<String, String> macsFailures = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each firewall's MACs for SYN cookies, by interface (the member's program's map). */
    private final java.util.Map<String, CookieInterfaces> cookieInterfaces = new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean isLoopback(String iface) {
        try {
            java.net.NetworkInterface n = java.net.NetworkInterface.getByName(iface);
            return n != null && n.isLoopback();
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /**
     * What a renewal gives a block or measure beyond its time: one renewal period, so that the
     * kernel entry cannot lapse between two renewals (a 1 s block renewed every second did, for
     * the few ms the second's report came late, and was then "BLOCKED ... again").
     */
    public static final long RENEWAL_SLACK_NANOS = 1_000_000_000L;

    /** How long past the renewals' horizon a detection is kept (DetectorSet.forgetBefore). */
    static final long RETAIN_NANOS = 60_000_000_000L;

    /**
     * Installs (or renews) the firewall measures a detection calls for on every interface with a
     * firewall stage (amplification: drop UDP from the reflected service port to the victim; a
     * spoofed SYN flood: a SYN limit on the victim's address and port); says so the first time.
     *
     * @return whether a measure for it is in force on some interface (installed now or earlier, or an operator's)
     */
    private boolean measure(Detection det) {
        if (!config.mitigation().measures()) {
            return false;
        }
        boolean any = false;
        List<Measure> wanted = Measures.forDetection(det, config.mitigation().measureSettings());
        for (Measure m : wanted) {
            boolean fresh = false;
            for (Member member : members) {
                if (member.measures() != null) {
                    any = true;
                    fresh |= member.measures().get(m).map(x -> !x.activeAt(System.nanoTime())).orElse(true);
                    if (member.measures().putAtLeast(m, config.mitigation().measureTime())) { // an operator's entry stays
                        measureHits.putIfAbsent(m.entry(), 0L); // renewed from now on while it drops
                    }
                }
            }
            if (fresh) {
                long ms = config.mitigation().measureTime().toMillis();
                publishBlock(() -> FleetBlock.measure(m, outputs.kafkaConfig().host(), det.detector(), det.reasons(),
                        System.currentTimeMillis(), System.currentTimeMillis() + ms));
                observer.measured(m, det);
                say("MEASURE " + m.toString() + " for "
                        + config.mitigation().measureTime().toSeconds() + " s (" + det.detector() + "; the firewall stage enforces it)");
            }
        }
        return any;
    }

    /** Whether this agent's blocks go to the fleet's topic (outputs.kafka.publish-blocks). */
    private boolean publishesBlocks() {
        return outputs != null && outputs.kafkaConfig() != null && outputs.kafkaConfig().publishBlocks();
    }

    /** Publishes one of this agent's blocks on the fleet's topic when outputs.kafka.publish-blocks says so. */
    private void publishBlock(java.util.function.Supplier<FleetBlock> block) {
        if (publishesBlocks()) {
            try {
                outputs.publishBlock(block.get());
            } catch (IllegalArgumentException e) {
                say("fleet: not published: " + e.getMessage());
            }
        }
    }

    /**
     * A blocked source that is still sending keeps its block: the detectors no longer see it (its
     * packets are dropped before anything reaches Java), so no new report would renew it, and it
     * would get through for a window or two each time the block ran out. Every second, a block this
     * agent put in whose kernel entry dropped packets since the last look expires {@code seconds}
     * from now again: a block ends {@code seconds} after its source went quiet.
     */
    private void renewBlocksStillHit(long seconds) {
        long now = System.nanoTime();
        Map<String, Long> hits = new java.util.HashMap<>();
        for (Member m : members) {
            for (Mitigation.Block b : m.processor().mitigation().list()) {
                if (b.prefixLength() == b.address().getAddress().length * 8 && b.activeAt(now)) {
                    hits.merge(b.address().getHostAddress(), b.hits(), Long::sum);
                }
            }
        }
        synchronized (blockedLock) {
            for (Map.Entry<String, Long> e : blocked.entrySet()) {
                String source = e.getKey();
                Long h = hits.get(InetAddress.ofLiteral(source).getHostAddress());
                if (h == null || h <= blockHits.getOrDefault(source, 0L)) {
                    continue;
                }
                blockHits.put(source, h);
                long until = now + seconds * 1_000_000_000L + RENEWAL_SLACK_NANOS;
                long longer = Mitigation.NONE; // the expiry of a longer block (the fleet's, the operator's) the renewal left in force
                for (Member m : members) {
                    InetAddress a = InetAddress.ofLiteral(source);
                    Mitigation.Renewed r = m.processor().mitigation().renew(a, a.getAddress().length * 8, until);
                    if (r.outcome() == Mitigation.Renewal.LONGER_KEPT) {
                        longer = r.expiresNanos();
                    }
                }
                // the block runs to until, beneath the longer one where there is one: a tombstone that takes the fleet's
                // longer block back writes it again (FleetTarget)
                e.setValue(until);
                if (longer == Mitigation.NONE) {
                    renewedBeneath.remove(source);
                } else if (renewedBeneath.add(source)) {
                    say("RENEWED " + source + " for " + seconds + " s beneath a longer block of it (" + (Mitigation.neverExpires(longer)
                            ? "no expiry" : "expires in " + Math.max(0, (longer - now) / 1_000_000_000L) + " s")
                            + "), which stays; this agent's block runs on beneath it (written again if the fleet takes its block back)");
                }
            }
            blockHits.keySet().retainAll(blocked.keySet());
            renewedBeneath.retainAll(blocked.keySet());
        }
    }

    /**
     * A measure that still drops keeps going, as a block does (renewBlocksStillHit): a port-drop
     * blinds the detector that asked for it (the reflected responses no longer reach Java). Every
     * second, a measure this agent put in whose hits grew since the last look expires
     * measure-time from now again (its hits and bucket carry over: FirewallMeasures.put).
     */
    private void renewMeasuresStillHit() {
        long now = System.nanoTime();
        Map<String, Long> hits = new java.util.HashMap<>();
        Map<String, Measure> entries = new java.util.HashMap<>();
        for (Member m : members) {
            if (m.measures() == null) {
                continue;
            }
            for (Measure x : m.measures().list()) {
                if (measureHits.containsKey(x.entry()) && x.activeAt(now)) {
                    hits.merge(x.entry(), x.hits(), Long::sum);
                    entries.putIfAbsent(x.entry(), x);
                }
            }
        }
        for (Map.Entry<String, Long> e : hits.entrySet()) {
            if (e.getValue() <= measureHits.get(e.getKey())) {
                continue;
            }
            measureHits.put(e.getKey(), e.getValue());
            for (Member m : members) {
                if (m.measures() != null) {
                    m.measures().putAtLeast(entries.get(e.getKey()), config.mitigation().measureTime().plusNanos(RENEWAL_SLACK_NANOS));
                }
            }
        }
        measureHits.keySet().retainAll(hits.keySet()); // the others expired, or were removed
    }

    /** Drops the entries whose time has passed, once the map has grown (a spoofed scan names many sources). */
    private static void forgetExpired(Map<String, Long> until, long now) {
        if (until.size() >= 4096) {
            until.values().removeIf(t -> now > t);
        }
    }

    /**
     * Blocks {@code source} on every interface unless it is blocked now, or must never be (NeverBlock); says so.
     *
     * @return whether the source is blocked now (by this call or an earlier one); false when spared or blocks are off
     */
    private boolean block(String source, String detector, List<String> reasons, long seconds) {
        long now = System.nanoTime();
        Long until;
        synchronized (blockedLock) {
            until = blocked.get(source);
        }
        if (until != null && now <= until) {
            return true;
        }
        if (!config.blocks().enabled()) {
            return false;
        }
        synchronized (blockedLock) {
            Long sparedUntil = spared.get(source);
            if (sparedUntil != null && now <= sparedUntil) {
                return false; // spared and said so within the block time
            }
        }
        String spare = NeverBlock.of(config, true).why(InetAddress.ofLiteral(source));
        if (spare != null) {
            synchronized (blockedLock) {
                forgetExpired(spared, now);
                spared.put(source, now + seconds * 1_000_000_000L);
            }
            say("NOT BLOCKED " + source + " (" + detector + "): " + spare);
            return false;
        }
        boolean kept = false; // a longer block there already (the operator's, the fleet's) stays as it is
        InetAddress address = InetAddress.ofLiteral(source);
        long expires = System.nanoTime() + seconds * 1_000_000_000L; // what the kernel entries get, and blocked: a tombstone compares them
        Map<Mitigation, Long> replaced = new java.util.IdentityHashMap<>();
        FleetBlock record = null;
        if (publishesBlocks()) {
            long nowMs = System.currentTimeMillis();
            try {
                record = FleetBlock.prefix(source, outputs.kafkaConfig().host(), detector, reasons, nowMs, nowMs + seconds * 1000);
            } catch (IllegalArgumentException e) {
                say("fleet: not published: " + e.getMessage());
            }
        }
        synchronized (blockedLock) { // the kernel entries and their record in one step: a tombstone (ownBlock) sees both or neither
            for (Member m : members) {
                var r = m.processor().mitigation().blockAtLeastReplacing(address, address.getAddress().length * 8, expires);
                kept |= r == null;
                if (r != null && r.previous() != Mitigation.NONE) {
                    replaced.put(m.processor().mitigation(), r.previous());
                }
            }
            forgetExpired(blocked, now);
            replacedBlocks.keySet().retainAll(blocked.keySet());
            if (!publishedBlocks.isEmpty()) {
                publishedBlocks.keySet().retainAll(blocked.keySet().stream().map(InetAddress::ofLiteral)
                        .collect(java.util.stream.Collectors.toSet()));
            }
            blocked.put(source, expires);
            replacedBlocks.put(source, replaced);
            if (record != null) { // before it is published: it may come back from the topic at once
                publishedBlocks.put(address, record);
            } else {
                publishedBlocks.remove(address);
            }
            blockHits.remove(source); // a block put in anew counts from 0
        }
        if (record != null) {
            FleetBlock published = record;
            publishBlock(() -> published);
        }
        observer.blocked(source, detector);
        say("BLOCKED " + source + " for " + seconds + " s (" + detector + (until != null ? ", again" : "")
                + (kept ? "; a longer block of it was there already and stays" : "") + "; the kernel drops its packets)");
        return true;
    }

    /**
     * What this agent's detections last wrote for the block of {@code address} in {@code blocks}:
     * the kernel entry's expiry (as written by {@link #block} or a renewal) and that of the block
     * the first write replaced there ({@link Mitigation#NONE}: none); null when
     * they have not blocked it.
     */
    private Mitigation.Replacement ownBlock(InetAddress address, Mitigation blocks) {
        synchronized (blockedLock) {
            for (Map.Entry<String, Long> e : blocked.entrySet()) {
                if (InetAddress.ofLiteral(e.getKey()).equals(address)) {
                    Long previous = replacedBlocks.getOrDefault(e.getKey(), Map.of()).get(blocks);
                    return new Mitigation.Replacement(e.getValue(),
                            previous == null ? Mitigation.NONE : previous);
                }
            }
        }
        return null;
    }

    /**
     * The record this agent published of its detection's block of {@code address} (publish-blocks),
     * or null when it published none.
     */
    private FleetBlock ownRecord(InetAddress address) {
        synchronized (blockedLock) {
            return publishedBlocks.get(address);
        }
    }

    /** Writes the Kafka counters for 'xdpml status' (each interface's file). */
    private void writeKafkaStatus() {
        var k = outputs.kafkaConfig();
        if (k == null) {
            return;
        }
        Map<String, Object> status = KafkaStatus.of(k, kafkaCounters(), fleetBlockCounters());
        for (Member m : members) {
            KafkaStatus.write(m.iface(), status);
        }
    }

    /** The Kafka publisher's counters, or null without outputs.kafka (for status and metrics). */
    public FleetPublisher.Counters kafkaCounters() {
        AgentOutputs o = outputs;
        return o == null || o.kafka() == null ? null : o.kafka().counters();
    }

    /** The fleet blocks consumer's counters, or null when this agent does not apply the fleet's blocks. */
    public FleetBlockSync.Counters fleetBlockCounters() {
        FleetBlockSync f = fleetBlocks;
        return f == null ? null : f.counters();
    }

    /** "firewall dropped N: reason n, ..." from the program's counters, or null without the firewall (since 2026-12-07). */
    private static String firewallDrops(Member m) {
        try {
            var object = m.processor().program().object();
            AgentInfo info = AgentInfo.read(object.map(AgentPins.INFO));
            long[] c = PipelineReading.read(object::map, info.stages(), info.firewallRules()).firewall();
            if (c == null) {
                return null;
            }
            Map<String, Long> reasons = io.xdpml.firewall.FirewallCounter.nonZero(c, io.xdpml.firewall.FirewallCounter::drops);
            long all = reasons.values().stream().mapToLong(Long::longValue).sum();
            return "firewall dropped " + all + (all == 0 ? "" : ": " + reasons.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", ")));
        } catch (RuntimeException e) {
            return "firewall counters not read: " + e.getMessage();
        }
    }

    private void summary() {
        for (Member m : members) {
            ProcessorStats s = m.processor().stats();
            say(String.format("%s: detached. %d packets seen by XDP, %d to Java (%d lost on the way), %d packets dropped by blocks",
                    m.iface(), s.seen(), s.received(), s.deliveryLost(), s.blocked()));
            String fw = firewallDrops(m);
            if (fw != null) {
                say(m.iface() + ": " + fw);
            }
            if (m.classifier() != null) {
                say(String.format("ONNX: %d packets flagged in %d flows%s%s", s.flagged(), m.flagged().flows(),
                        config.mitigation().block().isZero() ? "" : ", flows blocked",
                        extras.capture() != null ? ", " + s.captured() + " written to " + extras.capture() : ""));
                if (m.processor().captureFailure() != null) {
                    say("capture " + extras.capture() + " stopped after " + s.captured() + " packets: " + m.processor().captureFailure().getMessage());
                }
            }
            say(m.status().summary());
        }
        String outs = outputs == null ? "" : outputs.summary();
        if (!outs.isEmpty()) {
            say(outs);
        }
        say(String.format("%d detections %s, %d sources blocked, %d reloads (%d rejected)", detectionsTotal,
                detecting.set.detectionsByDetector(), blocked.size(), reloads, rejected));
    }

    private void say(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private void closeMetrics() {
        if (metrics != null) {
            metrics.close(); // idempotent
        }
    }

    /** Detaches every interface, removes its pins, closes the outputs. Idempotent. */
    @Override
    public void close() {
        if (fleetBlocks != null) {
            fleetBlocks.close();
            fleetBlocks = null;
        }
        try {
            closeFlowExport();
        } catch (RuntimeException e) {
            say("closing the flow export: " + e.getMessage());
        }
        for (Member m : members) {
            closeMetrics(); // before the first program's maps close: a scrape reads them
            try {
                m.processor().close();
            } catch (Exception e) {
                say(m.iface() + ": closing: " + e.getMessage());
            }
            try {
                if (m.measures() != null) {
                    m.measures().close();
                }
                if (m.classifier() != null) {
                    m.classifier().close();
                }
                m.flagged().close();
            } catch (Exception e) {
                say(m.iface() + ": closing: " + e.getMessage());
            }
            AgentPins.remove(m.iface());
            KafkaStatus.remove(m.iface());
        }
        members.clear();
        closeMetrics();
        try {
            if (jsonLines != null) {
                jsonLines.close();
                jsonLines = null;
            }
            if (outputs != null && !outputsStuck) {
                outputs.close();
                outputs = null;
            }
            if (onnxModel != null) {
                onnxModel.close();
            }
        } catch (Exception e) {
            say("closing outputs: " + e.getMessage());
        }
    }
}
