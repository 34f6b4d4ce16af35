package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * Port scans: per source, in windows of packet time, the TCP probes it sends (packets without ACK
 * and without RST: SYN, FIN, NULL and Xmas scans), the distinct destination ports and hosts they
 * reach, and the SYN-ACK replies it gets. A source is reported when it reached at least
 * {@code minDistinctPorts} ports (vertical scan) or {@code minDistinctHosts} hosts (horizontal
 * scan) with at most {@code maxProbesPerTarget} probes per (host, port) on average (a scan touches
 * each target about once, a flood hammers it) and at most {@code maxReplyRatio} of its probes
 * answered by a SYN-ACK (most ports of a scanned host are closed).
 *
 * <p>ACK scans ({@code nmap -sA}, {@code -sW}, Maimon's FIN-ACK {@code -sM}: mapping a firewall's
 * rules, each port answered RST or nothing) are counted apart, as bare ACKs (or FIN-ACKs) without
 * payload towards a host the source exchanged no SYN or SYN-ACK with in the window: they belong to
 * no connection. Only the vertical rule applies to them (an ACK sweep across hosts is
 * {@code sweep}'s), with the same limits on probes per target, and a source whose ACKs were
 * answered by more than {@code maxReplyRatio} packets other than RSTs is not scanning: those are
 * its connections (seen from the middle, the capture or the window having begun after their SYNs).
 */
public final class PortScanDetector implements Detector {
    public static final String NAME = "portscan";

    /**
     * @param windowNanos         window length
     * @param minDistinctPorts    distinct destination ports that make a vertical scan
     * @param minDistinctHosts    distinct destination hosts that make a horizontal scan
     * @param maxProbesPerTarget  at most this many probes per distinct (host, port), on average
     * @param maxReplyRatio       at most this share of probes answered by a SYN-ACK
     * @param maxSources          sources tracked per window (about 200 bytes each); full, a new one takes the place of
     *                            the one with fewest probes when its probes keep coming ({@link BoundedSubjects}), else it
     *                            is counted, not tracked
     * @param earlyNanos          0: report at the window's end only; more: also as soon as a source's scan holds this
     *                            long after it reached the floors ({@link EarlyLook})
     * @param maxConnected        host pairs that exchanged a SYN or SYN-ACK remembered per window (16 bytes each); full,
     *                            later pairs are not (counted), so their bare ACKs count as ACK probes (the reply ratio
     *                            still tells a connection's from a scan's)
     * @param maxTargets          keys kept in each of the window's six sets of distinct ports, hosts and targets (probes
     *                            and bare-ACK probes; 9 bytes a slot, at most 2 slots a key); past it, a hash sample whose
     *                            counts are estimates ({@link DistinctTargets}; since 2026-12-06, before no cap)
     */
    public record Config(long windowNanos, int minDistinctPorts, int minDistinctHosts, double maxProbesPerTarget, double maxReplyRatio,
            int maxSources, long earlyNanos, int maxConnected, int maxTargets) {
        public Config {
            if (windowNanos <= 0 || minDistinctPorts < 1 || minDistinctHosts < 1 || maxProbesPerTarget < 1 || maxReplyRatio < 0
                    || maxSources < 1 || earlyNanos < 0 || maxConnected < 1 || maxTargets < 1) {
                throw new IllegalArgumentException("bad port scan config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 100, 50, 3.0, 0.2, 65_536, 0, 524_288, 262_144);
        }
    }

    private static final class Source extends DistinctTargets.Counts {
        final long hi;
        final long lo;
        long first;
        long last;
        long probes;
        long synAcks;
        /** The bare-ACK probes, counted apart: their ports, hosts and targets. */
        final DistinctTargets.Counts ack = new DistinctTargets.Counts();
        long ackProbes;
        long ackRsts;
        long ackOtherReplies;
        /** Its estimated probes before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;
        final EarlyLook look = new EarlyLook();

        Source(long hi, long lo, long first) {
            this.hi = hi;
            this.lo = lo;
            this.first = first;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final BoundedSubjects<Source> sources;
    private final DistinctTargets reached;
    private final DistinctTargets reachedByAck;
    /** Host pairs (initiator, responder) that exchanged a SYN or SYN-ACK in the window. */
    private final LongHashSet connected;
    /** {@link LongHashSet#refused()} of {@link #connected} when the window opened. */
    private long connectedRefusedBefore;

    public PortScanDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.sources = new BoundedSubjects<>(config.maxSources(), s -> s.probes + s.ackProbes + s.credit);
        this.connected = new LongHashSet(4096, config.maxConnected());
        this.reached = new DistinctTargets(config.maxTargets());
        this.reachedByAck = new DistinctTargets(config.maxTargets());
    }

    public PortScanDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isTcp()) {
            return;
        }
        int f = p.tcpFlags();
        long src = p.sourceKey();
        long dst = p.destinationKey();
        if ((f & (PacketObservation.TCP_ACK | PacketObservation.TCP_RST)) == 0) {
            if ((f & PacketObservation.TCP_SYN) != 0) {
                connected.add(Addresses.pair(src, dst));
            }
            Source s = source(p, t);
            if (s == null) {
                return;
            }
            s.probes++;
            s.last = t;
            reached.add(src, dst, p.destinationPort(), s);
            lookEarly(s, t, sink);
        } else if (p.isSynAck()) {
            connected.add(Addresses.pair(dst, src));
            Source s = sources.get(dst);
            if (s != null) {
                s.synAcks++;
            }
        } else if ((f & (PacketObservation.TCP_RST | PacketObservation.TCP_SYN | PacketObservation.TCP_PSH | PacketObservation.TCP_URG)) == 0
                && p.payloadLength() == 0 && !connected.contains(Addresses.pair(src, dst)) && !connected.contains(Addresses.pair(dst, src))) {
            Source s = source(p, t);
            if (s == null) {
                return;
            }
            s.ackProbes++;
            s.last = t;
            reachedByAck.add(src, dst, p.destinationPort(), s.ack);
            answer(dst, false);
            lookEarly(s, t, sink);
        } else {
            answer(dst, (f & PacketObservation.TCP_RST) != 0);
        }
    }

    /** The source's entry, made at its first probe; null when the table is full (counted). */
    private Source source(PacketObservation p, long t) {
        Source s = sources.get(p.sourceKey());
        if (s == null) {
            long credit = sources.admit(p.sourceKey());
            if (credit < 0) {
                return null;
            }
            s = new Source(p.sourceHi(), p.sourceLo(), t);
            s.credit = credit;
            sources.put(p.sourceKey(), s);
        }
        return s;
    }

    /**
     * A packet towards {@code to}: an answer to its ACK probes, if it sent any. A bare ACK counts too:
     * both ends of a connection seen from its middle send them, and each is the other's answer.
     */
    private void answer(long to, boolean rst) {
        Source s = sources.get(to);
        if (s != null && s.ackProbes > 0) {
            if (rst) {
                s.ackRsts++;
            } else {
                s.ackOtherReplies++;
            }
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    /** Sources not tracked because the table was full of busier ones (all windows so far). */
    public long untracked() {
        return sources.untracked();
    }

    /** Sources that took the place of one with fewer probes (all windows so far). */
    public long evicted() {
        return sources.evicted();
    }

    /** Host pairs not remembered as connected because {@code maxConnected} was reached (all windows so far). */
    public long connectedRefused() {
        return connected.refused();
    }

    /** Sources tracked and host pairs remembered as connected in this window (for tests). */
    int tracked() {
        return sources.size();
    }

    int connectedSize() {
        return connected.size();
    }

    /** A source at or over a floor, looked at before the window closes when due. */
    private void lookEarly(Source s, long t, DetectionSink sink) {
        boolean floors = vertical(s) || horizontal(s) || ackVertical(s);
        if (floors && s.look.dueEarly(t, config.earlyNanos()) && report(s, sink)) {
            s.look.reportedEarly();
        }
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
    }

    private void close(DetectionSink sink) {
        sources.forEach(s -> report(s, sink));
        sources.clear();
        reached.clear();
        reachedByAck.clear();
        connected.clear();
        connectedRefusedBefore = connected.refused();
        window.close();
    }

    private boolean vertical(Source s) {
        return s.portsReach(config.minDistinctPorts());
    }

    private boolean horizontal(Source s) {
        return s.hostsReach(config.minDistinctHosts());
    }

    private boolean ackVertical(Source s) {
        return s.ack.portsReach(config.minDistinctPorts());
    }

    /** The largest of the window's sets of distinct ports, hosts and targets (for tests). */
    int largestTargetSet() {
        return Math.max(reached.largest(), reachedByAck.largest());
    }

    /** Reports the source if what it sent so far is a scan; whether it did. */
    private boolean report(Source s, DetectionSink sink) {
        List<String> reasons = new ArrayList<>();
        double score = 0;
        boolean vertical = vertical(s);
        boolean horizontal = horizontal(s);
        double perTarget = s.targets == 0 ? 0 : (double) s.probes / s.targets;
        double replies = s.probes == 0 ? 0 : (double) s.synAcks / s.probes;
        if ((vertical || horizontal) && perTarget <= config.maxProbesPerTarget() && replies <= config.maxReplyRatio()) {
            score = Math.max((double) s.ports / config.minDistinctPorts(), (double) s.hosts / config.minDistinctHosts());
            reasons.add(s.reached("destination ports") + " in " + Detections.seconds(s.last - s.first));
            reasons.add(Detections.count(s.probes) + " probes (" + Detections.ratio(perTarget) + " per host:port)");
            reasons.add(Detections.count(s.synAcks) + " SYN-ACK replies (" + Detections.ratio(replies * 100) + "%)");
        }
        if (ackVertical(s)) {
            double ackPerTarget = (double) s.ackProbes / s.ack.targets;
            double other = (double) s.ackOtherReplies / s.ackProbes;
            if (ackPerTarget <= config.maxProbesPerTarget() && other <= config.maxReplyRatio()) {
                score = Math.max(score, (double) s.ack.ports / config.minDistinctPorts());
                reasons.add("TCP ACK scan: " + s.ack.reached("destination ports") + ", " + Detections.count(s.ackProbes) + " bare ACKs outside any connection (" + Detections.ratio(ackPerTarget)
                        + " per host:port), " + Detections.count(s.ackRsts) + " RST replies, " + Detections.count(s.ackOtherReplies)
                        + " other answers (" + Detections.ratio(other * 100) + "%)");
            }
        }
        if (reasons.isEmpty()) {
            return false;
        }
        String full = sources.fullReason("sources", NAME + ".maxSources");
        if (full != null) {
            reasons.add(full);
        }
        for (DistinctTargets sets : List.of(reached, reachedByAck)) {
            String sampled = sets.sampledReason(NAME + ".maxTargets");
            if (sampled != null) {
                reasons.add(sampled);
                break;
            }
        }
        long notRemembered = connected.refused() - connectedRefusedBefore;
        if (notRemembered > 0) {
            reasons.add("table of " + Detections.count(config.maxConnected()) + " connected host pairs full (" + NAME + ".maxConnected): "
                    + Detections.count(notRemembered) + " SYNs' pairs not remembered in this window");
        }
        String scanner = Addresses.text(s.hi, s.lo);
        sink.report(Detection.of(s.first, NAME, scanner, score, reasons, List.of(scanner)));
        return true;
    }
}
