package io.xdpml.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The fleet detector (docs/fleet-detector.md): a Kafka Streams topology over the agents' EVE records
 * that finds what no single host sees.
 *
 * <pre>
 *  xdpml.flows ──parse (event time = flow.end; malformed skipped, counted)──┬─ TCP flows, key src ──► scan
 *     (an event time more than the grace ahead of this detector's clock, or a host or detector name
 *      too long or not printable: malformed)
 *                                                                          └─ flows, key src and src/24 ──► flood
 *  xdpml.alerts ─parse (event time = timestamp; fleet's own skipped)── key src_ip ──► flagged
 *
 *  scan, flood: distinct elements (target host|dest|port, host|dest, port; dest; source) counted per
 *               window in fleet-{scan,flood}-distinct (count 1 = first sight), merged with the
 *               flows' counts into one Tally per source and window in fleet-{scan,flood}-tally
 *  flagged:     one Tally per source and window in fleet-flagged-tally (alerts per host, detectors)
 *  a Tally crossing its thresholds (once per key and window) ──► Finding ──► xdpml.alerts (EVE, host "fleet")
 *                                                                      └──► xdpml.blocks (FleetBlock), when configured
 * </pre>
 *
 * Windows: tumbling, {@code windowSeconds} of event time, {@code graceSeconds} of grace (a record
 * later than that behind the stream's time is dropped by the window and counted by Kafka Streams'
 * {@code dropped-records} metric); the stores keep a window for window + grace (their retention),
 * in memory, restored from their changelog topics. Stores are not cached: every update reaches the
 * threshold test, so a finding is made by the record that crosses the threshold, not at the window's end.
 */
public final class FleetTopology {
    /** The topics: inputs and outputs. */
    public record Topics(String flows, String alerts, String alertsOut, String blocks) {
        public static Topics defaults() {
            return new Topics("xdpml.flows", "xdpml.alerts", "xdpml.alerts", "xdpml.blocks");
        }
    }

    public static final String SCAN_DISTINCT = "fleet-scan-distinct";
    public static final String SCAN_TALLY = "fleet-scan-tally";
    public static final String FLOOD_DISTINCT = "fleet-flood-distinct";
    public static final String FLOOD_TALLY = "fleet-flood-tally";
    public static final String FLAGGED_TALLY = "fleet-flagged-tally";

    private static final char SEP = '\u0001';

    private final FleetConfig config;
    private final Topics topics;
    private final boolean blocks;
    private final FleetCounters counters;
    private final Consumer<Finding> listener;

    /**
     * @param blocks   whether findings are published as fleet blocks too
     * @param listener sees every finding (on a Streams thread), e.g. to print it; may be null
     */
    public FleetTopology(FleetConfig config, Topics topics, boolean blocks, FleetCounters counters, Consumer<Finding> listener) {
        this.config = config;
        this.topics = topics;
        this.blocks = blocks;
        this.counters = counters;
        this.listener = listener == null ? f -> {} : listener;
    }

    public Topology build() {
        StreamsBuilder b = new StreamsBuilder();
        Serde<String> str = Serdes.String();
        Serde<Part> parts = new JsonSerde<>(Part.class);
        Serde<Tally> tallies = new JsonSerde<>(Tally.class);
        TimeWindows windows = TimeWindows.ofSizeAndGrace(Duration.ofMillis(config.windowMillis()), Duration.ofMillis(config.graceMillis()));
        Duration retention = Duration.ofMillis(config.windowMillis() + config.graceMillis());

        // ---- inputs: parsed once, re-timed to the event's own time, bad records skipped and counted
        KStream<String, FleetEvents.Flow> flows = b.stream(topics.flows(), Consumed.with(str, str).withName("flows-in"))
                .process(() -> new ParseFlows(counters, config.maxAheadMillis()), Named.as("parse-flows"));
        KStream<String, FleetEvents.Alert> alerts = b.stream(topics.alerts(), Consumed.with(str, str).withName("alerts-in"))
                .process(() -> new ParseAlerts(counters, config.maxAheadMillis()), Named.as("parse-alerts"));

        // ---- (a) distributed scan: per source, TCP flows and the distinct targets their probes reach
        KStream<String, FleetEvents.Flow> tcp = flows.filter((k, f) -> f.tcp(), Named.as("scan-tcp"));
        KStream<String, Part> scanCounts = tcp.map((k, f) -> KeyValue.pair(f.src(),
                Part.counts(f.host(), 1, probe(f) ? 1 : 0, f.pktsToServer(), f.bytesToServer(), f.startMillis(), f.timeMillis(), "")),
                Named.as("scan-counts"));
        KStream<String, String> scanElements = tcp.filter((k, f) -> probe(f), Named.as("scan-probes"))
                .flatMap((k, f) -> List.of(
                        KeyValue.pair(element(f.src(), "target", f.host() + "|" + f.dest() + "|" + f.destPort()), ""),
                        KeyValue.pair(element(f.src(), "hostdest", f.host() + "|" + f.dest()), ""),
                        KeyValue.pair(element(f.src(), "port", Integer.toString(f.destPort())), "")), Named.as("scan-elements"));
        KStream<String, Part> scanFirsts = firstSightings(scanElements, windows, retention, SCAN_DISTINCT, "scan");
        findings(scanCounts.merge(scanFirsts, Named.as("scan-merge")), windows, retention, SCAN_TALLY, "scan", parts, tallies,
                (k, t) -> crossesScan(t), this::scan);

        // ---- (b) flood over many destinations: per source and per source prefix
        KStream<String, FleetEvents.Flow> keyed = flows.flatMap((k, f) -> List.of(KeyValue.pair("ip:" + f.src(), f),
                KeyValue.pair("net:" + FleetEvents.prefixOf(f.src(), config.floodPrefixV4(), config.floodPrefixV6()), f)),
                Named.as("flood-keys"));
        KStream<String, Part> floodCounts = keyed.mapValues(
                f -> Part.counts(f.host(), 1, 0, f.pktsToServer(), f.bytesToServer(), f.startMillis(), f.timeMillis(), ""),
                Named.as("flood-counts"));
        KStream<String, String> floodElements = keyed.flatMap((k, f) -> {
            List<KeyValue<String, String>> l = new ArrayList<>(2);
            l.add(KeyValue.pair(element(k, "dest", f.dest()), ""));
            if (k.startsWith("net:")) {
                l.add(KeyValue.pair(element(k, "source", f.src()), ""));
            }
            return l;
        }, Named.as("flood-elements"));
        KStream<String, Part> floodFirsts = firstSightings(floodElements, windows, retention, FLOOD_DISTINCT, "flood");
        findings(floodCounts.merge(floodFirsts, Named.as("flood-merge")), windows, retention, FLOOD_TALLY, "flood", parts, tallies,
                this::crossesFlood, this::flood);

        // ---- (c) one source flagged by the detectors of several hosts
        KStream<String, Part> alertCounts = alerts.map((k, a) -> KeyValue.pair(a.src(),
                Part.counts(a.host(), 1, 0, 0, 0, a.timeMillis(), a.timeMillis(), a.detector())), Named.as("flagged-counts"));
        findings(alertCounts, windows, retention, FLAGGED_TALLY, "flagged", parts, tallies, (k, t) -> crossesFlagged(t), this::flagged);
        return b.build();
    }

    private static String element(String group, String dim, String value) {
        return group + SEP + dim + SEP + value;
    }

    /** Whether a flow is a probe: TCP, at most scanMaxProbePackets packets from the source, no data (no PSH). */
    boolean probe(FleetEvents.Flow f) {
        return f.tcp() && f.pktsToServer() <= config.scanMaxProbePackets() && !f.psh();
    }

    /** Each (group, dim, element) counted per window; its first sighting becomes a distinct Part of the group. */
    private KStream<String, Part> firstSightings(KStream<String, String> elements, TimeWindows windows, Duration retention, String store,
            String name) {
        return elements.groupByKey(Grouped.with(name + "-elements", Serdes.String(), Serdes.String()))
                .windowedBy(windows)
                .count(Named.as(name + "-distinct-count"), Materialized.<String, Long>as(Stores.inMemoryWindowStore(store, retention,
                        Duration.ofMillis(config.windowMillis()), false)).withKeySerde(Serdes.String()).withValueSerde(Serdes.Long())
                        .withCachingDisabled().withRetention(retention))
                .toStream(Named.as(name + "-distinct-out"))
                .filter((wk, n) -> n != null && n == 1, Named.as(name + "-first"))
                .map((wk, n) -> {
                    String[] p = wk.key().split(String.valueOf(SEP), 3);
                    return KeyValue.pair(p[0], Part.distinct(p[1], p[2]));
                }, Named.as(name + "-distinct-part"));
    }

    /** What turns a tally into a finding, or null when it does not cross the thresholds. */
    private interface Rule {
        Finding test(String key, Windowed<String> window, Tally t, long timeMs);
    }

    private void findings(KStream<String, Part> in, TimeWindows windows, Duration retention, String store, String name, Serde<Part> parts,
            Serde<Tally> tallies, java.util.function.BiPredicate<String, Tally> crosses, Rule rule) {
        KStream<String, Finding> found = in.groupByKey(Grouped.with(name + "-parts", Serdes.String(), parts))
                .windowedBy(windows)
                .aggregate(Tally::new, (k, p, t) -> {
                    t.add(p, config.maxHosts());
                    if (!t.reported && crosses.test(k, t)) {
                        t.reported = true; // remembered in the store: one finding per key and window
                        t.fired = true; // only this update
                    }
                    return t;
                }, Named.as(name + "-tally"),
                        Materialized.<String, Tally>as(Stores.inMemoryWindowStore(store, retention, Duration.ofMillis(config.windowMillis()),
                                false)).withKeySerde(Serdes.String()).withValueSerde(tallies).withCachingDisabled().withRetention(retention))
                .toStream(Named.as(name + "-tally-out"))
                .process(() -> new Judge(rule), Named.as(name + "-judge"));
        found.peek((k, f) -> {
            counters.count(f);
            listener.accept(f);
        }, Named.as(name + "-report"))
                .mapValues(f -> f.toEve(blocks), Named.as(name + "-eve"))
                .to(topics.alertsOut(), Produced.with(Serdes.String(), Serdes.String()).withName(name + "-alerts-out"));
        if (blocks) {
            found.map((k, f) -> {
                counters.blocks.incrementAndGet();
                return FleetBlocks.of(f, config.blockMillis());
            }, Named.as(name + "-block")).to(topics.blocks(), Produced.with(Serdes.String(), Serdes.String()).withName(name + "-blocks-out"));
        }
    }

    /**
     * Tests each update of a tally (the stores are not cached: every update comes through); the
     * first that crosses the rule's thresholds in its window is a finding, marked reported in the
     * store so that the same window never reports the key again.
     */
    private final class Judge implements Processor<Windowed<String>, Tally, String, Finding> {
        private final Rule rule;
        private ProcessorContext<String, Finding> context;

        Judge(Rule rule) {
            this.rule = rule;
        }

        @Override
        public void init(ProcessorContext<String, Finding> context) {
            this.context = context;
        }

        @Override
        public void process(Record<Windowed<String>, Tally> r) {
            Tally t = r.value();
            if (t == null || !t.fired) {
                return;
            }
            Finding f = rule.test(r.key().key(), r.key(), t, r.timestamp());
            if (f != null) {
                context.forward(new Record<>(f.subject(), f, r.timestamp()));
            }
        }
    }

    // ------------------------------------------------------------------------------------ rules

    // The threshold tests run in the aggregator (so that the store remembers that the window reported).
    private boolean crossesScan(Tally t) {
        return t.distinct("target") >= config.scanMinTargets() && t.hostsWith(h -> h.targets) >= config.scanMinHosts()
                && t.flows > 0 && (double) t.probes / t.flows >= config.scanMinProbeShare();
    }

    private Finding scan(String src, Windowed<String> w, Tally t, long timeMs) {
        Map<String, Long> hosts = new LinkedHashMap<>();
        t.hosts.forEach((h, x) -> {
            if (x.targets > 0) {
                hosts.put(h, x.targets);
            }
        });
        List<String> reasons = List.of(
                String.format(Locale.ROOT, "%,d distinct host:address:port targets probed on %d hosts in %.3f s (%s)", t.distinct("target"),
                        hosts.size(), t.spanSeconds(), perHost(hosts, "")),
                String.format(Locale.ROOT, "%,d destination ports, %,d host:address pairs", t.distinct("port"), t.distinct("hostdest")),
                String.format(Locale.ROOT, "%,d probes of %,d TCP flows (%.2f%%)", t.probes, t.flows, 100.0 * t.probes / t.flows));
        return new Finding(FleetSignatures.SCAN, src, false, List.of(src), hosts, (double) t.distinct("target") / config.scanMinTargets(),
                reasons, timeMs, t.startMs, t.endMs, w.window().start(), "TCP");
    }

    private boolean crossesFlood(String key, Tally t) {
        return t.packets / t.spanSeconds() >= config.floodMinPacketRate() && t.distinct("dest") >= config.floodMinDestinations()
                && t.hostsWith(h -> h.packets) >= config.floodMinHosts() && (key.startsWith("ip:") || t.distinct("source") >= 2);
    }

    private Finding flood(String key, Windowed<String> w, Tally t, long timeMs) {
        boolean net = key.startsWith("net:");
        String subject = key.substring(key.indexOf(':') + 1);
        Map<String, Long> hosts = new LinkedHashMap<>();
        String heaviest = null;
        long most = -1;
        for (Map.Entry<String, Tally.Host> e : t.hosts.entrySet()) {
            if (e.getValue().packets > 0) {
                hosts.put(e.getKey(), e.getValue().packets);
                if (e.getValue().packets > most) {
                    most = e.getValue().packets;
                    heaviest = e.getKey();
                }
            }
        }
        double span = t.spanSeconds();
        double rate = t.packets / span;
        List<String> reasons = new ArrayList<>();
        reasons.add(String.format(Locale.ROOT, "%,d packets in %.3f s (%,.0f packet/s) to %,d destination addresses on %d hosts", t.packets,
                span, rate, t.distinct("dest"), hosts.size()));
        reasons.add(String.format(Locale.ROOT, "heaviest host %s: %,d packets (%,.0f packet/s); %,d flows", heaviest, most, most / span, t.flows));
        if (net) {
            reasons.add(String.format(Locale.ROOT, "from %,d sources in %s", t.distinct("source"), subject));
        }
        List<String> sources = net ? List.copyOf(t.sample) : List.of(subject);
        return new Finding(FleetSignatures.FLOOD, subject, net, sources, hosts, rate / config.floodMinPacketRate(), reasons, timeMs, t.startMs,
                t.endMs, w.window().start(), null);
    }

    private boolean crossesFlagged(Tally t) {
        return t.hostsWith(h -> h.flows) >= config.flaggedMinHosts();
    }

    private Finding flagged(String src, Windowed<String> w, Tally t, long timeMs) {
        Map<String, Long> hosts = new LinkedHashMap<>();
        List<String> per = new ArrayList<>();
        t.hosts.forEach((h, x) -> {
            if (x.flows > 0) {
                hosts.put(h, x.flows);
                per.add(h + " (" + String.join(", ", x.labels) + (x.flows > 1 ? " x" + x.flows : "") + ")");
            }
        });
        List<String> reasons = List.of(String.format(Locale.ROOT, "flagged on %d hosts in %.3f s: %s", hosts.size(),
                Math.max(0, (t.endMs - t.startMs) / 1000.0), String.join(", ", per)));
        return new Finding(FleetSignatures.FLAGGED, src, false, List.of(src), hosts, (double) hosts.size() / config.flaggedMinHosts(), reasons,
                timeMs, t.startMs, t.endMs, w.window().start(), null);
    }

    private static String perHost(Map<String, Long> hosts, String unit) {
        StringBuilder b = new StringBuilder("per host: ");
        int i = 0;
        for (Map.Entry<String, Long> e : hosts.entrySet()) {
            if (i++ == 8) {
                b.append(", ...");
                break;
            }
            b.append(i > 1 ? ", " : "").append(e.getKey()).append(' ').append(String.format(Locale.ROOT, "%,d", e.getValue())).append(unit);
        }
        return b.toString();
    }

    // ------------------------------------------------------------------------------- parsing

    /** Flow records: parsed, re-timed to flow.end, keyed by the source; anything else (a time too far ahead too) skipped and counted. */
    private static final class ParseFlows implements Processor<String, String, String, FleetEvents.Flow> {
        private final FleetCounters counters;
        private final long maxAheadMs;
        private ProcessorContext<String, FleetEvents.Flow> context;

        ParseFlows(FleetCounters counters, long maxAheadMs) {
            this.counters = counters;
            this.maxAheadMs = maxAheadMs;
        }

        @Override
        public void init(ProcessorContext<String, FleetEvents.Flow> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, String> r) {
            FleetEvents.Flow f;
            try {
                f = FleetEvents.flow(r.key(), r.value(), r.headers());
                FleetEvents.notAhead(f.timeMillis(), context.currentSystemTimeMs(), maxAheadMs, "flow.end");
            } catch (FleetEvents.Malformed | RuntimeException e) {
                counters.malformedFlows.incrementAndGet();
                counters.lastMalformed.set("flows: " + e.getMessage());
                return;
            }
            counters.flows.incrementAndGet();
            context.forward(new Record<>(f.src(), f, f.timeMillis()));
        }
    }

    /** Alert records naming a source: parsed, re-timed to their timestamp; the fleet's own and those naming no source ignored (counted); anything else skipped and counted. */
    private static final class ParseAlerts implements Processor<String, String, String, FleetEvents.Alert> {
        private final FleetCounters counters;
        private final long maxAheadMs;
        private ProcessorContext<String, FleetEvents.Alert> context;

        ParseAlerts(FleetCounters counters, long maxAheadMs) {
            this.counters = counters;
            this.maxAheadMs = maxAheadMs;
        }

        @Override
        public void init(ProcessorContext<String, FleetEvents.Alert> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, String> r) {
            FleetEvents.Alert a;
            try {
                a = FleetEvents.alert(r.key(), r.value(), r.headers());
                FleetEvents.notAhead(a.timeMillis(), context.currentSystemTimeMs(), maxAheadMs, "timestamp");
            } catch (FleetEvents.Malformed | RuntimeException e) {
                counters.malformedAlerts.incrementAndGet();
                counters.lastMalformed.set("alerts: " + e.getMessage());
                return;
            }
            if (FleetEvents.fromFleet(a)) {
                counters.ownAlerts.incrementAndGet();
                return;
            }
            if (a.src() == null) {
                counters.alertsWithoutSource.incrementAndGet();
                return;
            }
            counters.alerts.incrementAndGet();
            context.forward(new Record<>(a.src(), a, a.timeMillis()));
        }
    }
}
