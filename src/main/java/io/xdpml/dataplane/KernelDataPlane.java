package io.xdpml.dataplane;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowEngine;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.KernelFlowEngine;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.RingBufferConsumer;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.kernel.ClassifierProgram;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.Pipelines;
import io.xdpml.processor.Mitigation;
import io.xdpml.xsk.XskMetadata;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The composed XDP program judging frames through BPF_PROG_TEST_RUN, in test mode: the packet's
 * time is the caller's ({@code test_clock_ns}) and the program keeps what it did with the last
 * packet ({@code last_result}, struct xdpml_result). Mirrored copies are drained after every
 * packet, so the ring never fills; the last copy's metadata is kept for comparison.
 *
 * <pre>
 *   struct xdpml_result: 0 u32 action  4 u16 stage  6 u16 reason  8 u16 fw_reason  10 s16 cls
 *                        12 u8 sampled  13 u8 delivered  14 u16 conf  16 u8 first_pick    (24 bytes)
 * </pre>
 */
public final class KernelDataPlane implements DataPlaneEngine {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final int MIRROR_META = 16; // struct xdpml_mirror_rec: the metadata after wire_len, cap_len, ktime_ns

    private final Stages stages;
    private final KernelFlowEngine engine;
    private final BpfObject object;
    private final MemorySegment last;
    private final FirewallMaps firewall;
    private final ClassifierProgram classifier;
    private final DeliverySettings delivery;
    private final ConfigWord word;
    private final Mitigation mitigation;
    private final RingBufferConsumer mirror;
    private final PacketResult result = new PacketResult();
    private int firewallRules;
    private int mirrored;
    private int lastFlowHash;
    private int lastVerdict;
    private boolean lastMarkedFirst;

    /**
     * @param flow          flow table settings (also cfg_vxlan_port; its sampleFlowN is the sampling by flow)
     * @param defaultAction cfg_action
     */
    public KernelDataPlane(Stages stages, FlowConfig flow, int defaultAction) {
        this.stages = stages;
        this.engine = new KernelFlowEngine(Pipelines.composed("test", stages), flow, FlowRecordListener.NONE, false, obj -> {
            obj.setConstant("cfg_action", defaultAction);
            obj.setConstant("cfg_record_result", 1);
            obj.setConstant("cfg_record_verdict", 1);
            obj.setConstant("cfg_record_class", 1);
            if (!stages.mirror()) {
                obj.setConstant("cfg_record_meta", 1);
            }
        });
        try {
            this.object = engine.object();
            this.last = object.variable("last_result");
            this.firewall = new FirewallMaps(object::map);
            this.classifier = new ClassifierProgram(object);
            this.delivery = DeliverySettings.of(object);
            this.word = firewall.configWord();
            this.mitigation = Mitigation.of(object);
            this.mirror = new RingBufferConsumer(object.map("xdpml_mirror"), rec -> {
                mirrored++;
                lastFlowHash = rec.get(U32, MIRROR_META + 4);
                lastVerdict = rec.get(U16, MIRROR_META + 12) & 0xffff;
                lastMarkedFirst = (rec.get(U16, MIRROR_META + 8) & XskMetadata.FIRST_PICK) != 0;
            });
            firewall.install(FirewallConfig.passAll());
            delivery.install(new DeliverySettings.Values(1, 0, 0), word);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    @Override
    public Stages stages() { return stages; }

    public BpfObject object() { return object; }

    public ConfigWord configWord() { return word; }

    public FirewallMaps firewallMaps() { return firewall; }

    public ClassifierProgram classifier() { return classifier; }

    public DeliverySettings deliverySettings() { return delivery; }

    /** The blocks stage's maps: add the same blocks as to the Java twin's {@link JavaBlocks}. */
    public Mitigation mitigation() { return mitigation; }

    @Override
    public void install(FirewallConfig c) {
        firewall.install(c);
        firewallRules = c.rules().size();
    }

    @Override
    public void deploy(Deployment d) { classifier.deploy(d); }

    @Override
    public void delivery(DeliverySettings.Values v) { delivery.install(v, word); }

    @Override
    public Object blocks() { return mitigation; }

    @Override
    public PacketResult packet(MemorySegment frame, int length, long now) {
        mirrored = 0;
        lastVerdict = 0;
        lastMarkedFirst = false;
        engine.packet(frame, length, now);
        mirror.drain();
        PacketResult r = result;
        r.action = engine.lastReturn();
        r.stage = Stage.of(last.get(U16, 4));
        r.reason = last.get(U16, 6) & 0xffff;
        r.fwReason = last.get(U16, 8) & 0xffff;
        r.cls = last.get(U16, 10);
        r.sampled = last.get(ValueLayout.JAVA_BYTE, 12) != 0;
        r.delivered = last.get(ValueLayout.JAVA_BYTE, 13) != 0;
        r.firstPick = last.get(ValueLayout.JAVA_BYTE, 16) != 0;
        r.confidence = last.get(U16, 14) & 0xffff;
        return r;
    }

    /** Copies the last packet put into the mirror ring (0 or 1). */
    public int mirrored() { return mirrored; }

    /** The flow hash in the metadata of the last mirrored copy. */
    public int lastFlowHash() { return lastFlowHash; }

    /** The verdict in the metadata of the last mirrored copy (class + 1 | confidence << 5, 0 for none). */
    public int lastVerdict() { return lastVerdict; }

    /** Whether the metadata of the last mirrored copy marks it as its flow's first ({@link XskMetadata#FIRST_PICK}). */
    public boolean lastMarkedFirst() { return lastMarkedFirst; }

    @Override
    public PipelineCounters pipelineCounters() {
        return PipelineCounters.of(object.map("xdpml_pipeline_stats").sumPerCpuLongs(0));
    }

    @Override
    public ParseCounters parseCounters() { return engine.parseCounters(); }

    @Override
    public long[] firewallCounters() { return firewall.counters(); }

    @Override
    public long[] ruleHits(int rules) { return firewall.ruleHits(rules); }

    @Override
    public long[] deliverCounters() { return object.map("xdpml_xsk_counters").sumPerCpuLongs(0); }

    @Override
    public ModelStats modelStats() { return classifier.stats(); }

    @Override
    public FlowEngine flows() { return engine; }

    @Override
    public void close() {
        mirror.close();
        classifier.close();
        engine.close();
    }
}
