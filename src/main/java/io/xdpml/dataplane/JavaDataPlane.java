package io.xdpml.dataplane;

import io.xdpml.util.PacketSampling;
import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.JavaFirewall;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowHash;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelStage;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import io.xdpml.xsk.XskCounter;
import io.xdpml.xsk.XskMetadata;
import io.xdpml.xsk.XskMetadataReference;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Java twin of the composed XDP program (bpf/xdp_pipeline.bpf.c), stage for stage in the same
 * order, each stage through its own reference:
 *
 * <pre>
 *   parse     PacketParser, ParseCounters
 *   blocks    JavaBlocks
 *   firewall  JavaFirewall
 *   flow      JavaFlowEngine (FlowTable)
 *   model     ModelStage
 *   sample    1-in-N by a scrambled count (PacketSampling), or the flow's sampled bit (the model's drops too, when mirroring;
 *             and by packet, a firewall limit's drops: sampleFirewallDrop)
 *   deliver   rate cap (token bucket), then the mirror copy or AF_XDP (no socket in the reference)
 *   end       the default action
 * </pre>
 *
 * A capture replayed through both with the same settings gives every packet the same
 * {@link PacketResult} and both end with the same counters ({@code DataPlaneParityTest}). Not
 * thread-safe; one instance plays one CPU of the kernel (per-CPU counts such as the sampling's).
 */
public final class JavaDataPlane implements DataPlaneEngine {
    private final Stages stages;
    private final int defaultAction;
    private final PacketParser parser;
    private final ParseSummary summary = new ParseSummary();
    private final ParseCounters parseCounters = new ParseCounters();
    private final JavaBlocks blocks = new JavaBlocks();
    private final JavaFirewall firewall;
    private final JavaFlowEngine flows;
    private final ModelStage model;
    private final XskMetadataReference meta;
    private final long[] deliverCounters = new long[XskCounter.SLOTS];
    private final long[] pipeline = new long[PipelineCounters.LONGS];
    private final long[] capBucket = new long[2];
    private final long[] firstBucket = new long[2]; // the new-flow pick's (one CPU)
    private final PacketResult result = new PacketResult();
    private DeliverySettings.Values delivery = new DeliverySettings.Values(1, 0, 0);
    private long sampleBelow; // delivery.sampleBelow(), computed once per settings
    private int lastFlowHash;
    private int lastVerdict;

    /**
     * @param flow          flow table settings (used when the flow stage is on; its sampleFlowN is the
     *                      sampling by flow); no random sampling
     * @param defaultAction what a packet that no stage ended gets (cfg_action)
     */
    public JavaDataPlane(Stages stages, FlowConfig flow, int maxFrameLength, int defaultAction) {
        this(stages, flow, maxFrameLength, defaultAction, JavaFirewall.DEFAULT_CAPACITY, JavaFirewall.DEFAULT_CAPACITY);
    }

    /**
     * @param maxConnections the firewall's connection tables' capacity (xdpml_fw_ct's and xdpml_fw_ct_new's
     *                       max_entries, the agent's firewall.max-connections)
     * @param maxSources     its sources' buckets capacity (xdpml_fw_rate's, firewall.max-sources)
     */
    public JavaDataPlane(Stages stages, FlowConfig flow, int maxFrameLength, int defaultAction, int maxConnections,
                         int maxSources) {
        if (flow.samplePacketN() != 0) {
            throw new IllegalArgumentException("random packet sampling has no twin; sample in the sample stage");
        }
        this.stages = stages;
        this.defaultAction = defaultAction;
        this.parser = new PacketParser(flow.vxlanPort());
        this.firewall = new JavaFirewall(flow.vxlanPort(), maxConnections, maxSources);
        this.flows = new JavaFlowEngine(flow, maxFrameLength);
        this.model = new ModelStage(defaultAction);
        if (stages.model()) {
            flows.cachedClass(model); // a flow with a cached class skips its timing statistics, as in the kernel
        }
        this.meta = new XskMetadataReference(new PacketParser(flow.vxlanPort()));
    }

    @Override
    public Stages stages() { return stages; }

    @Override
    public void install(FirewallConfig c) { firewall.install(c); }

    @Override
    public void deploy(Deployment d) { model.deploy(d); }

    @Override
    public void delivery(DeliverySettings.Values v) {
        delivery = v;
        sampleBelow = v.sampleBelow();
    }

    @Override
    public JavaBlocks blocks() { return blocks; }

    /** The firewall stage's reference, for what Java puts in beside its configuration (measures). */
    public JavaFirewall firewall() { return firewall; }

    @Override
    public PacketResult packet(MemorySegment frame, int length, long now) {
        PacketResult r = result;
        r.reset();
        lastVerdict = 0;
        pipeline[0]++;

        // parse
        parser.parse(frame, length, summary);
        parseCounters.count(summary);

        // blocks
        if (stages.blocks()) {
            JavaBlocks.Reason why = blocks.check(frame, length, now, summary);
            if (why != JavaBlocks.Reason.NONE) {
                deliverCounters[XskCounter.BLOCKED.ordinal()]++;
                int reason = switch (why) {
                    case SOURCE -> PacketResult.BLOCK_SOURCE;
                    case FLOW -> PacketResult.BLOCK_FLOW;
                    default -> {
                        deliverCounters[XskCounter.BLOCKED_UNREADABLE.ordinal()]++;
                        yield PacketResult.BLOCK_UNREADABLE;
                    }
                };
                return leave(PacketResult.XDP_DROP, Stage.BLOCKS, reason);
            }
        }

        // firewall
        if (stages.firewall()) {
            FirewallCounter reason = firewall.packet(frame, length, now);
            r.fwReason = reason.id();
            if (reason.kind() == FirewallCounter.Kind.DROP) {
                if (stages.sample() == Stages.Sampling.BY_PACKET && stages.mirror() && reason.limitDrop() && delivery.sampleDropped()) {
                    sampleFirewallDrop(frame, length, now); // a limit's drop: sampled with the rest, as the model's
                }
                return leave(PacketResult.XDP_DROP, Stage.FIREWALL, reason.id());
            }
            if (reason.kind() == FirewallCounter.Kind.ANSWER) { // a SYN answered with a cookie (syncookie.h)
                return leave(PacketResult.XDP_TX, Stage.FIREWALL, reason.id());
            }
        }

        // flow (a flow whose class is cached and current skips its timing statistics)
        MemorySegment state = null;
        FlowPacket p = null;
        boolean first = false;
        if (stages.flow()) {
            flows.packet(frame, length, now);
            state = flows.lastUpdated();
            p = state == null ? null : flows.lastPacket();
            first = flows.lastFirst();
        }
        boolean flowSampled = state != null && state.get(ValueLayout.JAVA_BYTE, FlowLayout.SAMPLED) != 0;

        // model: the cached class, or the model run
        boolean toJava = false;
        boolean pass = false; // the class's action (pass; xsk not redirected) says XDP_PASS whatever the default
        int droppedClass = -1; // the model's drop, sampled first when mirroring
        if (stages.model()) {
            if (state == null) {
                model.untracked();
            } else {
                model.packet(state, p.key(), p.length(), p.normLength(), p.fromA());
            }
            int cls = model.lastClass();
            r.cls = cls;
            if (cls >= 0) {
                r.confidence = model.lastConfidence();
                ClassAction a = model.lastAction();
                toJava = a == ClassAction.XSK;
                pass = a == ClassAction.PASS || toJava;
                lastVerdict = XskMetadata.verdict(cls, model.lastConfidence(), toJava);
                if (a == ClassAction.DROP) {
                    if (stages.sample() == Stages.Sampling.NONE || !stages.mirror()) {
                        return leave(PacketResult.XDP_DROP, Stage.MODEL, cls);
                    }
                    droppedClass = cls;
                }
                if (toJava) {
                    pipeline[1]++;
                }
            }
        }

        // sample, deliver
        if (stages.sample() != Stages.Sampling.NONE || toJava) {
            boolean chosen = toJava;
            boolean eligible = droppedClass < 0 || delivery.sampleDropped();
            if (stages.sample() != Stages.Sampling.NONE && !chosen && eligible) {
                chosen = countAndChoose(stages.sample() == Stages.Sampling.BY_FLOW, flowSampled);
            }
            r.sampled = chosen;
            if (chosen && deliver(frame, length, now, p)) { // never for a drop: it is only sampled when mirroring
                return leave(PacketResult.XDP_REDIRECT, Stage.DELIVER, 0);
            }
            if (!chosen && stages.sample() != Stages.Sampling.NONE && stages.mirror() && eligible && first && delivery.firstPps() != 0) {
                pickFirst(frame, length, now, p); // its flow's first packet in its direction, for the scan detectors
            }
        }
        if (droppedClass >= 0) {
            return leave(PacketResult.XDP_DROP, Stage.MODEL, droppedClass);
        }
        return leave(pass ? PacketResult.XDP_PASS : defaultAction, Stage.END, 0);
    }

    /** A firewall limit's drop, sampled by packet and copied when chosen (xdp_pipeline.bpf.c, xdpml_sample_firewall_drop). */
    private void sampleFirewallDrop(MemorySegment frame, int length, long now) {
        boolean chosen = countAndChoose(false, false);
        result.sampled = chosen;
        if (chosen) {
            deliver(frame, length, now, null);
        }
    }

    /**
     * The sample stage's choice: counts the packet seen, and the chosen one sampled. By flow, the flow's
     * sampled bit decides; by packet, one in N of those seen.
     */
    private boolean countAndChoose(boolean byFlow, boolean flowSampled) {
        long seen = deliverCounters[XskCounter.SEEN.ordinal()]++;
        boolean chosen = byFlow ? flowSampled
                : PacketSampling.chosen(seen, delivery.sampleN(), sampleBelow);
        if (chosen) {
            deliverCounters[XskCounter.SAMPLED.ordinal()]++;
        }
        return chosen;
    }

    /** The deliver stage: true when redirected (never here: the reference has no sockets). */
    private boolean deliver(MemorySegment frame, int length, long now, FlowPacket p) {
        if (delivery.ratePps() != 0
                && !JavaFirewall.takeToken(capBucket, 0, now, delivery.ratePps(), delivery.rateBurst() * 1_000_000_000L)) {
            deliverCounters[XskCounter.CAPPED.ordinal()]++;
            return false;
        }
        lastFlowHash = metadataHash(frame, length, p);
        if (stages.mirror()) {
            deliverCounters[XskCounter.MIRRORED.ordinal()]++;
            result.delivered = true;
            return false;
        }
        deliverCounters[XskCounter.NO_SOCKET.ordinal()]++;
        return false;
    }

    /** The new-flow pick (deliver.h, xdpml_first_pick): copied while this CPU's bucket allows. */
    private void pickFirst(MemorySegment frame, int length, long now, FlowPacket p) {
        result.firstPick = true;
        if (!JavaFirewall.takeToken(firstBucket, 0, now, delivery.firstPps(), delivery.firstPps() * 1_000_000_000L)) {
            deliverCounters[XskCounter.FIRST_CAPPED.ordinal()]++;
            return;
        }
        lastFlowHash = metadataHash(frame, length, p);
        deliverCounters[XskCounter.FIRST_PICKED.ordinal()]++;
        result.delivered = true;
    }

    /** The flow hash a copy's metadata carries: of the flow stage's key, or of one made from the frame (xdpml_flow_meta_hash). */
    private int metadataHash(MemorySegment frame, int length, FlowPacket p) {
        return p != null ? FlowHash.metadata(p.key()) : meta.compute(frame, 0, length).flowHash();
    }

    private PacketResult leave(int action, Stage stage, int reason) {
        if (action == PacketResult.XDP_DROP) {
            pipeline[3 + stage.ordinal()]++;
        }
        pipeline[11 + (action & 7)]++;
        result.leave(action, stage, reason);
        return result;
    }

    /** The flow hash the last delivered packet's metadata carried. */
    public int lastFlowHash() { return lastFlowHash; }

    /** The metadata verdict of the last packet ({@link XskMetadata#verdict(int, int, boolean)}), 0 for none. */
    public int lastVerdict() { return lastVerdict; }

    @Override
    public PipelineCounters pipelineCounters() { return PipelineCounters.of(pipeline); }

    @Override
    public ParseCounters parseCounters() { return parseCounters; }

    @Override
    public long[] firewallCounters() {
        long[] c = new long[FirewallCounter.SLOTS];
        for (FirewallCounter f : FirewallCounter.values()) {
            c[f.id()] = firewall.counter(f);
        }
        return c;
    }

    @Override
    public long[] ruleHits(int rules) {
        long[] h = firewall.ruleHits();
        return java.util.Arrays.copyOf(h, rules);
    }

    @Override
    public long[] deliverCounters() { return deliverCounters.clone(); }

    @Override
    public io.xdpml.model.classify.ModelStats modelStats() { return model.stats(); }

    @Override
    public io.xdpml.flow.FlowEngine flows() { return flows; }

    @Override
    public void close() {}
}
