package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.flow.FlowCounter;
import io.xdpml.kernel.BpfMap;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.xsk.XskCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
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
        ConfigWord word = new ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync"));
        int w = word.read();
        AgentConfig config = loadQuietly(info);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("iface", o.iface());
        r.put("generation", w >>> 16);
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("pid", info.pid());
        agent.put("alive", info.alive());
        agent.put("config", info.config() == null ? null : info.config().toString());
        agent.put("uptime_seconds", Math.max(0, (System.nanoTime() - info.startedNanos()) / 1_000_000_000L));
        agent.put("reloads", info.reloads());
        agent.put("rejected", info.rejected());
        r.put("agent", agent);

        PipelineCounters pc = PipelineCounters.of(o.map("xdpml_pipeline_stats").sumPerCpuLongs(0));
        long[] deliver = o.map("xdpml_xsk_counters").sumPerCpuLongs(0);
        Map<String, Object> stages = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            if ((info.stages() & (1 << s.ordinal())) == 0) {
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
                case PARSE -> parse(o, m);
                case BLOCKS -> blocks(o, m, deliver);
                case FIREWALL -> firewall(o, m, info, config, w);
                case FLOW -> flow(o, m);
                case MODEL -> model(o, m, config);
                case SAMPLE -> sample(o, m, deliver, w);
                case DELIVER -> deliver(m, deliver, pc);
                case END -> end(m, pc);
            }
            stages.put(s.key(), m);
        }
        r.put("stages", stages);
        Map<String, Object> kafka = info.alive() ? KafkaStatus.read(o.iface()) : null;
        if (kafka != null) {
            r.put("kafka", kafka);
        }
        return r;
    }

    private static AgentConfig loadQuietly(AgentInfo info) {
        if (info.config() == null) {
            return null;
        }
        try {
            return AgentConfigLoader.load(info.config());
        } catch (Exception e) {
            return null; // names (rules, classes) are then left out
        }
    }

    private static void parse(AgentPins.Opened o, Map<String, Object> m) {
        ParseCounters c = ParserProgram.readCounters(o.map("xdpml_parse_counters"));
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

    private static void blocks(AgentPins.Opened o, Map<String, Object> m, long[] deliver) {
        long[] sources = hits(o.map("xdpml_blocks"));
        long[] flows = hits(o.map("xdpml_flow_blocks"));
        Map<String, Object> reasons = new LinkedHashMap<>();
        reasons.put("source", sources[1]);
        reasons.put("flow", flows[1]);
        m.put("reasons", reasons);
        m.put("source_blocks", sources[0]);
        m.put("flow_blocks", flows[0]);
    }

    /** {entries, hits summed} of a blocks map (value: u64 expires, u64 hits). */
    private static long[] hits(BpfMap map) {
        long[] r = new long[2];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(map.valueSize(), 8);
            MemorySegment k = a.allocate(map.keySize(), 8);
            for (byte[] key : map.keys()) {
                k.copyFrom(MemorySegment.ofArray(key));
                if (map.lookup(k, v)) {
                    r[0]++;
                    r[1] += v.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
                }
            }
        }
        return r;
    }

    private static void firewall(AgentPins.Opened o, Map<String, Object> m, AgentInfo info, AgentConfig config, int word) {
        long[] c = o.map("xdpml_fw_stats").sumPerCpuLongs(0);
        Map<String, Object> reasons = new LinkedHashMap<>();
        for (FirewallCounter f : FirewallCounter.values()) {
            if (f != FirewallCounter.PACKETS && f.kind() != FirewallCounter.Kind.EVENT && c[f.id()] != 0) {
                reasons.put(f.jsonName(), c[f.id()]);
            }
        }
        m.put("reasons", reasons);
        m.put("connections_new", c[FirewallCounter.CT_NEW.id()]);
        BpfMap hitsMap = o.map("xdpml_fw_hits");
        int base = (word & ConfigWord.FIREWALL) * (hitsMap.maxEntries() / 2);
        List<String> texts = config != null ? config.firewall().rules().rules().stream().map(Object::toString).toList() : List.of();
        List<Map<String, Object>> rules = new java.util.ArrayList<>();
        for (int i = 0; i < info.firewallRules(); i++) {
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("index", i);
            if (i < texts.size()) {
                rule.put("rule", texts.get(i));
            }
            rule.put("hits", hitsMap.sumPerCpuLongs(base + i)[0]);
            rules.add(rule);
        }
        m.put("rules", rules);
    }

    private static void flow(AgentPins.Opened o, Map<String, Object> m) {
        BpfMap counters = o.map("xdpml_flow_counters"); // one counter per entry
        for (FlowCounter f : FlowCounter.values()) {
            m.put(f.name().toLowerCase(Locale.ROOT), counters.sumPerCpuLongs(f.id())[0]);
        }
        long[] entries = {0};
        o.map("xdpml_flows").forEachKey(k -> entries[0]++);
        m.put("entries", entries[0]);
        m.put("capacity", o.map("xdpml_flows").maxEntries());
    }

    private static void model(AgentPins.Opened o, Map<String, Object> m, AgentConfig config) {
        long[] all = o.map("xdpml_model_stats").sumPerCpuLongs(0);
        int n = ModelCounter.SLOTS;
        int k = ModelStats.CLASSES;
        ModelStats st = new ModelStats(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, n + k), Arrays.copyOfRange(all, n + k, n + 2 * k));
        for (ModelCounter c : ModelCounter.values()) {
            m.put(c.name().toLowerCase(Locale.ROOT), st.counter(c));
        }
        List<String> names = config != null && config.model().enabled() ? config.model().model().classes() : List.of();
        Map<String, Object> classes = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            if (st.classPackets(i) != 0 || i < names.size()) {
                classes.put(i < names.size() ? names.get(i) : "class" + i, st.classPackets(i));
            }
        }
        m.put("classes", classes);
        if (config != null && config.model().enabled()) {
            m.put("file", config.model().file().toString());
        }
    }

    private static void sample(AgentPins.Opened o, Map<String, Object> m, long[] d, int word) {
        DeliverySettings.Values v = new DeliverySettings(o.map("xdpml_deliver_config")).read((word & ConfigWord.DELIVER) != 0 ? 1 : 0);
        m.put("seen", d[XskCounter.SEEN.ordinal()]);
        m.put("sampled", d[XskCounter.SAMPLED.ordinal()]);
        m.put("every", v.sampleN());
    }

    private static void deliver(Map<String, Object> m, long[] d, PipelineCounters pc) {
        m.put("to_java_by_class", pc.toJavaForced());
        m.put("mirrored", d[XskCounter.MIRRORED.ordinal()]);
        m.put("redirected", d[XskCounter.REDIRECTED.ordinal()]);
        Map<String, Object> lost = new LinkedHashMap<>();
        lost.put("ring_full", d[XskCounter.MIRROR_LOST.ordinal()]);
        lost.put("no_socket", d[XskCounter.NO_SOCKET.ordinal()]);
        lost.put("capped", d[XskCounter.CAPPED.ordinal()]);
        lost.put("no_metadata_room", d[XskCounter.META_FAILED.ordinal()]);
        m.put("not_delivered", lost);
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

    /** The report as lines for a terminal. */
    public static List<String> lines(Map<String, Object> r) {
        List<String> out = new java.util.ArrayList<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> agent = (Map<String, Object>) r.get("agent");
        out.add(r.get("iface") + ": agent pid " + agent.get("pid") + (Boolean.TRUE.equals(agent.get("alive")) ? "" : " (NOT RUNNING: stale pins)")
                + ", config " + agent.get("config") + ", generation " + r.get("generation") + ", " + agent.get("reloads") + " reloads ("
                + agent.get("rejected") + " rejected), up " + agent.get("uptime_seconds") + " s");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> stages = (Map<String, Map<String, Object>>) r.get("stages");
        for (Map.Entry<String, Map<String, Object>> e : stages.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>(e.getValue());
            Object in = m.remove("in");
            Object passed = m.remove("passed");
            Object dropped = m.remove("dropped");
            out.add(String.format(Locale.ROOT, "  %-9s in %,d  passed %,d  dropped %,d", e.getKey(), (Long) in, (Long) passed, (Long) dropped));
            for (Map.Entry<String, Object> x : m.entrySet()) {
                out.add("            " + x.getKey() + ": " + x.getValue());
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
                out.add(String.format(Locale.ROOT, "            fleet blocks from %s: %,d applied, %,d removed, %,d ended, %,d bad, %,d failed%s",
                        f.get("topic"), ((Number) f.get("applied")).longValue(), ((Number) f.get("removed")).longValue(),
                        ((Number) f.get("expired")).longValue(), ((Number) f.get("bad")).longValue(), ((Number) f.get("failed")).longValue(),
                        Boolean.TRUE.equals(f.get("caught_up")) ? "" : " (replaying)"));
            }
        }
        return out;
    }
}
