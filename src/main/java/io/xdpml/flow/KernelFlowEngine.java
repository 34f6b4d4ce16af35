package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.Pipelines;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * The kernel's flow pipeline (xdp_flow.bpf.c), each frame run once through BPF_PROG_TEST_RUN
 * with the capture's time as the packet's time ({@code cfg_test_clock}: the program reads
 * {@code test_clock_ns}, which this engine sets before each run).
 */
public final class KernelFlowEngine implements FlowEngine {
    private final BpfObject object;
    private final TestRun run;
    private final MemorySegment clock;
    private final BpfMap flows;
    private final BpfMap flowCounters;
    private final BpfMap parseCounters;

    public KernelFlowEngine(FlowConfig config) {
        Pipelines.Pipeline p = Pipelines.get("flow");
        BpfObject obj = BpfObject.openResource(p.resource());
        try {
            obj.setConstant("cfg_vxlan_port", config.vxlanPort());
            obj.setConstant("cfg_idle_timeout_ns", config.idleTimeoutNanos());
            obj.setConstant("cfg_test_clock", 1);
            obj.setMaxEntries("xdpml_flows", config.maxFlows());
            obj.load();
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
        this.object = obj;
        this.run = obj.program(p.program()).testRun();
        this.clock = obj.variable("test_clock_ns");
        this.flows = obj.map("xdpml_flows");
        this.flowCounters = obj.map("xdpml_flow_counters");
        this.parseCounters = obj.map("xdpml_parse_counters");
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        clock.set(FlowLayout.U64, 0, timestampNanos);
        run.run(frame, length);
    }

    @Override
    public void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(FlowLayout.FLOW_SIZE, 8);
            flows.forEachKey(key -> {
                if (flows.lookup(key, value)) {
                    action.accept(key, value);
                }
            });
        }
    }

    @Override
    public long counter(FlowCounter c) {
        return flowCounters.sumPerCpuLongs(c.id())[0];
    }

    @Override
    public ParseCounters parseCounters() {
        long[] sums = parseCounters.sumPerCpuLongs(0);
        return ParseCounters.fromHistogram(sums, 0, sums, ParseCounters.FLAG_COMBOS);
    }

    @Override
    public int maxFrameLength() {
        return TestRun.maxTestRunFrame();
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public void close() {
        run.close();
        object.close();
    }
}
