package io.xdpml.replay;

import io.xdpml.agent.Agent;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.dataplane.JavaDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stages;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.firewall.Measure;
import io.xdpml.firewall.MeasureSettings;
import io.xdpml.firewall.Measures;
import io.xdpml.flow.FlowConfig;
import io.xdpml.xsk.XskMetadata;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The agent a configuration describes, run on packets in their own (capture) time, without a
 * kernel: the Java twin of its XDP program ({@link JavaDataPlane}: parse, blocks, firewall, flows,
 * the model and its actions, sampling), the detectors on what the twin delivers, and what the agent
 * does with their detections: the sources they name blocked in the twin's blocks stage, firewall
 * measures (port-drop, syn-limit) put into its firewall, renewed while the detection goes on. New
 * detections are acted on every {@link Agent#POLL_NANOS} of capture time, renewals and expiry at the
 * end of each second (live: the agent's loop, in wall time). Every delivered packet reaches the
 * detectors: no copy is lost, as none is when Java keeps up. One twin per capture (per host of it,
 * {@link CaptureReplay#runPerHost}): it starts with empty tables.
 */
public final class AgentTwin {
    /** What happens at the end of each second, for a report. */
    public interface Events {
        /** The end of second {@code s} (0 from the first packet), before its detections are acted on. */
        default void secondEnding(int s) {}

        /** During second {@code s}, between its ends: its new detections are about to be acted on. */
        default void polling(int s) {}

        /** A new detection. */
        default void detected(Detection d) {}

        /** A detection reported after the last packet, too late to act on. */
        default void detectedAtEnd(Detection d) {
            detected(d);
        }

        /** A source blocked ({@code again}: after its block had expired) for what detector found. */
        default void blocked(String source, Detection d, boolean again) {}

        /** A measure put in place where none was (its renewals are not reported). */
        default void measured(Measure m, Detection d) {}

        /** Second {@code s} done: its detections acted on, expired blocks and measures swept. */
        default void secondEnded(int s) {}
    }

    private static final long SECOND = 1_000_000_000L;

    private final AgentConfig config;
    private final JavaDataPlane plane;
    private final DetectorSet detectors;
    private final NewDetections news;
    private final ObservationBuilder observations;
    private final MeasureSettings measureSettings;
    private final io.xdpml.agent.NeverBlock neverBlock;
    private final int sampleWeight;
    private final io.xdpml.agent.DeliveryShare share = new io.xdpml.agent.DeliveryShare();
    private final Events events;
    private final int lastSecond;
    private final Map<String, Long> blockedUntil = new HashMap<>();
    private final Map<String, Long> blockHits = new HashMap<>(); // the blocks' hits at the last look
    private final Map<String, Long> measuredUntil = new HashMap<>();
    private final Map<String, Long> measureHits = new HashMap<>(); // the measures' hits at the last look
    private final int quietSeconds;
    private long t0 = -1;
    private long lastPoll;
    private int current;
    private int lastPacketSecond;

    /**
     * @param lastSecond packets after this second count in it (the demo's fixed length); {@link Integer#MAX_VALUE}: none
     */
    public AgentTwin(AgentConfig config, Events events, int lastSecond) {
        this.config = config;
        this.plane = plane(config);
        this.detectors = new DetectorSet(config.detectors().create());
        this.news = new NewDetections(detectors);
        this.observations = new ObservationBuilder(detectors.needsFlows(), config.parse().vxlanPort()); // as the kernel parses
        this.measureSettings = config.mitigation().measureSettings();
        this.neverBlock = io.xdpml.agent.NeverBlock.of(config, false);
        this.sampleWeight = config.sampling().weight();
        this.events = events;
        this.lastSecond = lastSecond;
        // seconds after the last packet in which a detection may still be renewed (endOf's `since`), and one more
        this.quietSeconds = (int) (2 * config.detectors().window().toNanos() / SECOND) + 2;
    }

    /** The twin set up as the agent sets up its program (InterfacePipeline): the same stages, rules, model, sampling. */
    public static JavaDataPlane plane(AgentConfig c) {
        Stages stages = c.stages();
        FlowConfig flows = new FlowConfig(c.flows().maxFlows(), c.flows().idleTimeout().toNanos(), c.parse().vxlanPort())
                .withActiveTimeout(c.flows().activeTimeout().toNanos()).withProbation(c.flows().probationSlots())
                .withPromotionBudget(c.flows().promotionBudget()).withSampling(0, c.sampleFlowN());
        JavaDataPlane plane = new JavaDataPlane(stages, flows, io.xdpml.kernel.TestRun.maxTestRunFrame(), PacketResult.XDP_PASS,
                c.firewall().maxConnections(), c.firewall().maxSources()); // the firewall's tables bounded as the agent's maps are
        plane.install(c.firewall().rules());
        if (c.model().enabled()) {
            plane.deploy(c.model().deployment());
        }
        plane.delivery(c.deliveryValues());
        return plane;
    }

    public JavaDataPlane plane() {
        return plane;
    }

    /** The second of capture time (0 from the first packet) the packet at {@code t} belongs to. */
    public int secondOf(long t) {
        return t0 < 0 ? 0 : (int) Math.min(lastSecond, (t - t0) / SECOND);
    }

    /**
     * One Ethernet frame at capture time {@code t}: the seconds before it ended first (their
     * detections acted on), then the twin's verdict, and its copy to the detectors when delivered.
     * The result is the twin's, valid until the next packet.
     */
    public PacketResult packet(MemorySegment frame, int length, long t) {
        if (t0 < 0) {
            t0 = t;
        }
        int second = secondOf(t);
        while (current < second) {
            endOf(current++);
            if (current - lastPacketSecond > quietSeconds && current < second - 1) {
                // nothing is left to renew and no packet comes before `second`: the seconds between change
                // nothing but what expires, which the next end of a second sweeps (a capture may jump years)
                current = second - 1;
            }
        }
        lastPacketSecond = Math.max(lastPacketSecond, second);
        long poll = t0 + (t - t0) / Agent.POLL_NANOS * Agent.POLL_NANOS;
        // the agent's loop between its seconds, every poll since the last (at most a second's, endOf took the rest):
        // what the detectors reported or a window's end found is acted on at the poll the agent would act at
        for (long p = lastPoll < t0 ? poll : Math.min(poll, lastPoll + Agent.POLL_NANOS); p <= poll && p > lastPoll;
                p += Agent.POLL_NANOS) {
            lastPoll = p;
            share.update(plane.deliverCounters(), plane.pipelineCounters().toJavaForced(), 0);
            events.polling(second);
            if (detectors.censusAsked(p)) { // as the agent's poll: a census a detector asked for sooner (Detector.censusSoon)
                detectors.census(p, p, plane.flows()::forEachFlow);
            }
            detectors.advance(p - Agent.POLL_NANOS); // the agent's clock goes on without packets (Agent.advance)
            actOnNew(p);
        }
        PacketResult res = plane.packet(frame, length, t);
        if (res.delivered()) {
            // the agent's weight (Agent.weight): 0 for a flow's first packet in a direction copied besides the sample, 1 for what the
            // model sent to Java, else what the sampling makes it, times what the rate cap held back
            int weight = res.firstPick() ? 0 : share.weigh(XskMetadata.toJavaByModel(plane.lastVerdict()) ? 1 : sampleWeight);
            detectors.observe(observations.observe(frame, 0, length, t, weight));
        }
        return res;
    }

    /** After the last packet: its second ended (detections acted on), then what the detectors still held reported. */
    public void finish() {
        if (t0 >= 0) {
            endOf(current);
        }
        news.poll(true, events::detectedAtEnd);
    }

    private void endOf(int s) {
        long now = t0 + (s + 1) * SECOND;
        events.secondEnding(s);
        long block = config.mitigation().block().toNanos();
        lastPoll = now;
        share.update(plane.deliverCounters(), plane.pipelineCounters().toJavaForced(), 0);
        if (detectors.censusDue(now)) { // as the agent's report(): the flow table's live flows to slowconn
            detectors.census(now, now, plane.flows()::forEachFlow);
        }
        detectors.advance(now - Agent.POLL_NANOS); // as the agent's actOnNew: windows that ended are judged with no packet
        actOnNew(now);
        // detections still going on: their measures renewed, their sources blocked again once the block expired
        long since = now - 2 * config.detectors().window().toNanos() - SECOND;
        for (Detection d : news.recent(since)) {
            act(d, now, block);
        }
        renewBlocksStillHit(now, block);
        if (config.mitigation().measures()) {
            renewMeasuresStillHit(now);
        }
        plane.blocks().sweep(now);
        plane.firewall().sweepMeasures(now);
        events.secondEnded(s);
    }

    /** A blocked source still sending keeps its block (Agent.renewBlocksStillHit). */
    private void renewBlocksStillHit(long now, long block) {
        if (block <= 0) {
            return;
        }
        Map<String, Long> hits = new HashMap<>();
        for (io.xdpml.processor.Mitigation.Block b : plane.blocks().list()) {
            if (b.prefixLength() == b.address().getAddress().length * 8 && b.activeAt(now)) {
                hits.merge(b.address().getHostAddress(), b.hits(), Long::sum);
            }
        }
        for (Map.Entry<String, Long> e : blockedUntil.entrySet()) {
            InetAddress a = InetAddress.ofLiteral(e.getKey());
            Long h = hits.get(a.getHostAddress());
            if (h == null || h <= blockHits.getOrDefault(e.getKey(), 0L)) {
                continue;
            }
            blockHits.put(e.getKey(), h);
            plane.blocks().extendSource(a, a.getAddress().length * 8, now + block + Agent.RENEWAL_SLACK_NANOS);
            e.setValue(now + block + Agent.RENEWAL_SLACK_NANOS);
        }
    }

    /** A measure still dropping keeps going (Agent.renewMeasuresStillHit). */
    private void renewMeasuresStillHit(long now) {
        Set<String> live = new HashSet<>();
        for (Measure x : plane.firewall().measures()) {
            if (!measuredUntil.containsKey(x.entry()) || !x.activeAt(now)) {
                continue;
            }
            live.add(x.entry());
            if (x.hits() > measureHits.getOrDefault(x.entry(), 0L)) {
                measureHits.put(x.entry(), x.hits());
                Measure renewed = x.withExpiry(now + config.mitigation().measureTime().toNanos() + Agent.RENEWAL_SLACK_NANOS);
                plane.firewall().putMeasure(renewed);
                measuredUntil.put(x.entry(), renewed.expiresNanos());
            }
        }
        measureHits.keySet().retainAll(live);
    }

    private void actOnNew(long now) {
        long block = config.mitigation().block().toNanos();
        news.poll(false, d -> {
            events.detected(d);
            act(d, now, block);
        });
    }

    private void act(Detection d, long now, long block) {
        if (block > 0 && config.blocks().enabled()) {
            for (String source : d.sources()) {
                Long until = blockedUntil.get(source);
                if (until != null && now <= until) {
                    continue;
                }
                InetAddress a = InetAddress.ofLiteral(source);
                if (neverBlock.why(a) != null) {
                    continue; // as the agent (Agent.block), without this host's addresses: a capture's hosts are not this one
                }
                plane.blocks().blockSource(a, a.getAddress().length * 8, now + block);
                blockedUntil.put(source, now + block);
                blockHits.remove(source); // a block put in anew counts from 0
                events.blocked(source, d, until != null);
            }
        }
        if (!config.mitigation().measures()) {
            return;
        }
        for (Measure m : Measures.forDetection(d, measureSettings, now)) {
            Long until = measuredUntil.get(m.entry());
            plane.firewall().putMeasure(m);
            measuredUntil.put(m.entry(), m.expiresNanos());
            if (until == null || now > until) {
                events.measured(m, d);
            }
        }
    }
}
