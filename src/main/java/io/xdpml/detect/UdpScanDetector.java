package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * UDP port scans: per source, in windows of packet time, the UDP datagrams it sends (probes), the
 * distinct destination ports, hosts and (host, port) targets they reach, the ICMP port-unreachable
 * messages it receives (a closed UDP port's answer: nmap -sU reads them) and the UDP datagrams it
 * receives (answers). A source is reported when it reached at least {@code minDistinctPorts} ports
 * with at least {@code minPortsPerHost} ports per host on average (vertical: a peer-to-peer client
 * also talks to many ports, but about one per host), or at least {@code minDistinctHosts} hosts with
 * at least {@code minHostsPerPort} hosts per port (horizontal), with at most
 * {@code maxProbesPerTarget} probes per target on average and at most {@code maxReplyRatio} of its
 * probes answered by UDP (a client's requests are answered; a scan's are met by silence or
 * port-unreachable).
 *
 * <p>The vertical rule counts only the ports reached by datagrams that are not
 * {@link PacketObservation#isToEphemeralPort()} (from a port below 32768 to one at or above it: a
 * service answering a client's ephemeral ports, whose requests one way does not show): a RADIUS
 * server answering a host's 150 requests from 1812 is no vertical scan of that host. The horizontal
 * rule counts every port (a scan of BACnet's 47808 over many hosts from a low port stays one); a
 * vertical scan of ports at or above 32768 alone, sent from a port below 32768, is seen only by its
 * probes' payloads: since 2026-12-06 such a datagram (or one from below 1024 to 1024 or above) whose
 * payload repeats byte for byte the one its source sent before is a probe ({@link RepeatedPayloads}:
 * a service's answers each echo their request's ID; {@code nmap -sU -g 53}'s probes to high ports
 * are one 40-byte ONC RPC call).
 */
public final class UdpScanDetector implements Detector {
    public static final String NAME = "udpscan";

    /**
     * @param windowNanos        window length
     * @param minDistinctPorts   distinct destination ports that make a vertical scan
     * @param minPortsPerHost    and distinct ports per distinct host, on average
     * @param minDistinctHosts   distinct destination hosts that make a horizontal scan
     * @param minHostsPerPort    and distinct hosts per distinct port, on average
     * @param maxProbesPerTarget at most this many datagrams per distinct (host, port), on average
     * @param maxReplyRatio      at most this share of probes answered by a UDP datagram
     * @param maxSources         sources tracked per window (about 150 bytes each); full, a new one takes the place of the
     *                           one with fewest probes when its probes keep coming ({@link BoundedSubjects}), else it is
     *                           counted, not tracked
     * @param earlyNanos         0: report at the window's end only; more: also as soon as a source's scan holds this
     *                           long after it reached the floors ({@link EarlyLook})
     * @param maxTargets         keys kept in each of the window's four sets of distinct ports, hosts, targets and vertical
     *                           ports (9 bytes a slot, at most 2 slots a key); past it, a hash sample whose counts are
     *                           estimates ({@link DistinctTargets}; since 2026-12-06, before no cap)
     */
    public record Config(long windowNanos, int minDistinctPorts, double minPortsPerHost, int minDistinctHosts, double minHostsPerPort,
            double maxProbesPerTarget, double maxReplyRatio, int maxSources, long earlyNanos, int maxTargets) {
        public Config {
            if (windowNanos <= 0 || minDistinctPorts < 1 || minPortsPerHost < 1 || minDistinctHosts < 1 || minHostsPerPort < 1
                    || maxProbesPerTarget < 1 || maxReplyRatio < 0 || maxSources < 1 || earlyNanos < 0 || maxTargets < 1) {
                throw new IllegalArgumentException("bad UDP scan config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 100, 10, 50, 10, 10.0, 0.2, 65_536, 0, 262_144);
        }
    }

    private static final class Source extends DistinctTargets.Counts {
        final long hi;
        final long lo;
        long first;
        long last;
        long probes;
        long lastHostHi;
        long lastHostLo;
        long unreachables;
        long replies;
        /** Distinct ports of datagrams not {@link PacketObservation#isToEphemeralPort()}: what the vertical rule counts. */
        long verticalPorts;
        int verticalPortsKept;
        long verticalPortsVariance;
        long toEphemeralPorts;
        /** Datagrams that read as answers but repeat the payload before them ({@link RepeatedPayloads}): probes. */
        long repeatedPayloads;
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
    /** (source, port) of the datagrams the vertical rule counts. */
    private final SampledKeys verticalPorts;
    private final RepeatedPayloads repeats = new RepeatedPayloads();

    public UdpScanDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.sources = new BoundedSubjects<>(config.maxSources(), s -> s.probes + s.credit);
        this.reached = new DistinctTargets(config.maxTargets());
        this.verticalPorts = new SampledKeys(4096, config.maxTargets());
    }

    public UdpScanDetector() {
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
        if (p.isUdp()) {
            Source to = sources.get(p.destinationKey());
            if (to != null) {
                to.replies++;
            }
            boolean answerLike = p.isServiceAnswer() || p.isToEphemeralPort();
            boolean repeated = answerLike && repeats.repeats(p);
            if (p.isServiceAnswer() && !repeated) {
                return; // an answer to a client, whose request one-way traffic may not show: no probe
            }
            long src = p.sourceKey();
            Source s = sources.get(src);
            if (s == null) {
                long credit = sources.admit(src);
                if (credit < 0) {
                    return;
                }
                s = new Source(p.sourceHi(), p.sourceLo(), t);
                s.credit = credit;
                sources.put(src, s);
            }
            s.probes++;
            s.last = t;
            if (repeated) {
                s.repeatedPayloads++;
            }
            if (p.isToEphemeralPort() && !repeated) {
                s.toEphemeralPorts++;
            } else {
                long w = verticalPorts.add(Addresses.pair(src, p.destinationPort()));
                if (w > 0) {
                    s.verticalPorts += w;
                    s.verticalPortsKept++;
                    s.verticalPortsVariance += SampledKeys.variance(w);
                }
            }
            if (reached.add(src, p.destinationKey(), p.destinationPort(), s)) {
                s.lastHostHi = p.destinationHi();
                s.lastHostLo = p.destinationLo();
            }
            if ((verticalFloor(s) || horizontalFloor(s)) && s.look.dueEarly(t, config.earlyNanos())
                    && report(s, sink)) {
                s.look.reportedEarly();
            }
        } else if (p.isPortUnreachable()) {
            Source s = sources.get(p.destinationKey());
            if (s != null) {
                s.unreachables++;
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

    /** Sources tracked in this window (for tests). */
    int tracked() {
        return sources.size();
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
        verticalPorts.clear();
        window.close();
    }

    /** At the vertical rule's floor, on a count that may be held against it ({@link SampledKeys#reaches}). */
    private boolean verticalFloor(Source s) {
        return SampledKeys.reaches(s.verticalPorts, s.verticalPortsKept, s.verticalPortsVariance, config.minDistinctPorts());
    }

    private boolean horizontalFloor(Source s) {
        return s.hostsReach(config.minDistinctHosts());
    }

    /** The largest of the window's sets of distinct ports, hosts, targets and vertical ports (for tests). */
    int largestTargetSet() {
        return Math.max(reached.largest(), verticalPorts.size());
    }

    /** Reports the source if what it sent so far is a UDP scan; whether it did. */
    private boolean report(Source s, DetectionSink sink) {
        boolean vertical = verticalFloor(s) && (double) s.verticalPorts / s.hosts >= config.minPortsPerHost();
        boolean horizontal = horizontalFloor(s) && (double) s.hosts / s.ports >= config.minHostsPerPort();
        if (!vertical && !horizontal) {
            return false;
        }
        double perTarget = (double) s.probes / s.targets;
        double replies = (double) s.replies / s.probes;
        if (perTarget > config.maxProbesPerTarget() || replies > config.maxReplyRatio()) {
            return false;
        }
        double score = Math.max(vertical ? (double) s.verticalPorts / config.minDistinctPorts() : 0,
                horizontal ? (double) s.hosts / config.minDistinctHosts() : 0);
        List<String> reasons = new ArrayList<>();
        reasons.add(s.reached("UDP destination ports") + " in " + Detections.seconds(s.last - s.first));
        reasons.add(Detections.count(s.probes) + " probes (" + Detections.ratio(perTarget) + " per host:port)");
        reasons.add(Detections.count(s.unreachables) + " ICMP port unreachable, " + Detections.count(s.replies) + " UDP replies ("
                + Detections.ratio(replies * 100) + "%)");
        if (s.toEphemeralPorts > 0) {
            reasons.add(Detections.count(s.toEphemeralPorts) + " datagrams from a port below " + PacketObservation.EPHEMERAL_FIRST
                    + " to ports at or above it, not counted as a vertical scan (a service answering a client's ephemeral ports)");
        }
        if (s.repeatedPayloads > 0) {
            reasons.add(Detections.count(s.repeatedPayloads) + " datagrams from a service port to a client's port repeating the payload "
                    + "before them byte for byte, counted as probes (a service's answers differ)");
        }
        String full = sources.fullReason("sources", NAME + ".maxSources");
        if (full != null) {
            reasons.add(full);
        }
        String sampled = reached.sampledReason(NAME + ".maxTargets");
        if (sampled == null) {
            sampled = verticalPorts.sampledReason("(source, port) keys of the vertical rule", NAME + ".maxTargets", "distinct ports");
        }
        if (sampled != null) {
            reasons.add(sampled);
        }
        String scanner = Addresses.text(s.hi, s.lo);
        Detection d = Detection.of(s.first, NAME, scanner, score, reasons, List.of(scanner));
        if (s.hosts == 1) {
            d = d.withTarget(new Detection.Target(Addresses.inet(s.lastHostHi, s.lastHostLo), 17, 0, 0));
        }
        sink.report(d);
        return true;
    }
}
