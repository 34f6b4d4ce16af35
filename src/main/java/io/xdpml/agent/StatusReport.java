package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.flow.FlowCounter;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.kernel.XdpFeatures;
import io.xdpml.xsk.MetadataLayout;
import io.xdpml.xsk.XskCounter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code xdpml status}: what a running agent's pipeline on one interface has done, read from its
 * pinned maps (no work per packet; the per-CPU counters are summed at read time). A stable object
 * (docs/agent.md, "status --json"):
 *
 * <pre>
 * { "iface": "eth0", "generation": 3, "agent": {"pid": .., "alive": .., "config": .., "reloads": .., "rejected": ..},
 *   "stages": { "parse": {"in", "passed", "dropped", ...}, "blocks": {...}, "firewall": {...}, "flow": {...},
 *               "model": {...}, "sample": {...}, "deliver": {...}, "end": {...} } }
 * </pre>
 *
 * With delivery to AF_XDP the deliver stage also has {@code metadata_layout}: {@code before_frame}, or
 * {@code in_frame} where this kernel refuses bpf_xdp_adjust_meta ({@link MetadataLayout}).
 *
 * Every stage that is on has {@code in}, {@code passed} and {@code dropped} (packets); each adds
 * its own counters. A stage that is off is absent.
 */
public final class StatusReport {
    private StatusReport() {}

    /** The report of the agent on {@code iface} (its pins must exist). */
    public static Map<String, Object> of(String iface) {
        try (AgentPins.Opened o = AgentPins.open(iface)) {
            return of(o);
        }
    }

    static Map<String, Object> of(AgentPins.Opened o) {
        AgentInfo info = o.info();
        AgentConfig config = loadQuietly(info);
        // what runs is named from what was installed last (RunningNames); the file, edited since, may say otherwise;
        // a name the record lacks comes from the file
        RunningNames names = RunningNames.orElse(info.alive() ? RunningNames.read(o.iface()) : null, config == null ? null : RunningNames.of(config));
        // the rules that run may be fw load's, more or fewer than the count the agent's file gave
        int rules = names != null && names.rules() != null ? names.rules().size() : info.firewallRules();
        PipelineReading r = PipelineReading.read(o::map, info.stages(), rules);
        Map<String, Object> report = of(o.iface(), info, names, r);
        if (r.spread() != null) { // what the program runs, not what the file says now (until 2026-12-06: the file)
            report.put("cpumap", cpumap(r));
        }
        return report;
    }

    /**
     * The CPU spread: the CPUs its program runs on (its maps), what the picker did (summed over the
     * receiving CPUs) and the pipeline's packets on each CPU.
     */
    private static Map<String, Object> cpumap(PipelineReading r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", r.spread().cpus());
        for (io.xdpml.dataplane.CpuSpread.Counter c : io.xdpml.dataplane.CpuSpread.Counter.values()) {
            m.put(c.name().toLowerCase(java.util.Locale.ROOT), r.cpumap()[c.ordinal()]);
        }
        m.put("pipeline_packets_per_cpu", java.util.Arrays.stream(r.cpuPackets()).boxed().toList());
        return m;
    }

    /** The report of one reading of the maps ({@link PipelineReading}), with the agent's facts and the names of what runs (or null). */
    static Map<String, Object> of(String iface, AgentInfo info, RunningNames names, PipelineReading reading) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("iface", iface);
        r.put("generation", reading.word() >>> 16);
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("pid", info.pid());
        agent.put("alive", info.alive());
        agent.put("config", info.config() == null ? null : info.config().toString());
        agent.put("uptime_seconds", Math.max(0, (System.nanoTime() - info.startedNanos()) / 1_000_000_000L));
        agent.put("reloads", info.reloads());
        agent.put("rejected", info.rejected());
        r.put("agent", agent);

        PipelineCounters pc = reading.pipeline();
        long[] deliver = reading.deliver();
        Map<String, Object> stages = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            if (!reading.on(s)) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            long in = pc.in(s);
            // the end's own drops (the default action when it is XDP_DROP): its "actions" count how every packet left,
            // drops by the stages before it included, which made its "passed" negative when they were counted here
            long dropped = pc.dropped(s);
            m.put("in", in);
            m.put("passed", in - dropped);
            m.put("dropped", dropped);
            switch (s) {
                case PARSE -> parse(reading, m);
                case BLOCKS -> blocks(reading, m);
                case FIREWALL -> firewall(reading, m, names);
                case FLOW -> flow(reading, m);
                case MODEL -> model(reading, m, names);
                case SAMPLE -> sample(reading, m, deliver);
                case DELIVER -> deliver(m, deliver, pc, info.metadata());
                case END -> end(m, pc);
            }
            stages.put(s.key(), m);
        }
        r.put("stages", stages);
        Map<String, Object> kafka = info.alive() ? KafkaStatus.read(iface) : null;
        if (kafka != null) {
            r.put("kafka", kafka);
        }
        return r;
    }

    static AgentConfig loadQuietly(AgentInfo info) {
        if (info.config() == null) {
            return null;
        }
        try {
            return AgentConfigLoader.load(info.config());
        } catch (Exception e) {
            return null; // names (rules, classes) are then left out
        }
    }

    private static void parse(PipelineReading r, Map<String, Object> m) {
        ParseCounters c = r.parse();
        Map<String, Object> protocols = new LinkedHashMap<>();
        Map<String, Object> errors = new LinkedHashMap<>();
        for (ParseCounter p : ParseCounter.values()) {
            long v = c.get(p);
            if (p.id() >= ParseCounter.FIRST_ERROR) {
                if (v != 0) {
                    errors.put(p.jsonName(), v);
                }
            } else if (p != ParseCounter.PACKETS) {
                protocols.put(p.jsonName(), v);
            }
        }
        m.put("protocols", protocols);
        m.put("errors", errors);
    }

    private static void blocks(PipelineReading r, Map<String, Object> m) {
        long[] sources = r.sourceBlocks();
        long[] flows = r.flowBlocks();
        Map<String, Object> reasons = new LinkedHashMap<>();
        reasons.put("source", sources[1]);
        reasons.put("flow", flows[1]);
        // no flow key while flow blocks exist (docs/processor.md): counted apart, no entry has the hit
        reasons.put("unreadable", r.deliver() == null ? 0 : r.deliver()[XskCounter.BLOCKED_UNREADABLE.ordinal()]);
        m.put("reasons", reasons);
        m.put("source_blocks", sources[0]);
        m.put("flow_blocks", flows[0]);
    }

    private static void firewall(PipelineReading r, Map<String, Object> m, RunningNames names) {
        long[] c = r.firewall();
        m.put("reasons", FirewallCounter.nonZero(c, f -> f != FirewallCounter.PACKETS && f.kind() != FirewallCounter.Kind.EVENT));
        m.put("connections_new", c[FirewallCounter.CT_NEW.id()]);
        List<String> texts = names != null && names.rules() != null ? names.rules() : List.of();
        List<Map<String, Object>> rules = new java.util.ArrayList<>();
        long[] hits = r.ruleHits();
        for (int i = 0; i < hits.length; i++) {
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("index", i);
            if (i < texts.size()) {
                rule.put("rule", texts.get(i));
            }
            rule.put("hits", hits[i]);
            rules.add(rule);
        }
        m.put("rules", rules);
    }

    private static void flow(PipelineReading r, Map<String, Object> m) {
        for (FlowCounter f : FlowCounter.values()) {
            m.put(f.name().toLowerCase(Locale.ROOT), r.flow()[f.id()]);
        }
        m.put("entries", r.flowEntries());
        m.put("capacity", r.flowCapacity());
    }

    private static void model(PipelineReading r, Map<String, Object> m, RunningNames runningNames) {
        ModelStats st = r.model();
        int k = ModelStats.CLASSES;
        for (ModelCounter c : ModelCounter.values()) {
            m.put(c.name().toLowerCase(Locale.ROOT), st.counter(c));
        }
        List<String> names = runningNames != null && runningNames.classes() != null ? runningNames.classes() : List.of();
        Map<String, Object> classes = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            if (st.classPackets(i) != 0 || i < names.size()) {
                classes.put(i < names.size() ? names.get(i) : "class" + i, st.classPackets(i));
            }
        }
        m.put("classes", classes);
        if (runningNames != null && runningNames.model() != null) {
            m.put("file", runningNames.model());
        }
    }

    private static void sample(PipelineReading r, Map<String, Object> m, long[] d) {
        m.put("seen", d[XskCounter.SEEN.ordinal()]);
        m.put("sampled", d[XskCounter.SAMPLED.ordinal()]);
        m.put("every", r.delivery().sampleN());
    }

    private static void deliver(Map<String, Object> m, long[] d, PipelineCounters pc, MetadataLayout metadata) {
        if (metadata != null) { // frames go to AF_XDP sockets: where their metadata travels (the agent's info record)
            m.put("metadata_layout", metadata.name().toLowerCase(Locale.ROOT));
        }
        m.put("to_java_by_class", pc.toJavaForced());
        m.put("mirrored", d[XskCounter.MIRRORED.ordinal()]);
        m.put("redirected", d[XskCounter.REDIRECTED.ordinal()]);
        Map<String, Object> lost = new LinkedHashMap<>();
        lost.put("ring_full", d[XskCounter.MIRROR_LOST.ordinal()]);
        lost.put("no_socket", d[XskCounter.NO_SOCKET.ordinal()]);
        lost.put("capped", d[XskCounter.CAPPED.ordinal()]);
        lost.put("no_metadata_room", d[XskCounter.META_FAILED.ordinal()]);
        m.put("not_delivered", lost);
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("copied", d[XskCounter.FIRST_PICKED.ordinal()]);
        first.put("over_rate", d[XskCounter.FIRST_CAPPED.ordinal()]);
        first.put("ring_full", d[XskCounter.FIRST_LOST.ordinal()]);
        m.put("first_packets", first);
    }

    private static void end(Map<String, Object> m, PipelineCounters pc) {
        Map<String, Object> actions = new LinkedHashMap<>();
        String[] names = {"aborted", "drop", "pass", "tx", "redirect"};
        for (int i = 0; i < names.length; i++) {
            actions.put(names[i], pc.action(i));
        }
        m.put("actions", actions);
        m.put("tail_call_failed", pc.tailCallFailed());
    }

    /** What a layout means, for the terminal: the kernel's refusal when the metadata travels in front of the frame. */
    private static String layoutNote(Object layout) {
        return "in_frame".equals(layout) ? " (" + XdpFeatures.ADJUST_META_REFUSED + ")"
                : "before_frame".equals(layout) ? " (bpf_xdp_adjust_meta: in the headroom before the frame)" : "";
    }

    /** The report as lines for a terminal. */
    public static List<String> lines(Map<String, Object> r) {
        List<String> out = new java.util.ArrayList<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> agent = (Map<String, Object>) r.get("agent");
        out.add(r.get("iface") + ": agent pid " + agent.get("pid") + (Boolean.TRUE.equals(agent.get("alive")) ? "" : " (NOT RUNNING: stale pins)")
                + ", config " + agent.get("config") + ", generation " + r.get("generation") + ", " + agent.get("reloads") + " reloads ("
                + agent.get("rejected") + " rejected), up " + agent.get("uptime_seconds") + " s");
        @SuppressWarnings("unchecked")
        Map<String, Object> spread = (Map<String, Object>) r.get("cpumap");
        if (spread != null) {
            out.add("  cpumap    cpus " + spread.get("cpus") + ": redirected " + spread.get("redirected") + ", failed " + spread.get("failed")
                    + ", pipeline packets per CPU " + spread.get("pipeline_packets_per_cpu"));
        }
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> stages = (Map<String, Map<String, Object>>) r.get("stages");
        for (Map.Entry<String, Map<String, Object>> e : stages.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>(e.getValue());
            Object in = m.remove("in");
            Object passed = m.remove("passed");
            Object dropped = m.remove("dropped");
            out.add(String.format(Locale.ROOT, "  %-9s in %,d  passed %,d  dropped %,d", e.getKey(), (Long) in, (Long) passed, (Long) dropped));
            for (Map.Entry<String, Object> x : m.entrySet()) {
                out.add("            " + x.getKey() + ": " + x.getValue() + ("metadata_layout".equals(x.getKey()) ? layoutNote(x.getValue()) : ""));
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> kafka = (Map<String, Object>) r.get("kafka");
        if (kafka != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> p = (Map<String, Object>) kafka.get("published");
            @SuppressWarnings("unchecked")
            Map<String, Object> f = (Map<String, Object>) kafka.get("fleet_blocks");
            out.add("  kafka     " + kafka.get("bootstrap") + (p == null ? "" : String.format(Locale.ROOT,
                    ": sent %,d  pending %,d  dropped %,d  failed %,d", ((Number) p.get("sent")).longValue(),
                    ((Number) p.get("pending")).longValue(), ((Number) p.get("dropped")).longValue(), ((Number) p.get("failed")).longValue())
                    + (p.get("last_error") != null ? " (last error: " + p.get("last_error") + ")" : "")));
            if (f != null) {
                Number unchanged = (Number) f.get("unchanged"); // none from an agent older than 2026-12-06
                out.add(String.format(Locale.ROOT, "            fleet blocks from %s: %,d applied, %,d removed, %,d ended, %,d bad, %,d failed%s%s",
                        f.get("topic"), ((Number) f.get("applied")).longValue(), ((Number) f.get("removed")).longValue(),
                        ((Number) f.get("expired")).longValue(), ((Number) f.get("bad")).longValue(), ((Number) f.get("failed")).longValue(),
                        unchanged == null || unchanged.longValue() == 0 ? "" : String.format(Locale.ROOT, ", %,d unchanged (replayed)",
                                unchanged.longValue()), Boolean.TRUE.equals(f.get("caught_up")) ? "" : " (replaying)")
                        + (f.get("state") == null || "reading".equals(f.get("state")) ? "" : " [" + f.get("state") + "]"));
            }
        }
        return out;
    }
}
