package io.xdpml.pipeline;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import java.lang.foreign.MemorySegment;

/**
 * The "parse" pipeline's BPF object, configured and loaded: the program, its per-CPU counter
 * map and, in summary mode, the live {@code .bss} view of the last packet's summary.
 */
public final class ParserProgram implements AutoCloseable {
    /** XDP return codes the pipeline can be told to give ({@code cfg_action}). */
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;

    private final BpfObject object;
    private final BpfProgram program;
    private final BpfMap counters;
    private final MemorySegment lastSummary;

    private ParserProgram(BpfObject object, boolean recordSummary) {
        this.object = object;
        this.program = object.program(Pipelines.get("parse").program());
        this.counters = object.map("xdpml_parse_counters");
        this.lastSummary = recordSummary ? object.variable("last_summary") : null;
    }

    /**
     * Opens, configures and loads the parser.
     *
     * @param vxlanPort     UDP port decoded as VXLAN
     * @param recordSummary keep each packet's summary in .bss (for test runs; costs a store)
     * @param action        XDP action returned for every packet
     */
    public static ParserProgram load(int vxlanPort, boolean recordSummary, int action) {
        BpfObject obj = BpfObject.openResource(Pipelines.get("parse").resource());
        try {
            obj.setConstant("cfg_vxlan_port", vxlanPort);
            obj.setConstant("cfg_record_summary", recordSummary ? 1 : 0);
            obj.setConstant("cfg_action", action);
            obj.load();
            return new ParserProgram(obj, recordSummary);
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    public BpfProgram program() {
        return program;
    }

    /** The last packet's summary (summary mode only). */
    public MemorySegment lastSummary() {
        if (lastSummary == null) {
            throw new IllegalStateException("loaded without recordSummary");
        }
        return lastSummary;
    }

    /**
     * The kernel's counters: its per-CPU histogram (struct xdpml_counters in stats.h: u64
     * by_flags[1024], u64 by_error[64], then the parse scratch) summed over CPUs.
     */
    public ParseCounters readCounters() {
        return readCounters(counters);
    }

    /** The parse counters of any pipeline's {@code xdpml_parse_counters} map (stats.h). */
    public static ParseCounters readCounters(BpfMap counters) {
        long[] sums = counters.sumPerCpuLongs(0);
        int errors = ParseCounters.FLAG_COMBOS;
        if (sums.length < errors + ParseCounter.SLOTS) {
            throw new IllegalStateException("counter map value has " + sums.length + " u64 slots, expected at least "
                    + (errors + ParseCounter.SLOTS));
        }
        return ParseCounters.fromHistogram(sums, 0, sums, errors);
    }

    @Override
    public void close() {
        object.close();
    }
}
