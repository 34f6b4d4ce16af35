package io.xdpml.replay;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stage;
import io.xdpml.detect.Addresses;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.Measure;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.data.LabelRules;
import io.xdpml.packet.Bytes;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.util.Salts;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A labeled capture replayed alone, in its own time, through the agent a configuration describes
 * ({@link AgentTwin}): what the agent dropped of each label's packets, by which stage, and what it
 * detected, blocked and measured. Packets are labeled as {@code xdpml eval} labels them (the label
 * rules, by each IP packet's flow and direction); packets without an IP header have no label and
 * are not counted, as they give no sample there. {@link #runPerHost} gives each packet to the twin
 * of the host it arrives at instead ({@code xdpml replay --per-host}).
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

    /** What the replay of one capture gave; {@code hosts}: with {@link #runPerHost}, the hosts that had a twin (else empty). */
    public record Outcome(Path capture, Map<String, Tally> byLabel, List<String> detections, List<String> blocked, List<String> measures,
                          PcapFormatException damage, List<String> hosts) {
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
        PcapFormatException damage = read(capture, rules, (frame, length, t, n, label) -> {
            PacketResult res = twin.packet(frame, length, t);
            if (label == null) {
                return;
            }
            Tally c = byLabel.get(label);
            count(c, res);
            if (c.firstPacketNs < 0) {
                c.firstPacketNs = t;
            }
            if (res.action() == PacketResult.XDP_DROP && c.firstDropNs < 0) {
                c.firstDropNs = t;
            }
        });
        twin.finish();
        return new Outcome(capture, byLabel, rec.detections, List.copyOf(rec.blocked), rec.measures, damage, List.of());
    }

    /** A capture's frame, labeled. */
    @FunctionalInterface
    private interface LabeledFrame {
        /** Frame {@code n} (from 0) of {@code length} bytes at capture time {@code t}; {@code label} null for none (no IP header). */
        void frame(MemorySegment frame, int length, long t, long n, String label);
    }

    /**
     * Every Ethernet frame of {@code capture} in order, labeled as {@code xdpml eval} labels it (a flow
     * tracker of its own sees every frame), to {@code each}; the damage that ended the capture early, or null.
     */
    private static PcapFormatException read(Path capture, LabelRules rules, LabeledFrame each) throws IOException {
        EthernetFramer framer = new EthernetFramer();
        long n = 0;
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
                    each.frame(framer.frameSegment(), length, t, n++, label);
                }
            } catch (PcapFormatException e) {
                return e; // a damaged capture: what came before the damage counts (as xdpml eval)
            } catch (InternalError e) {
                return r.shrinkDamage(e); // the file shrank under the mapping
            }
        }
        return null;
    }

    /** The twins alive at once in {@link #runPerHost} ({@code xdpml replay --per-host}): about 12 MB each as shipped. */
    public static final int HOSTS_PER_PASS = 64;

    /** The name of the one twin every broadcast and multicast packet goes to in {@link #runPerHost}. */
    public static final String NOT_UNICAST = "broadcast/multicast";

    /**
     * Replays {@code capture} as a deployment of the agent on every host of it would see it: each IP
     * packet goes to the twin of the host it arrives at, its (outer) destination address, one fresh
     * {@link AgentTwin} per destination made at that host's first packet, in its own capture time
     * from there. Every twin's salts come from {@code seed} as the one twin's of {@link #run} do, each
     * drawn as if it were alone, so that a twin's outcome depends on its own packets only: a capture
     * with one destination gives what {@link #run} gives, and a capture gives what the one-way cuts to
     * each of its destinations, each replayed alone by {@link #run}, add up to, but for one thing: each
     * host's twin knows the host's address as its own, as the agent on it does (its firewall drops a
     * packet arriving from it that is not TCP or UDP, or would open a connection: docs/firewall.md,
     * "Forged sources"; a loopback host's twin, an agent on lo, knows none), where {@link #run}'s twin knows
     * none. Broadcast and multicast
     * packets (255.255.255.255, 224.0.0.0/4, ff00::/8) all go to one twin ({@link #NOT_UNICAST}): the
     * hosts that receive them are not in the capture, and each packet is counted once. A subnet's
     * broadcast address cannot be told without its mask: it is a host of its own. Frames without an
     * IP header go to no twin (they have no label and are not counted, as in {@link #run}).
     *
     * <p>Labels and tallies are {@link #run}'s: each labeled packet counted once, with the verdict of
     * the twin it went to. Detections, blocks and measures are each prefixed by their host ("at
     * 10.0.0.2: portscan 10.0.0.9"), hosts in the order of their first packet. At most
     * {@code hostsPerPass} twins are alive at a time: a capture with more destinations is read again
     * for each next group of them (the figures do not depend on the grouping).
     */
    public static Outcome runPerHost(AgentConfig config, Path capture, LabelRules rules, long seed, int hostsPerPass) throws IOException {
        if (hostsPerPass < 1) {
            throw new IllegalArgumentException("hosts per pass: " + hostsPerPass);
        }
        return Salts.seeded(seed, () -> replayPerHost(config, capture, rules, seed, hostsPerPass));
    }

    /** A destination: an IPv4 or IPv6 address, or every broadcast and multicast one. Reused as a probe; copied as a key. */
    private static final class Destination {
        static final int V4 = 4;
        static final int V6 = 6;
        static final int SHARED = 0;
        private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        int kind;
        long high;
        long low;

        /** The frame's outer IP destination into this, by the reference parser without VXLAN; false when it has no IP header. */
        boolean of(PacketParser parser, ParseSummary summary, MemorySegment frame, int length) {
            parser.parse(frame, length, summary);
            int l3 = summary.l3Offset();
            if (summary.has(ParseFlags.IPV4)) {
                long a = Bytes.be32(frame, l3 + 16);
                boolean shared = a == 0xffffffffL || (a >>> 28) == 0xe;
                set(shared ? SHARED : V4, 0, shared ? 0 : a);
                return true;
            }
            if (summary.has(ParseFlags.IPV6)) {
                long h = frame.get(BE_LONG, l3 + 24);
                boolean shared = (h >>> 56) == 0xff;
                set(shared ? SHARED : V6, shared ? 0 : h, shared ? 0 : frame.get(BE_LONG, l3 + 32));
                return true;
            }
            return false;
        }

        private void set(int k, long h, long l) {
            kind = k;
            high = h;
            low = l;
        }

        Destination copy() {
            Destination d = new Destination();
            d.set(kind, high, low);
            return d;
        }

        /** The host's address, or null for {@link #SHARED}. */
        java.net.InetAddress address() {
            if (kind == SHARED) {
                return null;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(kind == V4 ? 4 : 16);
            if (kind == V4) {
                b.putInt((int) low);
            } else {
                b.putLong(high).putLong(low);
            }
            try {
                return java.net.InetAddress.getByAddress(b.array());
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e); // 4 or 16 bytes are always an address
            }
        }

        /** The host's address as detections print it (dotted quad, RFC 5952). */
        String name() {
            if (kind == SHARED) {
                return NOT_UNICAST;
            }
            return kind == V4 ? Addresses.textV4((int) low) : Addresses.textV6(high, low);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Destination d && d.kind == kind && d.high == high && d.low == low;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(high * 31 + low) * 7 + kind;
        }
    }

    /** One host's twin, its own salts, and what it did, each line prefixed by the host. */
    private static final class Host extends Recorded {
        final String prefix;
        final SplittableRandom salts;
        private AgentTwin twin; // let go after finish: only what it did is kept

        Host(String name, java.net.InetAddress address, AgentConfig config, long seed) {
            this.prefix = "at " + name + ": ";
            this.salts = new SplittableRandom(seed); // as Salts.seeded(seed) starts the one twin's
            SplittableRandom was = Salts.swap(salts);
            try {
                this.twin = new AgentTwin(config, this, Integer.MAX_VALUE);
                // the host's own address, as the agent on it knows its own (docs/firewall.md, "Forged sources"); a loopback
                // host is an agent on lo, where the check is off (there the host's own packets do arrive)
                if (address != null && !address.isLoopbackAddress()) {
                    twin.plane().firewall().ownAddresses(List.of(address));
                }
            } finally {
                Salts.swap(was);
            }
        }

        PacketResult packet(MemorySegment frame, int length, long t) {
            SplittableRandom was = Salts.swap(salts);
            try {
                return twin.packet(frame, length, t);
            } finally {
                Salts.swap(was);
            }
        }

        void finish() {
            SplittableRandom was = Salts.swap(salts);
            try {
                twin.finish();
            } finally {
                Salts.swap(was);
            }
            twin = null;
        }

        @Override
        public void detected(Detection d) {
            detections.add(prefix + d.detector() + " " + d.subject());
        }

        @Override
        public void blocked(String source, Detection d, boolean again) {
            blocked.add(prefix + source);
        }

        @Override
        public void measured(Measure m, Detection d) {
            measures.add(prefix + m.entry());
        }
    }

    private static Outcome replayPerHost(AgentConfig config, Path capture, LabelRules rules, long seed, int hostsPerPass) throws IOException {
        Map<String, Tally> byLabel = new LinkedHashMap<>();
        Map<String, long[]> firsts = new java.util.HashMap<>(); // per label: the ordinals of its first packet and first drop
        for (String l : rules.labels()) {
            byLabel.put(l, new Tally());
            firsts.put(l, new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
        }
        Map<Destination, Integer> index = new java.util.HashMap<>();
        List<String> names = new ArrayList<>();
        List<java.net.InetAddress> addresses = new ArrayList<>(); // per host, null for the shared one
        List<Host> done = new ArrayList<>();
        PacketParser parser = new PacketParser(0); // the outer header: a VXLAN packet arrives at its outer destination
        ParseSummary summary = new ParseSummary();
        Destination probe = new Destination();
        PcapFormatException damage = null;
        for (int from = 0; from == 0 || from < names.size(); from += hostsPerPass) {
            Host[] live = new Host[hostsPerPass];
            int first = from;
            damage = read(capture, rules, (frame, length, t, n, label) -> {
                if (!probe.of(parser, summary, frame, length)) {
                    if (label != null) { // the labeler's parser found an IP header: so does this one
                        throw new IllegalStateException(capture + ": a labeled packet (" + n + ") without an IP destination");
                    }
                    return; // no IP header: no host, no label
                }
                Integer at = index.get(probe);
                if (at == null) {
                    at = names.size();
                    index.put(probe.copy(), at);
                    names.add(probe.name());
                    addresses.add(probe.address());
                }
                if (at < first || at >= first + hostsPerPass) {
                    return; // another pass's host
                }
                Host h = live[at - first];
                if (h == null) {
                    h = live[at - first] = new Host(names.get(at), addresses.get(at), config, seed);
                }
                PacketResult res = h.packet(frame, length, t);
                if (label != null) {
                    long[] firstOf = firsts.get(label);
                    Tally c = byLabel.get(label);
                    count(c, res);
                    if (n < firstOf[0]) {
                        firstOf[0] = n;
                        c.firstPacketNs = t;
                    }
                    if (res.action() == PacketResult.XDP_DROP && n < firstOf[1]) {
                        firstOf[1] = n;
                        c.firstDropNs = t;
                    }
                }
            });
            for (Host h : live) {
                if (h != null) {
                    h.finish();
                    done.add(h);
                }
            }
        }
        List<String> detections = new ArrayList<>();
        List<String> blocked = new ArrayList<>();
        List<String> measures = new ArrayList<>();
        for (Host h : done) { // in the order of the hosts' first packets, as the passes took them
            detections.addAll(h.detections);
            blocked.addAll(h.blocked);
            measures.addAll(h.measures);
        }
        return new Outcome(capture, byLabel, detections, List.copyOf(blocked), measures, damage, List.copyOf(names));
    }

    /** A labeled packet's verdict into its label's tally (not its times). */
    private static void count(Tally c, PacketResult res) {
        c.packets++;
        if (res.action() == PacketResult.XDP_DROP) {
            c.dropped++;
            int at = DROPPERS.indexOf(res.stage());
            if (at >= 0) {
                c.by[at]++;
            }
            if (res.stage() == Stage.FIREWALL) {
                c.firewallReasons.merge(FirewallCounter.of(res.fwReason()).jsonName(), 1L, Long::sum);
            }
        }
    }

    /** What the twin did, as short lines ("detector subject", sources, measures' entries). */
    private static class Recorded implements AgentTwin.Events {
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
