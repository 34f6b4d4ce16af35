package io.xdpml.replay;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stage;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.Measure;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.data.LabelRules;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.util.Salts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A labeled capture replayed alone, in its own time, through the agent a configuration describes
 * ({@link AgentTwin}): what the agent dropped of each label's packets, by which stage, and what it
 * detected, blocked and measured. Packets are labeled as {@code xdpml eval} labels them (the label
 * rules, by each IP packet's flow and direction); packets without an IP header have no label and
 * are not counted, as they give no sample there.
 */
public final class CaptureReplay {
    /** The stages that drop, in the order of the data path. */
    public static final List<Stage> DROPPERS = List.of(Stage.BLOCKS, Stage.FIREWALL, Stage.MODEL);

    /** One label's packets: how many, how many dropped, by stage ({@link #DROPPERS} order), and the first drop. */
    public static final class Tally {
        long packets;
        long dropped;
        final long[] by = new long[DROPPERS.size()];
        final Map<String, Long> firewallReasons = new java.util.TreeMap<>();
        long firstPacketNs = -1;
        long firstDropNs = -1;

        public long packets() { return packets; }

        public long dropped() { return dropped; }

        public long droppedBy(Stage s) { return by[DROPPERS.indexOf(s)]; }

        /** The firewall's drops by its verdict's reason (docs/firewall.md). */
        public Map<String, Long> firewallReasons() { return firewallReasons; }

        /** Capture time from this label's first packet to its first dropped one, ns; -1 when none was dropped. */
        public long timeToFirstDrop() { return firstDropNs < 0 ? -1 : firstDropNs - firstPacketNs; }
    }

    /** What the replay of one capture gave. */
    public record Outcome(Path capture, Map<String, Tally> byLabel, List<String> detections, List<String> blocked, List<String> measures,
                          PcapFormatException damage) {
        /** Whether the capture was damaged (packets before the damage were replayed); {@link #damage()} tells where and why. */
        public boolean damaged() {
            return damage != null;
        }

        public Tally tally(String label) {
            return byLabel.getOrDefault(label, new Tally());
        }
    }

    private CaptureReplay() {}

    /** One label over every outcome: its counts added (a time to the first drop belongs to one capture: none here). */
    public static Tally sum(List<Outcome> outcomes, String label) {
        Tally s = new Tally();
        for (Outcome o : outcomes) {
            Tally t = o.tally(label);
            s.packets += t.packets;
            s.dropped += t.dropped;
            for (int i = 0; i < s.by.length; i++) {
                s.by[i] += t.by[i];
            }
            t.firewallReasons.forEach((k, v) -> s.firewallReasons.merge(k, v, Long::sum));
        }
        return s;
    }

    /** The salts' seed of {@link #run(AgentConfig, Path, LabelRules)}: {@code xdpml replay}'s default. */
    public static final long DEFAULT_SEED = 1;

    /** Replays {@code capture} through a fresh twin of the agent {@code config} describes, its salts from {@link #DEFAULT_SEED}. */
    public static Outcome run(AgentConfig config, Path capture, LabelRules rules) throws IOException {
        return run(config, capture, rules, DEFAULT_SEED);
    }

    /**
     * Replays {@code capture} through a fresh twin of the agent {@code config} describes. The salts the
     * agent's detectors draw at random come from {@code seed} ({@link Salts#seeded}), drawn afresh for
     * each capture: the same capture, configuration and seed give the same outcome, whatever was
     * replayed before it.
     */
    public static Outcome run(AgentConfig config, Path capture, LabelRules rules, long seed) throws IOException {
        return Salts.seeded(seed, () -> replay(config, capture, rules));
    }

    private static Outcome replay(AgentConfig config, Path capture, LabelRules rules) throws IOException {
        Map<String, Tally> byLabel = new LinkedHashMap<>();
        for (String l : rules.labels()) {
            byLabel.put(l, new Tally());
        }
        Recorded rec = new Recorded();
        AgentTwin twin = new AgentTwin(config, rec, Integer.MAX_VALUE);
        EthernetFramer framer = new EthernetFramer();
        PcapFormatException damage = null;
        try (JavaFlowEngine labeler = new JavaFlowEngine(FlowConfig.defaults(), TestRun.maxTestRunFrame());
             CaptureReader r = CaptureReader.open(capture)) {
            try {
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                        continue;
                    }
                    length = Math.min(length, labeler.maxFrameLength());
                    long t = r.timestampNanos();
                    labeler.packet(framer.frameSegment(), length, t);
                    String label = null;
                    if (labeler.lastUpdated() != null) {
                        FlowPacket p = labeler.lastPacket();
                        label = rules.label(capture, p.key(), p.fromA(), t);
                    }
                    PacketResult res = twin.packet(framer.frameSegment(), length, t);
                    if (label == null) {
                        continue;
                    }
                    Tally c = byLabel.get(label);
                    c.packets++;
                    if (c.firstPacketNs < 0) {
                        c.firstPacketNs = t;
                    }
                    if (res.action() == PacketResult.XDP_DROP) {
                        c.dropped++;
                        int at = DROPPERS.indexOf(res.stage());
                        if (at >= 0) {
                            c.by[at]++;
                        }
                        if (res.stage() == Stage.FIREWALL) {
                            c.firewallReasons.merge(FirewallCounter.of(res.fwReason()).jsonName(), 1L, Long::sum);
                        }
                        if (c.firstDropNs < 0) {
                            c.firstDropNs = t;
                        }
                    }
                }
            } catch (PcapFormatException e) {
                damage = e; // a damaged capture: what came before the damage counts (as xdpml eval)
            } catch (InternalError e) {
                damage = r.shrinkDamage(e); // the file shrank under the mapping
            }
        }
        twin.finish();
        return new Outcome(capture, byLabel, rec.detections, List.copyOf(rec.blocked), rec.measures, damage);
    }

    /** What the twin did, as short lines ("detector subject", sources, measures' entries). */
    private static final class Recorded implements AgentTwin.Events {
        final List<String> detections = new ArrayList<>();
        final TreeSet<String> blocked = new TreeSet<>();
        final List<String> measures = new ArrayList<>();

        @Override
        public void detected(Detection d) {
            detections.add(d.detector() + " " + d.subject());
        }

        @Override
        public void blocked(String source, Detection d, boolean again) {
            blocked.add(source);
        }

        @Override
        public void measured(Measure m, Detection d) {
            measures.add(m.entry());
        }
    }
}
