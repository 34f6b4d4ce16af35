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
 */
public final class PortScanDetector implements Detector {
    public static final String NAME = "portscan";

    /**
     * @param windowNanos         window length
     * @param minDistinctPorts    distinct destination ports that make a vertical scan
     * @param minDistinctHosts    distinct destination hosts that make a horizontal scan
     * @param maxProbesPerTarget  at most this many probes per distinct (host, port), on average
     * @param maxReplyRatio       at most this share of probes answered by a SYN-ACK
     * @param maxSources          sources tracked per window (more are counted, not tracked)
     */
    public record Config(long windowNanos, int minDistinctPorts, int minDistinctHosts, double maxProbesPerTarget, double maxReplyRatio,
            int maxSources) {
        public Config {
            if (windowNanos <= 0 || minDistinctPorts < 1 || minDistinctHosts < 1 || maxProbesPerTarget < 1 || maxReplyRatio < 0
                    || maxSources < 1) {
                throw new IllegalArgumentException("bad port scan config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 100, 50, 3.0, 0.2, 1 << 20);
        }
    }

    private static final class Source extends DistinctTargets.Counts {
        final long hi;
        final long lo;
        long first;
        long last;
        long probes;
        long synAcks;

        Source(long hi, long lo, long first) {
            this.hi = hi;
            this.lo = lo;
            this.first = first;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final LongObjectMap<Source> sources = new LongObjectMap<>(1024);
    private final DistinctTargets reached = new DistinctTargets();
    private long untracked;

    public PortScanDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
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
        if (window.endsBefore(t)) {
            close(sink);
        }
        window.enter(t);
        if (!p.isTcp()) {
            return;
        }
        int f = p.tcpFlags();
        if ((f & (PacketObservation.TCP_ACK | PacketObservation.TCP_RST)) == 0) {
            long src = p.sourceKey();
            Source s = sources.get(src);
            if (s == null) {
                if (sources.size() >= config.maxSources()) {
                    untracked++;
                    return;
                }
                s = new Source(p.sourceHi(), p.sourceLo(), t);
                sources.putNew(src, s);
            }
            s.probes++;
            s.last = t;
            reached.add(src, p.destinationKey(), p.destinationPort(), s);
        } else if (p.isSynAck()) {
            Source s = sources.get(p.destinationKey());
            if (s != null) {
                s.synAcks++;
            }
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    /** Sources not tracked because the table was full (all windows so far). */
    public long untracked() {
        return untracked;
    }

    private void close(DetectionSink sink) {
        sources.forEach(s -> {
            boolean vertical = s.ports >= config.minDistinctPorts();
            boolean horizontal = s.hosts >= config.minDistinctHosts();
            if (!vertical && !horizontal) {
                return;
            }
            double perTarget = (double) s.probes / s.targets;
            double replies = (double) s.synAcks / s.probes;
            if (perTarget > config.maxProbesPerTarget() || replies > config.maxReplyRatio()) {
                return;
            }
            double score = Math.max((double) s.ports / config.minDistinctPorts(), (double) s.hosts / config.minDistinctHosts());
            List<String> reasons = new ArrayList<>();
            reasons.add(Detections.count(s.ports) + " distinct destination ports on " + Detections.count(s.hosts)
                    + (s.hosts == 1 ? " host" : " hosts") + " in " + Detections.seconds(s.last - s.first));
            reasons.add(Detections.count(s.probes) + " probes (" + Detections.ratio(perTarget) + " per host:port)");
            reasons.add(Detections.count(s.synAcks) + " SYN-ACK replies (" + Detections.ratio(replies * 100) + "%)");
            String scanner = Addresses.text(s.hi, s.lo);
            sink.report(Detection.of(s.first, NAME, scanner, score, reasons, List.of(scanner)));
        });
        sources.clear();
        reached.clear();
        window.close();
    }
}
