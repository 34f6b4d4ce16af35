package io.xdpml.flow;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.RingBufferConsumer;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.Pipelines;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The kernel's flow pipeline (xdp_flow.bpf.c), each frame run once through BPF_PROG_TEST_RUN
 * with the capture's time as the packet's time ({@code cfg_test_clock}: the program reads
 * {@code test_clock_ns}, which this engine sets before each run). Flow records come from the
 * program's ring buffer, drained after every packet unless told otherwise, to the listener.
 */
public final class KernelFlowEngine implements FlowEngine {
    private final BpfObject object;
    private final TestRun run;
    private final MemorySegment clock;
    private final MemorySegment lastFeatures;
    private final BpfMap flows;
    private final BpfMap flowCounters;
    private final BpfMap parseCounters;
    private final RingBufferConsumer records;
    private final KernelFlowSweep sweeper;
    private final FlowConfig config;
    private final FlowRecordListener listener;
    private boolean drainEveryPacket = true;
    private long swept;
    private int lastReturn;

    public KernelFlowEngine(FlowConfig config) {
        this(config, FlowRecordListener.NONE);
    }

    public KernelFlowEngine(FlowConfig config, FlowRecordListener listener) {
        this(config, listener, false);
    }

    /**
     * @param recordFeatures test mode: after each packet, {@link #lastFeatures()} holds the features
     *                       the kernel computed for that packet's flow ({@code xdpml_flow_features})
     */
    public KernelFlowEngine(FlowConfig config, FlowRecordListener listener, boolean recordFeatures) {
        this("flow", config, listener, recordFeatures, obj -> {});
    }

    /**
     * The flow stage of another pipeline that has one (flow_stage.h), e.g. "classify".
     *
     * @param configure sets the pipeline's own constants before load
     */
    public KernelFlowEngine(String pipeline, FlowConfig config, FlowRecordListener listener, boolean recordFeatures,
            Consumer<BpfObject> configure) {
        this(Pipelines.get(pipeline), config, listener, recordFeatures, configure);
    }

    /** The flow stage of pipeline {@code p} (e.g. one of {@link Pipelines#composed}). */
    public KernelFlowEngine(Pipelines.Pipeline p, FlowConfig config, FlowRecordListener listener, boolean recordFeatures,
            Consumer<BpfObject> configure) {
        this.config = config;
        this.listener = listener;
        BpfObject obj = p.open();
        TestRun testRun = null;
        try {
            configure.accept(obj);
            obj.setConstant("cfg_vxlan_port", config.vxlanPort());
            obj.setConstant("cfg_idle_timeout_ns", config.idleTimeoutNanos());
            obj.setConstant("cfg_test_clock", 1);
            obj.setConstant("cfg_record_features", recordFeatures ? 1 : 0);
            obj.setConstant("cfg_active_timeout_ns", config.activeTimeoutNanos());
            obj.setConstant("cfg_sample_packet_n", config.samplePacketN());
            obj.setConstant("cfg_sample_flow_n", config.sampleFlowN());
            obj.setMaxEntries("xdpml_flows", config.maxFlows());
            obj.setMaxEntries("xdpml_flow_records", config.ringBytes());
            Admission.configure(obj, config.probationSlots(), config.promotionBudget());
            FlowHash.install(obj, config.hashSeed());
            obj.load();
            testRun = obj.program(p.program()).testRun();
            this.clock = obj.variable("test_clock_ns");
            this.lastFeatures = obj.variable("last_features");
            this.flows = obj.map("xdpml_flows");
            this.flowCounters = obj.map("xdpml_flow_counters");
            this.parseCounters = obj.map("xdpml_parse_counters");
            this.records = new RingBufferConsumer(obj.map("xdpml_flow_records"), rec -> listener.onRecord(
                    FlowLayout.u64(rec, FlowLayout.RECORD_TIME_NS), FlowReason.of(rec.get(FlowLayout.U32, FlowLayout.RECORD_REASON)),
                    rec.asSlice(FlowLayout.RECORD_KEY, FlowLayout.KEY_SIZE), rec.asSlice(FlowLayout.RECORD_FLOW, FlowLayout.FLOW_SIZE)));
            this.sweeper = new KernelFlowSweep(flows);
        } catch (RuntimeException e) {
            if (testRun != null) {
                testRun.close();
            }
            obj.close();
            throw e;
        }
        this.object = obj;
        this.run = testRun;
    }

    /** What the program returned for the last packet (its XDP action). */
    public int lastReturn() {
        return lastReturn;
    }

    /** The loaded object (for the pipeline's own maps and variables). */
    public BpfObject object() {
        return object;
    }

    /** The test run of the entry program (its return value is the packet's XDP action). */
    public TestRun testRun() {
        return run;
    }

    /** The kernel's feature vector of the last packet's flow (u64 each, FlowFeature order; test mode). */
    public MemorySegment lastFeatures() {
        return lastFeatures;
    }

    /** Leave records in the ring buffer until {@link #drainRecords()} (to see it fill up). */
    public KernelFlowEngine drainEveryPacket(boolean drain) {
        this.drainEveryPacket = drain;
        return this;
    }

    /** Hands every record in the ring buffer to the listener; returns how many. */
    public int drainRecords() {
        return records.drain();
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        clock.set(FlowLayout.U64, 0, timestampNanos);
        lastReturn = run.run(frame, length);
        if (drainEveryPacket) {
            records.drain();
        }
    }

    @Override
    public long evictions() {
        long live = flows.countElements(1024); // in batches: a get_next_key walk repeats itself under churn
        return counter(FlowCounter.NEW) - live - swept;
    }

    @Override
    public int sweep(long nowNanos, long lingerNanos) {
        records.drain(); // what the kernel reported comes first
        int removed = sweeper.sweep(nowNanos, config.idleTimeoutNanos(), lingerNanos, listener);
        swept += removed;
        return removed;
    }

    @Override
    public void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action) {
        KernelFlowTable.forEach(flows, action);
    }

    @Override
    public long counter(FlowCounter c) {
        return flowCounters.sumPerCpuLongs(c.id())[0];
    }

    @Override
    public ParseCounters parseCounters() {
        return io.xdpml.pipeline.ParserProgram.readCounters(parseCounters);
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
        sweeper.close();
        records.close();
        run.close();
        object.close();
    }
}
