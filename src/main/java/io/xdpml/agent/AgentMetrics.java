package io.xdpml.agent;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.dataplane.CpuSpread;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.Measure;
import io.xdpml.flow.FlowCounter;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.ParseCounter;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.xsk.XskCounter;
import io.xdpml.xsk.XskStatistics;
import java.io.IOException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The agent's Prometheus endpoint ({@code outputs.metrics}, {@code xdpml run --metrics}):
 * {@code http://ADDR:PORT/metrics} served by the Prometheus Java client's HTTP server, with the
 * client's JVM metrics and one collector that reads, at scrape time, every counter map of each
 * interface's program ({@link PipelineReading}, what {@code xdpml status} reads), the processor's
 * counts, AF_XDP socket statistics and latency histograms. Nothing is counted per packet for it;
 * what the agent decides (detections, blocks, measures) is counted as it is reported (it is an
 * {@link Agent.Observer}). Every metric and label: docs/metrics.md.
 */
final class AgentMetrics implements Agent.Observer, AutoCloseable {
    /** Bucket upper bounds of the latency histograms, in seconds (250 ns to 1 s). */
    static final double[] LATENCY_BUCKETS = {2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2,
        2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0};
    private static final String[] ACTIONS = {"aborted", "drop", "pass", "tx", "redirect"};

    /** Counting a flow table that takes longer than this is done at most every {@link #SLOW_COUNT_EVERY_NANOS}. */
    static final long SLOW_COUNT_NANOS = 5_000_000L;
    static final long SLOW_COUNT_EVERY_NANOS = 10_000_000_000L;

    /** One interface; its last count of the flow table (a scrape thread's state: collect() is synchronized). */
    private static final class Watched {
        final String iface;
        final MlPacketProcessor processor;
        final DeliveryShare share;
        final Histogram latency = new Histogram(3_600_000_000_000L, 2);
        final Histogram handoff = new Histogram(3_600_000_000_000L, 2);
        long flows = -1;
        long countedAt;
        long countNanos;

        Watched(String iface, MlPacketProcessor processor, DeliveryShare share) {
            this.iface = iface;
            this.processor = processor;
            this.share = share;
        }

        String iface() { return iface; }

        MlPacketProcessor processor() { return processor; }

        Histogram latency() { return latency; }

        Histogram handoff() { return handoff; }

        /**
         * The flow table's entries: counted on every scrape while that is quick (under 5 ms), else at
         * most every 10 s (65536 entries take ~60 ms of CPU: every entry is copied out of the kernel).
         */
        long flows(io.xdpml.kernel.BpfMap table) {
            long now = System.nanoTime();
            if (flows < 0 || countNanos < SLOW_COUNT_NANOS || now - countedAt >= SLOW_COUNT_EVERY_NANOS) {
                flows = PipelineReading.countFlows(table);
                countedAt = now;
                countNanos = System.nanoTime() - now;
            }
            return flows;
        }
    }

    private final OutputsSection.Metrics endpoint;
    private final Supplier<AgentConfig> config;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final List<Watched> watched = new CopyOnWriteArrayList<>();
    private volatile AgentOutputs outputs; // EVE and IPFIX, read at scrape time; null: none
    private final Map<String, LongAdder> detections = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> blocks = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> measures = new ConcurrentHashMap<>();
    private final HTTPServer server;
    private boolean closed;

    /** The agent's reloads so far, and of them the rejected ones. */
    record Reloads(long all, long rejected) {}

    private final Supplier<Reloads> reloads;

    /** Per detector: {untracked, evicted} of its capped tables since the start. */
    private final Supplier<Map<String, long[]>> tables;

    private AgentMetrics(OutputsSection.Metrics endpoint, Supplier<AgentConfig> config, Supplier<Reloads> reloads,
            Supplier<Map<String, long[]>> tables) throws IOException {
        this.tables = tables;
        this.endpoint = endpoint;
        this.config = config;
        this.reloads = reloads;
        JvmMetrics.builder().register(registry);
        registry.register(new MultiCollector() {
            @Override
            public MetricSnapshots collect() {
                return AgentMetrics.this.collect();
            }
        });
        InetAddress address = InetAddress.getByName(endpoint.listen().host());
        try {
            server = HTTPServer.builder().inetAddress(address).port(endpoint.listen().port()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new IOException("outputs.metrics: cannot serve http://" + endpoint.listen() + "/metrics: " + e.getMessage()
                    + (e instanceof java.net.BindException ? " (is another process listening there? choose another port with"
                    + " --metrics [ADDR:]PORT or outputs.metrics.listen)" : ""), e);
        }
    }

    /**
     * Starts the endpoint {@code c} asks for (binding its port: a port in use fails here, before
     * anything is attached), or returns null when it asks for none.
     *
     * @param current the agent's configuration as it is now (reloads change it)
     */
    static AgentMetrics start(AgentConfig c, Supplier<AgentConfig> current, Supplier<Reloads> reloads,
            Supplier<Map<String, long[]>> tables) throws IOException {
        OutputsSection.Metrics m = c.outputs().metrics();
        return m == null ? null : new AgentMetrics(m, current, reloads, tables);
    }

    /** The port it listens on. */
    int port() {
        return server.getPort();
    }

    OutputsSection.Metrics endpoint() {
        return endpoint;
    }

    /** Serves the counters of {@code iface}'s program and processor from now on. */
    /** The agent's EVE and IPFIX outputs, whose counters /metrics serves from now on. */
    void outputs(AgentOutputs o) {
        outputs = o;
    }

    void add(String iface, MlPacketProcessor processor, DeliveryShare share) {
        watched.add(new Watched(iface, processor, share));
    }

    @Override
    public void detected(Detection detection) {
        detections.computeIfAbsent(detection.detector(), k -> new LongAdder()).increment();
    }

    @Override
    public void blocked(String source, String detector) {
        blocks.computeIfAbsent(detector, k -> new LongAdder()).increment();
    }

    @Override
    public void measured(Measure measure, Detection detection) {
        measures.computeIfAbsent(kindName(measure.kind()), k -> new LongAdder()).increment();
    }

    /** What happens, told to {@code metrics} (when there are metrics) and to {@code b}; the packets to {@code b} alone (the metrics count none). */
    static Agent.Observer both(Agent.Observer metrics, Agent.Observer b) {
        if (metrics == null) {
            return b;
        }
        return new Agent.Observer() {
            @Override
            public void packet(String iface, io.xdpml.processor.PacketView view) {
                b.packet(iface, view);
            }

            @Override
            public void detected(Detection detection) {
                metrics.detected(detection);
                b.detected(detection);
            }

            @Override
            public void blocked(String source, String detector) {
                metrics.blocked(source, detector);
                b.blocked(source, detector);
            }

            @Override
            public void measured(Measure measure, Detection detection) {
                metrics.measured(measure, detection);
                b.measured(measure, detection);
            }
        };
    }

    /** Stops the server; a scrape under way finishes first, later ones read nothing of the interfaces. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        server.close();
    }

    /** The EVE and IPFIX outputs' counters (docs/metrics.md). */
    private static void outputs(Families f, AgentOutputs o) {
        io.xdpml.output.EveWriter eve = o.eve();
        if (eve != null) {
            f.counter("xdpml_eve_events", "EVE JSON events written, by type", eve.alerts(), "type", "alert");
            f.counter("xdpml_eve_events", "EVE JSON events written, by type", eve.flows(), "type", "flow");
            f.counter("xdpml_eve_errors", "EVE JSON events that failed, by kind", eve.failed(), "kind", "event");
            f.counter("xdpml_eve_errors", "EVE JSON events that failed, by kind", eve.writeErrors(), "kind", "write");
        }
        io.xdpml.output.ipfix.IpfixExporter x = o.ipfix();
        if (x != null) {
            f.counter("xdpml_ipfix_flows", "flows exported as IPFIX (each once; active reports not counted)", x.flows());
            for (String t : new String[] {"udp", "file"}) {
                io.xdpml.output.ipfix.IpfixExporter.Counters c = t.equals("udp") ? x.udp() : x.file();
                f.counter("xdpml_ipfix_messages", "IPFIX messages sent, by transport", c.messages(), "transport", t);
                f.counter("xdpml_ipfix_records", "IPFIX data records sent, by transport", c.records(), "transport", t);
                f.counter("xdpml_ipfix_errors", "IPFIX messages that could not be sent or written, by transport", c.errors(),
                        "transport", t);
            }
        }
    }

    private static String kindName(Measure.Kind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------------------------------------- the scrape

    private synchronized MetricSnapshots collect() {
        Families f = new Families();
        String version = AgentMetrics.class.getPackage().getImplementationVersion();
        f.info("xdpml_build", "xdpml's version and the Java runtime it runs on", "version", version == null ? "dev" : version,
                "java_version", Runtime.version().toString());
        if (closed) {
            return f.build();
        }
        AgentConfig c = config.get();
        for (String d : c.detectors().enabled()) {
            detections.computeIfAbsent(d, k -> new LongAdder());
        }
        detections.forEach((d, n) -> f.counter("xdpml_detections", "detections reported by the agent's detectors", n.sum(), "detector", d));
        tables.get().forEach((d, n) -> {
            f.counter("xdpml_detector_untracked", "subjects (sources, destinations, victims) a detector did not track because its"
                    + " table was full of busier ones (docs/detectors.md, \"Memory under spoofed floods\")", n[0], "detector", d);
            f.counter("xdpml_detector_evicted", "subjects that took the place of a less active one in a detector's full table",
                    n[1], "detector", d);
        });
        blocks.forEach((d, n) -> f.counter("xdpml_mitigation_blocks", "sources the agent blocked in XDP after a detection (each block"
                + " and each renewal after it expired)", n.sum(), "detector", d));
        for (Measure.Kind k : Measure.Kind.values()) {
            LongAdder n = measures.computeIfAbsent(kindName(k), x -> new LongAdder());
            f.counter("xdpml_mitigation_measures", "firewall measures the agent installed after a detection", n.sum(), "kind", kindName(k));
        }
        AgentOutputs o = outputs;
        if (o != null) {
            outputs(f, o);
        }
        boolean first = true;
        for (Watched w : watched) {
            AgentInfo info = AgentInfo.read(w.processor().program().object().map(AgentPins.INFO));
            if (first) {
                // the agent's own counts: the pinned record's can step back when 'fw load' or 'deploy' writes it with the
                // counts it read before a reload (a counter going back is a reset to Prometheus)
                first = false;
                Reloads n = reloads.get();
                f.counter("xdpml_reloads", "reloads of the configuration (SIGHUP, xdpml reload) by result", n.all() - n.rejected(),
                        "result", "applied");
                f.counter("xdpml_reloads", "reloads of the configuration (SIGHUP, xdpml reload) by result", n.rejected(), "result", "rejected");
            }
            PipelineReading r = PipelineReading.read(w.processor().program().object()::map, info.stages(), info.firewallRules(), w::flows);
            pipeline(f, w, r, o == null ? null : o.classes());
            if (info.metadata() != null) {
                f.info("xdpml_xsk_metadata", "where the frames redirected to AF_XDP carry their metadata: before_frame"
                        + " (bpf_xdp_adjust_meta), or in_frame where the kernel refuses that helper", "iface", w.iface(),
                        "layout", info.metadata().name().toLowerCase(Locale.ROOT));
            }
            processor(f, w);
        }
        return f.build();
    }

    private static void pipeline(Families f, Watched w, PipelineReading r, RunningClasses classes) {
        String i = w.iface();
        f.gauge("xdpml_config_generation", "the configuration's generation (reloads applied, fw load, deploy)", r.word() >>> 16, "iface", i);
        for (Stage s : Stage.values()) {
            f.gauge("xdpml_stage_enabled", "1 for a stage of the program that is on, 0 for one that is off", r.on(s) ? 1 : 0,
                    "iface", i, "stage", s.key());
        }
        PipelineCounters pc = r.pipeline();
        f.counter("xdpml_packets", "packets the XDP program received", pc.packets(), "iface", i);
        for (Stage s : Stage.values()) {
            if (r.on(s)) {
                f.counter("xdpml_stage_dropped_packets", "packets dropped by each stage", pc.dropped(s), "iface", i, "stage", s.key());
            }
        }
        for (int a = 0; a < ACTIONS.length; a++) {
            f.counter("xdpml_exit_packets", "packets by the XDP action they left the program with", pc.action(a), "iface", i, "action", ACTIONS[a]);
        }
        f.counter("xdpml_tail_call_failures", "tail calls into the program's second unit that failed", pc.tailCallFailed(), "iface", i);
        if (r.spread() != null) {
            cpuSpread(f, i, r);
        }
        if (r.parse() != null) {
            for (ParseCounter p : ParseCounter.values()) {
                if (p == ParseCounter.PACKETS) {
                    continue;
                }
                if (p.id() >= ParseCounter.FIRST_ERROR) {
                    f.counter("xdpml_parse_errors", "packets the parser found malformed, by reason (they go on)", r.parse().get(p),
                            "iface", i, "reason", p.jsonName());
                } else {
                    f.counter("xdpml_parse_packets", "packets by the protocols the parser found in them", r.parse().get(p),
                            "iface", i, "protocol", p.jsonName());
                }
            }
        }
        if (r.sourceBlocks() != null) {
            f.gauge("xdpml_blocks_active", "entries in the blocks tables now", r.sourceBlocks()[0], "iface", i, "kind", "source");
            f.gauge("xdpml_blocks_active", "entries in the blocks tables now", r.flowBlocks()[0], "iface", i, "kind", "flow");
        }
        if (r.firewall() != null) {
            long[] fw = r.firewall();
            for (FirewallCounter fc : FirewallCounter.values()) {
                String verdict = switch (fc.kind()) {
                    case PASS -> "pass";
                    case DROP -> "drop";
                    case ANSWER -> "answer";
                    default -> null;
                };
                if (verdict != null) { // pass_X and drop_X: reason X; an answer's reason is its whole name
                    String reason = fc.kind() == FirewallCounter.Kind.ANSWER ? fc.jsonName() : fc.jsonName().substring(verdict.length() + 1);
                    f.counter("xdpml_firewall_packets", "packets the firewall judged, by verdict and reason", fw[fc.id()],
                            "iface", i, "verdict", verdict, "reason", reason);
                }
            }
            f.counter("xdpml_firewall_syn_cookies_unanswered", "SYNs over a limit that syn-cookies could not answer (no listener, tcp_syncookies not 2, not plain TCP), dropped",
                    fw[FirewallCounter.SYN_COOKIE_UNANSWERED.id()], "iface", i);
            f.counter("xdpml_firewall_fragments_followed", "later fragments dropped with their datagram's first fragment (also counted under its reason)",
                    fw[FirewallCounter.FRAG_FOLLOWED.id()], "iface", i);
            f.counter("xdpml_firewall_connections_new", "connections the firewall's tracking created", fw[FirewallCounter.CT_NEW.id()], "iface", i);
            f.counter("xdpml_firewall_connection_insert_failures", "connections that found no room in the tracking table",
                    fw[FirewallCounter.CT_INSERT_FAILED.id()], "iface", i);
            long[] hits = r.ruleHits();
            for (int k = 0; k < hits.length; k++) {
                f.counter("xdpml_firewall_rule_hits", "packets each firewall rule matched (rule: its index in the rules)", hits[k],
                        "iface", i, "rule", Integer.toString(k));
            }
            for (Measure.Kind k : Measure.Kind.values()) {
                f.gauge("xdpml_measures_active", "firewall measures in force now", r.measures()[k.ordinal()], "iface", i, "kind", kindName(k));
            }
        }
        if (r.flow() != null) {
            long[] fl = r.flow();
            f.counter("xdpml_flow_packets", "packets the flow stage tracked", fl[FlowCounter.PACKETS.id()], "iface", i);
            f.counter("xdpml_flow_not_ip_packets", "packets without an IP header (not tracked)", fl[FlowCounter.NOT_IP.id()], "iface", i);
            f.counter("xdpml_flows_new", "flows created in the flow table", fl[FlowCounter.NEW.id()], "iface", i);
            f.counter("xdpml_flow_cached_packets", "packets of flows with a cached class, counted without timing statistics",
                    fl[FlowCounter.CACHED.id()], "iface", i);
            f.counter("xdpml_flow_parked_packets", "first packets parked in a probation slot (admission: second-packet)",
                    fl[FlowCounter.PARKED.id()], "iface", i);
            f.counter("xdpml_flows_promoted", "flows admitted at their second packet", fl[FlowCounter.PROMOTED.id()], "iface", i);
            f.counter("xdpml_flow_deferred_packets", "second packets over the promotion budget, parked again",
                    fl[FlowCounter.DEFERRED.id()], "iface", i);
            f.counter("xdpml_flow_idle_restarts", "flows ended by the idle timeout and started again in their entry",
                    fl[FlowCounter.IDLE_RESTART.id()], "iface", i);
            f.counter("xdpml_flow_insert_failures", "flows that found no room in the flow table", fl[FlowCounter.INSERT_FAILED.id()], "iface", i);
            f.counter("xdpml_flow_records", "flow records written to the ring buffer", fl[FlowCounter.RECORDS.id()], "iface", i);
            f.counter("xdpml_flow_records_lost", "flow records that found no room in the ring buffer", fl[FlowCounter.RECORDS_LOST.id()], "iface", i);
            f.gauge("xdpml_flow_table_entries", "entries in the flow table now", r.flowEntries(), "iface", i);
            f.gauge("xdpml_flow_table_capacity", "size of the flow table", r.flowCapacity(), "iface", i);
        }
        if (r.model() != null) {
            ModelStats st = r.model();
            List<String> names = classes == null ? List.of() : classes.of(i); // what runs now (reloads, deploy)
            for (int k = 0; k < ModelStats.CLASSES; k++) {
                if (st.classPackets(k) != 0 || k < names.size()) {
                    String cls = k < names.size() ? names.get(k) : "class" + k;
                    f.counter("xdpml_model_packets", "packets the model put in each class", st.classPackets(k), "iface", i, "class", cls);
                    f.counter("xdpml_model_bytes", "bytes of the packets the model put in each class", st.classBytes(k), "iface", i, "class", cls);
                }
            }
            for (ModelCounter mc : ModelCounter.values()) {
                f.counter("xdpml_model_events", "the model stage's counters: " + "classified, cached, unclassified, no_model, retries,"
                        + " gave_up, xsk, tail_call_failed, low_confidence", st.counter(mc), "iface", i, "event", mc.name().toLowerCase(Locale.ROOT));
            }
        }
        long[] d = r.deliver();
        if (r.delivery() != null) {
            f.gauge("xdpml_sampling_every", "1 in N packets is sampled to Java", r.delivery().sampleN(), "iface", i);
            f.counter("xdpml_sample_seen_packets", "packets that reached the sample stage", d[XskCounter.SEEN.ordinal()], "iface", i);
            f.counter("xdpml_sampled_packets", "packets the sample stage chose for Java", d[XskCounter.SAMPLED.ordinal()], "iface", i);
        }
        if (r.on(Stage.DELIVER)) {
            f.counter("xdpml_delivered_packets", "packets handed to Java by way: a copy to the mirror ring, or redirected to AF_XDP",
                    d[XskCounter.MIRRORED.ordinal()], "iface", i, "way", "mirror");
            f.counter("xdpml_delivered_packets", "packets handed to Java by way: a copy to the mirror ring, or redirected to AF_XDP",
                    d[XskCounter.REDIRECTED.ordinal()], "iface", i, "way", "af_xdp");
            f.counter("xdpml_model_to_java_packets", "packets a model class sent to Java past the sample stage", pc.toJavaForced(), "iface", i);
            String help = "sampled packets the XDP program did not hand to Java, by reason (they go on)";
            f.counter("xdpml_not_delivered_packets", help, d[XskCounter.MIRROR_LOST.ordinal()], "iface", i, "reason", "ring_full");
            f.counter("xdpml_not_delivered_packets", help, d[XskCounter.NO_SOCKET.ordinal()], "iface", i, "reason", "no_socket");
            f.counter("xdpml_not_delivered_packets", help, d[XskCounter.CAPPED.ordinal()], "iface", i, "reason", "capped");
            f.counter("xdpml_delivered_without_metadata_packets", "packets redirected to AF_XDP without room for their metadata",
                    d[XskCounter.META_FAILED.ordinal()], "iface", i);
            String first = "flows' first packets not sampled, by outcome: copied to Java besides the sample, over sampling.first-packets,"
                    + " mirror ring full";
            f.counter("xdpml_first_packets", first, d[XskCounter.FIRST_PICKED.ordinal()], "iface", i, "outcome", "copied");
            f.counter("xdpml_first_packets", first, d[XskCounter.FIRST_CAPPED.ordinal()], "iface", i, "outcome", "over_rate");
            f.counter("xdpml_first_packets", first, d[XskCounter.FIRST_LOST.ordinal()], "iface", i, "outcome", "ring_full");
        }
    }

    /** The CPU spread's picker and the pipeline's packets on each of its CPUs (docs/metrics.md, "The CPU spread"). */
    private static void cpuSpread(Families f, String i, PipelineReading r) {
        long[] c = r.cpumap();
        f.counter("xdpml_cpumap_redirected", "frames the CPU spread's picker handed to a CPU's queue (a full queue drops them there)",
                c[CpuSpread.Counter.REDIRECTED.ordinal()], "iface", i);
        f.counter("xdpml_cpumap_failed", "frames the picker could not hand to a CPU (none in xdpml_cpumap for the slot): dropped, XDP_ABORTED",
                c[CpuSpread.Counter.FAILED.ordinal()], "iface", i);
        f.counter("xdpml_cpumap_addresses_only", "frames the picker hashed on the addresses alone (all IP but TCP with ports)",
                c[CpuSpread.Counter.ADDRESSES.ordinal()], "iface", i);
        f.counter("xdpml_cpumap_not_ip", "frames not IP (or cut short) the picker sent to the spread's first CPU",
                c[CpuSpread.Counter.NOT_IP.ordinal()], "iface", i);
        for (int cpu : r.spread().cpus()) {
            f.counter("xdpml_cpumap_pipeline_packets", "packets the pipeline ran on each CPU of the spread", r.cpuPackets()[cpu],
                    "iface", i, "cpu", Integer.toString(cpu));
        }
    }

    private static void processor(Families f, Watched w) {
        String i = w.iface();
        MlPacketProcessor p = w.processor();
        ProcessorStats s = p.stats();
        f.counter("xdpml_java_received_packets", "sampled packets that reached Java", s.received(), "iface", i);
        f.gauge("xdpml_delivery_scale", "how many packets chosen for Java each delivered one stands for in the detectors' counts,"
                + " besides the sampling's 1 in N: what the rate cap and a full ring held back, over the last 0.1 s (1: none)",
                w.share.scale(), "iface", i);
        f.counter("xdpml_java_processed_packets", "packets handed to the detectors (the processor's callback)", s.processed(), "iface", i);
        f.counter("xdpml_java_filtered_packets", "packets not handed over: protocol not asked for", s.filtered(), "iface", i);
        f.counter("xdpml_java_rate_limited_packets", "packets not handed over: over the processor's rate cap", s.rateLimited(), "iface", i);
        f.counter("xdpml_java_flagged_packets", "packets the callback flagged (ONNX model)", s.flagged(), "iface", i);
        f.counter("xdpml_java_callback_errors", "callbacks that threw", s.callbackErrors(), "iface", i);
        f.counter("xdpml_delivery_lost_packets", "sampled packets that never reached Java: mirror ring full, or AF_XDP RX ring full"
                + " or dropped by the socket", s.deliveryLost(), "iface", i);
        for (Map.Entry<Integer, XskStatistics> e : p.socketStatistics().entrySet()) {
            String q = Integer.toString(e.getKey());
            XskStatistics x = e.getValue();
            f.counter("xdpml_xsk_rx_dropped", "AF_XDP: frames the socket dropped (XDP_STATISTICS rx_dropped)", x.rxDropped(), "iface", i, "queue", q);
            f.counter("xdpml_xsk_rx_ring_full", "AF_XDP: frames dropped because the RX ring was full", x.rxRingFull(), "iface", i, "queue", q);
            f.counter("xdpml_xsk_fill_ring_empty", "AF_XDP: times the fill ring was found empty", x.rxFillRingEmptyDescs(), "iface", i, "queue", q);
            f.counter("xdpml_xsk_rx_invalid_descriptors", "AF_XDP: invalid RX descriptors", x.rxInvalidDescs(), "iface", i, "queue", q);
            f.counter("xdpml_xsk_tx_invalid_descriptors", "AF_XDP: invalid TX descriptors", x.txInvalidDescs(), "iface", i, "queue", q);
            f.counter("xdpml_xsk_tx_ring_empty", "AF_XDP: times the TX ring was found empty", x.txRingEmptyDescs(), "iface", i, "queue", q);
        }
        f.histogram("xdpml_java_packet_latency_seconds", "time per packet in Java, from taking it off its ring to the detectors' return",
                p.totalLatency(w.latency(), false), "iface", i);
        if (p.config().delivery() == io.xdpml.processor.Delivery.MIRROR) {
            f.histogram("xdpml_xdp_to_java_latency_seconds", "time from the XDP program's copy into the mirror ring to Java taking it",
                    p.totalLatency(w.handoff(), true), "iface", i);
        }
    }

    /** The families of one scrape, their data points in the order added. */
    private static final class Families {
        private final Map<String, Object> builders = new LinkedHashMap<>();

        void counter(String name, String help, double value, String... labels) {
            CounterSnapshot.Builder b = (CounterSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> CounterSnapshot.builder().name(n).help(help));
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build());
        }

        void gauge(String name, String help, double value, String... labels) {
            GaugeSnapshot.Builder b = (GaugeSnapshot.Builder) builders.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help));
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build());
        }

        void info(String name, String help, String... labels) {
            InfoSnapshot.Builder b = (InfoSnapshot.Builder) builders.computeIfAbsent(name, n -> InfoSnapshot.builder().name(n).help(help));
            b.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of(labels)).build());
        }

        /** An HdrHistogram of nanoseconds as a classic Prometheus histogram in seconds ({@link #LATENCY_BUCKETS}). */
        void histogram(String name, String help, Histogram nanos, String... labels) {
            HistogramSnapshot.Builder b = (HistogramSnapshot.Builder) builders.computeIfAbsent(name,
                    n -> HistogramSnapshot.builder().name(n).help(help).unit(Unit.SECONDS));
            ClassicHistogramBuckets.Builder buckets = ClassicHistogramBuckets.builder();
            long total = nanos.getTotalCount();
            long below = 0;
            for (double le : LATENCY_BUCKETS) {
                long upTo = total == 0 ? 0 : nanos.getCountBetweenValues(0, (long) (le * 1e9));
                buckets.bucket(le, upTo - below); // the builder takes each bucket's own count
                below = upTo;
            }
            buckets.bucket(Double.POSITIVE_INFINITY, total - below);
            double sum = total == 0 ? 0 : nanos.getMean() * total / 1e9;
            b.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder().labels(Labels.of(labels)).classicHistogramBuckets(buckets.build())
                    .sum(sum).build());
        }

        MetricSnapshots build() {
            MetricSnapshots.Builder all = MetricSnapshots.builder();
            for (Object b : builders.values()) {
                all.metricSnapshot(((MetricSnapshot.Builder<?>) b).build());
            }
            return all.build();
        }
    }
}
