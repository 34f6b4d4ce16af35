package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * Host sweeps (host discovery): per source and kind of probe, in windows of packet time, the
 * distinct hosts it probes and the answers it gets. Three kinds: ICMP echo requests (ping sweep,
 * {@code nmap -PE}), TCP SYNs (SYN ping, {@code -PS}) and bare TCP ACKs without payload (ACK ping,
 * {@code -PA}: a live host answers RST). A source is reported for a kind when it probed at least
 * {@code minDistinctHosts} hosts that way with at most {@code maxProbesPerHost} probes per host on
 * average: a sweep touches each host once or twice, a client talks to its servers again and again.
 * ACKs are counted only towards hosts the source has not exchanged a SYN or SYN-ACK with in the
 * window (an ACK sweep belongs to no connection), and a source whose ACK probes were answered by
 * more than {@code maxReplyRatio} non-RST packets is not an ACK sweeper (those are its
 * connections); a source whose SYNs were answered by more than {@code maxReplyRatio} SYN-ACKs is
 * not a SYN sweeper (a client opening connections to many servers; as portscan's rule); a TCP
 * sweep asks every host the same port or few, at least {@code minHostsPerPort} hosts per distinct
 * port (a peer-to-peer client dials each peer at its own port). Echo
 * replies do not count against an ICMP sweep (on a LAN every host may answer). The horizontal rule of {@code portscan} also reports SYN sweeps (its
 * {@code minDistinctHosts}); this detector adds ICMP and ACK and tells which kind.
 */
public final class SweepDetector implements Detector {
    public static final String NAME = "sweep";

    static final int ICMP = 0;
    static final int SYN = 1;
    static final int ACK = 2;
    private static final String[] KIND = {"ICMP echo", "TCP SYN", "TCP ACK"};

    /**
     * @param windowNanos      window length
     * @param minDistinctHosts distinct hosts probed (of one kind) that make a sweep
     * @param maxProbesPerHost at most this many probes per distinct host, on average
     * @param maxReplyRatio    at most this share of SYN probes answered by SYN-ACK, of ACK probes by anything but a RST
     * @param minHostsPerPort  TCP sweeps: at least this many hosts per distinct destination port (a sweep asks every host the same port)
     * @param maxSources       sources tracked per window (about 200 bytes each); full, a new one takes the place of the
     *                         one with fewest probes when its probes keep coming ({@link BoundedSubjects}), else it is
     *                         counted, not tracked
     * @param earlyNanos       0: report at the window's end only; more: also as soon as a source's sweep holds this
     *                         long after it reached {@code minDistinctHosts} of a kind ({@link EarlyLook})
     * @param maxConnected     host pairs that exchanged a SYN or SYN-ACK remembered per window (16 bytes each); full,
     *                         later pairs are not (counted), so their bare ACKs count as ACK probes (the reply ratio
     *                         still tells a connection's from a sweep's)
     * @param maxTargets       keys kept in the window's set of distinct (source, host) and (source, port) pairs (9 bytes a
     *                         slot, at most 2 slots a key); past it, a hash sample whose counts are estimates
     *                         ({@link SampledKeys}; since 2026-12-06, before no cap)
     */
    public record Config(long windowNanos, int minDistinctHosts, double maxProbesPerHost, double maxReplyRatio, double minHostsPerPort,
            int maxSources, long earlyNanos, int maxConnected, int maxTargets) {
        public Config {
            if (windowNanos <= 0 || minDistinctHosts < 1 || maxProbesPerHost < 1 || maxReplyRatio < 0 || minHostsPerPort < 0 || maxSources < 1
                    || earlyNanos < 0 || maxConnected < 1 || maxTargets < 1) {
                throw new IllegalArgumentException("bad sweep config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 50, 3.0, 0.2, 5.0, 65_536, 0, 524_288, 262_144);
        }
    }

    private static final class Source {
        final long hi;
        final long lo;
        final long[] first = new long[3];
        final long[] last = new long[3];
        final long[] probes = new long[3];
        /** Distinct hosts and ports per kind: estimates once the window's pairs are sampled; the hosts' keys kept. */
        final long[] hosts = new long[3];
        final int[] hostsKept = new int[3];
        final long[] hostsVariance = new long[3];
        final long[] ports = new long[3];
        /**
         * Whether {@link #hosts}, {@link #ports} of the kind are estimates: a pair of it went to the
         * window's set while the set was sampled (since 2026-12-06, said in the reason). Else exact.
         */
        final boolean[] hostsEstimated = new boolean[3];
        final boolean[] portsEstimated = new boolean[3];
        final long[] replies = new long[3];
        final EarlyLook look = new EarlyLook();
        long ackOtherReplies;
        /** Its estimated probes before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;

        Source(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final BoundedSubjects<Source> sources;
    private final SampledKeys hosts;
    /** (source, host) pairs with a SYN or SYN-ACK between them in the window: ACKs there belong to connections. */
    private final LongHashSet connected;
    /** {@link LongHashSet#refused()} of {@link #connected} when the window opened. */
    private long connectedRefusedBefore;

    public SweepDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.sources = new BoundedSubjects<>(config.maxSources(), s -> s.probes[ICMP] + s.probes[SYN] + s.probes[ACK] + s.credit);
        this.connected = new LongHashSet(4096, config.maxConnected());
        this.hosts = new SampledKeys(4096, config.maxTargets());
    }

    public SweepDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    private static long tag(long pair, int kind) {
        return Addresses.pair(pair, kind);
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isIp()) {
            return;
        }
        long src = p.sourceKey();
        long dst = p.destinationKey();
        int kind = -1;
        if (p.isEchoRequest()) {
            kind = ICMP;
        } else if (p.isEchoReply()) {
            reply(dst, ICMP);
        } else if (p.isTcp()) {
            int f = p.tcpFlags();
            if (p.isSyn()) {
                kind = SYN;
                connected.add(Addresses.pair(src, dst));
            } else if (p.isSynAck()) {
                reply(dst, SYN);
                connected.add(Addresses.pair(dst, src));
            } else if ((f & PacketObservation.TCP_RST) != 0) {
                reply(dst, ACK);
            } else if ((f & (PacketObservation.TCP_ACK | PacketObservation.TCP_FIN | PacketObservation.TCP_PSH)) == PacketObservation.TCP_ACK
                    && p.payloadLength() == 0 && !connected.contains(Addresses.pair(src, dst))
                    && !connected.contains(Addresses.pair(dst, src))) {
                kind = ACK;
            } else {
                Source to = sources.get(dst);
                if (to != null && to.probes[ACK] > 0) {
                    to.ackOtherReplies++;
                }
            }
        }
        if (kind < 0) {
            return;
        }
        Source s = sources.get(src);
        if (s == null) {
            long credit = sources.admit(src);
            if (credit < 0) {
                return;
            }
            s = new Source(p.sourceHi(), p.sourceLo());
            s.credit = credit;
            sources.put(src, s);
        }
        if (s.probes[kind]++ == 0) {
            s.first[kind] = t;
        }
        s.last[kind] = t;
        s.hostsEstimated[kind] |= hosts.level() > 0;
        long w = hosts.add(tag(Addresses.pair(src, dst), kind));
        if (w > 0) {
            s.hosts[kind] += w;
            s.hostsKept[kind]++;
            s.hostsVariance[kind] += SampledKeys.variance(w);
        }
        if (kind != ICMP) {
            s.portsEstimated[kind] |= hosts.level() > 0; // the add above may have raised it
            s.ports[kind] += hosts.add(tag(Addresses.pair(src, -1L - p.destinationPort()), kind));
        }
        if (atFloor(s, kind) && s.look.dueEarly(t, config.earlyNanos()) && report(s, sink)) {
            s.look.reportedEarly();
        }
    }

    /** At {@code minDistinctHosts} of the kind, on a count that may be held against it ({@link SampledKeys#reaches}). */
    private boolean atFloor(Source s, int kind) {
        return SampledKeys.reaches(s.hosts[kind], s.hostsKept[kind], s.hostsVariance[kind], config.minDistinctHosts());
    }

    /** The window's set of distinct pairs (for tests). */
    SampledKeys hostSet() {
        return hosts;
    }

    private void reply(long to, int kind) {
        Source s = sources.get(to);
        if (s != null) {
            s.replies[kind]++;
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

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
    }

    private void close(DetectionSink sink) {
        sources.forEach(s -> report(s, sink));
        sources.clear();
        hosts.clear();
        connected.clear();
        connectedRefusedBefore = connected.refused();
        window.close();
    }

    /** Reports the source if what it sent so far is a sweep (of any kind); whether it did. */
    private boolean report(Source s, DetectionSink sink) {
        List<String> reasons = new ArrayList<>();
        double score = 0;
        long first = Long.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            if (!atFloor(s, k)) {
                continue;
            }
            double perHost = (double) s.probes[k] / s.hosts[k];
            if (perHost > config.maxProbesPerHost()) {
                continue;
            }
            if (k == ACK && (double) s.ackOtherReplies / s.probes[k] > config.maxReplyRatio()) {
                continue;
            }
            if (k == SYN && (double) s.replies[k] / s.probes[k] > config.maxReplyRatio()) {
                continue;
            }
            if (k != ICMP && s.hosts[k] < config.minHostsPerPort() * s.ports[k]) {
                continue; // a different port for about every host: a P2P client dialling its peers, not a sweep
            }
            score = Math.max(score, (double) s.hosts[k] / config.minDistinctHosts());
            first = Math.min(first, s.first[k]);
            long ports = Math.max(1, s.ports[k]); // a sampled estimate may be 0; one port at least was probed
            boolean hostsEstimated = s.hostsEstimated[k];
            boolean portsEstimated = k != ICMP && s.portsEstimated[k];
            reasons.add(KIND[k] + " sweep: " + Detections.count(s.hosts[k], hostsEstimated) + " distinct hosts"
                    + (k == ICMP ? "" : " on " + Detections.count(ports, portsEstimated) + (ports == 1 ? " port" : " ports"))
                    + Detections.estimated(hostsEstimated || portsEstimated) + " in "
                    + Detections.seconds(s.last[k] - s.first[k]) + ", " + Detections.count(s.probes[k]) + " probes ("
                    + Detections.ratio(perHost) + " per host), " + Detections.count(s.replies[k])
                    + (k == ICMP ? " echo replies" : k == SYN ? " SYN-ACK replies" : " RST replies"));
        }
        if (reasons.isEmpty()) {
            return false;
        }
        String full = sources.fullReason("sources", NAME + ".maxSources");
        if (full != null) {
            reasons.add(full);
        }
        String sampled = hosts.sampledReason("(source, host) and (source, port) pairs", NAME + ".maxTargets", "distinct hosts and ports");
        if (sampled != null) {
            reasons.add(sampled);
        }
        long notRemembered = connected.refused() - connectedRefusedBefore;
        if (notRemembered > 0) {
            reasons.add("table of " + Detections.count(config.maxConnected()) + " connected host pairs full (" + NAME + ".maxConnected): "
                    + Detections.count(notRemembered) + " SYNs' pairs not remembered in this window");
        }
        String sweeper = Addresses.text(s.hi, s.lo);
        sink.report(Detection.of(first, NAME, sweeper, score, reasons, List.of(sweeper)));
        return true;
    }
}
