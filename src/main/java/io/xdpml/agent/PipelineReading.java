package io.xdpml.agent;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.CpuSpread;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.Measure;
import io.xdpml.flow.FlowCounter;
import io.xdpml.kernel.BpfMap;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.ParserProgram;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Every counter map of one interface's composed program read once (the per-CPU values summed at
 * read time; no work per packet): what {@code xdpml status} prints ({@link StatusReport}, through
 * the pins) and what the agent's {@code /metrics} serves ({@link AgentMetrics}, through the loaded
 * object). The parts of a stage that is off are null (or zero).
 *
 * @param stageBits     the stages that are on ({@link io.xdpml.dataplane.Stages#bits()})
 * @param word          the configuration word
 * @param pipeline      xdpml_pipeline_stats
 * @param deliver       xdpml_xsk_counters (by {@link io.xdpml.xsk.XskCounter} ordinal)
 * @param parse         xdpml_parse_counters
 * @param sourceBlocks  {entries, hits of the entries there now} of xdpml_blocks (blocks on)
 * @param flowBlocks    the same of xdpml_flow_blocks
 * @param firewall      xdpml_fw_stats (by {@link FirewallCounter} id; firewall on)
 * @param ruleHits      xdpml_fw_hits of the active generation, one per rule
 * @param measures      entries of xdpml_fw_measures now, by {@link Measure.Kind} ordinal (firewall on)
 * @param flow          xdpml_flow_counters (by {@link FlowCounter} id; flow on)
 * @param flowEntries   entries of the flow table now
 * @param flowCapacity  its size
 * @param model         xdpml_model_stats (model on)
 * @param delivery      the active delivery settings (sample on)
 * @param spread        the CPU spread the program runs, from its maps ({@link CpuSpread#running}); null when off
 * @param cpumap        xdpml_cpumap_stats summed over the receiving CPUs (by {@link CpuSpread.Counter} ordinal; spread on)
 * @param cpuPackets    xdpml_pipeline_stats.packets of each CPU, by CPU number (spread on: where the pipeline ran)
 */
public record PipelineReading(int stageBits, int word, PipelineCounters pipeline, long[] deliver, ParseCounters parse,
                              long[] sourceBlocks, long[] flowBlocks, long[] firewall, long[] ruleHits, long[] measures,
                              long[] flow, long flowEntries, long flowCapacity, ModelStats model, DeliverySettings.Values delivery,
                              CpuSpread spread, long[] cpumap, long[] cpuPackets) {

    public boolean on(Stage s) {
        return (stageBits & (1 << s.ordinal())) != 0;
    }

    /**
     * Reads the maps {@code maps} gives by name (pins, or a loaded object's).
     *
     * @param rules the number of firewall rules of the active generation (hits are read for these)
     */
    public static PipelineReading read(Function<String, BpfMap> maps, int stageBits, int rules) {
        return read(maps, stageBits, rules, PipelineReading::countFlows);
    }

    /** The entries of a flow table now: {@code bpf_map_lookup_batch} in batches (64 syscalls for 65536 entries, not 65536). */
    public static long countFlows(BpfMap table) {
        return table.countElements(1024);
    }

    /**
     * As {@link #read(Function, int, int)}, the flow table's entries counted by {@code flowEntries}
     * (a caller that reads often may count less often: counting copies every entry out of the kernel).
     */
    public static PipelineReading read(Function<String, BpfMap> maps, int stageBits, int rules, ToLongFunction<BpfMap> flowEntries) {
        int w = new ConfigWord(maps.apply("xdpml_fw_gen"), maps.apply("xdpml_fw_sync")).read();
        PipelineCounters pc = PipelineCounters.of(maps.apply("xdpml_pipeline_stats").sumPerCpuLongs(0));
        long[] deliver = maps.apply("xdpml_xsk_counters").sumPerCpuLongs(0);
        boolean[] on = new boolean[Stage.values().length];
        for (Stage s : Stage.values()) {
            on[s.ordinal()] = (stageBits & (1 << s.ordinal())) != 0;
        }
        ParseCounters parse = on[Stage.PARSE.ordinal()] ? ParserProgram.readCounters(maps.apply("xdpml_parse_counters")) : null;
        long[] sources = null;
        long[] flowBlocks = null;
        if (on[Stage.BLOCKS.ordinal()]) {
            sources = hits(maps.apply("xdpml_blocks"));
            flowBlocks = hits(maps.apply("xdpml_flow_blocks"));
        }
        long[] fw = null;
        long[] ruleHits = null;
        long[] measures = null;
        if (on[Stage.FIREWALL.ordinal()]) {
            fw = maps.apply("xdpml_fw_stats").sumPerCpuLongs(0);
            BpfMap hitsMap = maps.apply("xdpml_fw_hits");
            int base = (w & ConfigWord.FIREWALL) * (hitsMap.maxEntries() / 2);
            ruleHits = new long[rules];
            for (int i = 0; i < rules; i++) {
                ruleHits[i] = hitsMap.sumPerCpuLongs(base + i)[0];
            }
            measures = new long[Measure.Kind.values().length];
            long now = System.nanoTime();
            // the object's own maps (or the pins' fds, which their owner closes): this view closes nothing
            for (Measure m : new FirewallMeasures(maps).list()) {
                if (m.activeAt(now)) {
                    measures[m.kind().ordinal()]++;
                }
            }
        }
        long[] flow = null;
        long entries = 0;
        long capacity = 0;
        if (on[Stage.FLOW.ordinal()]) {
            BpfMap counters = maps.apply("xdpml_flow_counters"); // one counter per entry
            flow = new long[FlowCounter.SLOTS];
            for (FlowCounter f : FlowCounter.values()) {
                flow[f.id()] = counters.sumPerCpuLongs(f.id())[0];
            }
            BpfMap table = maps.apply("xdpml_flows");
            entries = flowEntries.applyAsLong(table);
            capacity = table.maxEntries();
        }
        ModelStats model = null;
        if (on[Stage.MODEL.ordinal()]) {
            long[] all = maps.apply("xdpml_model_stats").sumPerCpuLongs(0);
            int n = ModelCounter.SLOTS;
            int k = ModelStats.CLASSES;
            model = new ModelStats(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, n + k), Arrays.copyOfRange(all, n + k, n + 2 * k));
        }
        DeliverySettings.Values delivery = on[Stage.SAMPLE.ordinal()]
                ? new DeliverySettings(maps.apply("xdpml_deliver_config")).read((w & ConfigWord.DELIVER) != 0 ? 1 : 0) : null;
        CpuSpread spread = CpuSpread.running(maps);
        long[] cpumap = null;
        long[] cpuPackets = null;
        if (spread != null) {
            cpumap = new long[CpuSpread.Counter.values().length];
            for (long[] cpu : CpuSpread.countersPerCpu(maps.apply("xdpml_cpumap_stats"))) {
                for (int i = 0; i < cpumap.length; i++) {
                    cpumap[i] += cpu[i];
                }
            }
            cpuPackets = packetsPerCpu(maps.apply("xdpml_pipeline_stats"));
        }
        return new PipelineReading(stageBits, w, pc, deliver, parse, sources, flowBlocks, fw, ruleHits, measures, flow, entries, capacity,
                model, delivery, spread, cpumap, cpuPackets);
    }

    /** xdpml_pipeline_stats.packets (its first u64) of each possible CPU. */
    private static long[] packetsPerCpu(BpfMap stats) {
        int cpus = BpfMap.possibleCpus();
        long stride = stats.perCpuValueStride();
        long[] out = new long[cpus];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment all = a.allocate(stride * cpus, 8);
            if (stats.lookupPerCpu(a.allocate(4), all)) {
                for (int c = 0; c < cpus; c++) {
                    out[c] = all.get(ValueLayout.JAVA_LONG, c * stride);
                }
            }
        }
        return out;
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
}
