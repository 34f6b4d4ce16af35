package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * Volumetric DDoS per destination: packets and bytes per bucket of packet time (1 s by default)
 * against the destination's own baseline, an exponentially weighted moving average of its past
 * buckets (empty buckets count as zero). A bucket is reported when it reached at least
 * {@code minPps} packets/s or {@code minBps} bits/s and is at least {@code factor} times the
 * baseline; reported buckets do not enter the baseline, so a long attack does not teach itself
 * as normal.
 *
 * <p>A report whose bucket was mostly UDP carries a target (since 2026-12-07): the destination,
 * UDP, and the port that most of its UDP went to (a weighted majority vote over the bucket: the
 * port is given only when its datagrams counted since it led are more than half, a lower bound of
 * its share, so a port that is not the majority is never given), else 0. A configured
 * {@code udp-limit} acts on it ({@code io.xdpml.firewall.Measures}).
 *
 * <p>Memory is bounded: a destination that received nothing for {@code idleBuckets} buckets is
 * forgotten (its last bucket judged first; its baseline had decayed to nothing by then:
 * (1 - alpha)^idleBuckets), and at most {@code maxDestinations} are tracked. Full, a new destination
 * takes the place of the least busy of {@value BoundedSubjects#SAMPLE} looked at in turn once its
 * packets, estimated in a {@link FrequencySketch}, are more ({@link BoundedSubjects}); else it is
 * counted in {@link #untracked()}. Until 2026-12-06 destinations were never forgotten and the first
 * 1,048,576 kept the table for the agent's lifetime.
 */
public final class VolumetricDetector implements Detector {
    public static final String NAME = "volumetric";

    /**
     * @param bucketNanos     bucket length
     * @param alpha           EWMA weight of the newest bucket (0..1]
     * @param minPps          packets per second that can be an attack
     * @param minBps          or bits per second
     * @param factor          times the baseline
     * @param maxDestinations destinations tracked (about 100 bytes each); full, the least busy gives way to a new one that
     *                        keeps receiving
     * @param idleBuckets     a destination that received nothing for this many buckets is forgotten
     */
    public record Config(long bucketNanos, double alpha, double minPps, double minBps, double factor, int maxDestinations,
            int idleBuckets) {
        public Config {
            if (bucketNanos <= 0 || !(alpha > 0 && alpha <= 1) || minPps <= 0 || minBps <= 0 || factor < 1 || maxDestinations < 1
                    || idleBuckets < 1) {
                throw new IllegalArgumentException("bad volumetric config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(1_000_000_000L, 0.1, 5_000, 100_000_000, 5, 65_536, 300);
        }
    }

    private static final class Destination {
        final long hi;
        final long lo;
        long bucket;
        long first;
        long last;
        long packets;
        long bytes;
        double ewmaPps;
        double ewmaBps;
        long buckets;
        /** Its estimated packets before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;
        /** The bucket's UDP datagrams with ports, and the majority vote over their destination ports. */
        long udp;
        int udpPort;
        long udpVote;
        /** The datagrams to udpPort since it led the vote: at most its count in the bucket. */
        long udpPortSince;

        Destination(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    private final Config config;
    private final double perSecond;
    private final BoundedSubjects<Destination> destinations;
    /** The bucket of the last look for idle destinations; Long.MIN_VALUE before the first packet. */
    private long sweptAt = Long.MIN_VALUE;
    private long forgotten;

    public VolumetricDetector(Config config) {
        this.config = config;
        this.perSecond = 1e9 / config.bucketNanos();
        this.destinations = new BoundedSubjects<>(config.maxDestinations(),
                d -> d.packets + (long) (d.ewmaPps / perSecond) + d.credit);
    }

    public VolumetricDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        if (!p.isIp()) {
            return;
        }
        long t = p.timeNanos();
        long b = Math.floorDiv(t, config.bucketNanos());
        forgetIdle(b, sink);
        long key = p.destinationKey();
        Destination d = destinations.get(key);
        if (d == null) {
            long credit = destinations.admit(key);
            if (credit < 0) {
                return;
            }
            d = new Destination(p.destinationHi(), p.destinationLo());
            d.bucket = b;
            d.first = t;
            d.credit = credit;
            destinations.put(key, d);
        } else if (b > d.bucket) {
            close(d, sink);
            long empty = Math.min(b - d.bucket - 1, 10_000); // (1 - alpha)^10000 is 0 for any useful alpha
            double keep = Math.pow(1 - config.alpha(), empty);
            d.ewmaPps *= keep;
            d.ewmaBps *= keep;
            d.buckets += empty;
            d.bucket = b;
            d.first = t;
        }
        d.packets += p.weight();
        d.bytes += (long) p.weight() * p.wireLength();
        if (p.isUdp()) {
            vote(d, p.destinationPort(), p.weight());
        }
        d.last = Math.max(d.last, t);
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        destinations.forEach(d -> close(d, sink));
    }

    /**
     * Every eighth of {@code idleBuckets} (at least every bucket) of packet time: judges the last
     * bucket of each destination idle for {@code idleBuckets} and forgets it; old estimates of the
     * admission's sketch fade.
     */
    private void forgetIdle(long b, DetectionSink sink) {
        if (sweptAt == Long.MIN_VALUE) {
            sweptAt = b;
            return;
        }
        if (b - sweptAt < Math.max(1, config.idleBuckets() / 8)) {
            return;
        }
        sweptAt = b;
        long idleBefore = b - config.idleBuckets();
        destinations.forEach(d -> {
            if (d.bucket <= idleBefore) {
                close(d, sink);
            }
        });
        forgotten += destinations.map().removeIf(d -> d.bucket <= idleBefore);
        destinations.fade();
    }

    /** A weighted Boyer-Moore vote: the leading port and a lower bound of its datagrams. */
    private static void vote(Destination d, int port, long w) {
        d.udp += w;
        if (port == d.udpPort && d.udpVote > 0) {
            d.udpVote += w;
            d.udpPortSince += w;
        } else if (d.udpVote >= w) {
            d.udpVote -= w;
        } else {
            d.udpPort = port;
            d.udpVote = w - d.udpVote;
            d.udpPortSince = w;
        }
    }

    /** Destinations not tracked because the table was full of busier ones. */
    public long untracked() {
        return destinations.untracked();
    }

    /** Destinations that took the place of a less busy one. */
    public long evicted() {
        return destinations.evicted();
    }

    /** Destinations forgotten after {@code idleBuckets} without a packet. */
    public long forgotten() {
        return forgotten;
    }

    /** Destinations tracked (for tests). */
    int tracked() {
        return destinations.size();
    }

    private void close(Destination d, DetectionSink sink) {
        if (d.packets == 0) {
            return;
        }
        double pps = d.packets * perSecond;
        double bps = d.bytes * 8 * perSecond;
        boolean high = pps >= config.minPps() || bps >= config.minBps();
        boolean above = pps >= config.factor() * d.ewmaPps || bps >= config.factor() * d.ewmaBps;
        if (high && above) {
            List<String> reasons = new ArrayList<>();
            reasons.add(Detections.count(d.packets) + " packets, " + Detections.bytes(d.bytes) + " in the "
                    + Detections.seconds(config.bucketNanos()) + " from " + Detections.timeText(d.bucket * config.bucketNanos()) + " ("
                    + Detections.rateText(pps, "packet") + ", " + Detections.rateText(bps, "bit") + ")");
            reasons.add(d.buckets == 0 ? "no baseline yet"
                    : "baseline " + Detections.rateText(d.ewmaPps, "packet") + ", " + Detections.rateText(d.ewmaBps, "bit") + " over "
                            + Detections.count(d.buckets) + " buckets");
            String full = destinations.fullReason("destinations", NAME + ".maxDestinations");
            if (full != null) {
                reasons.add(full);
            }
            double score = Math.max(pps / config.minPps(), bps / config.minBps());
            Detection.Target target = null;
            if (d.udp * 2 > d.packets) { // mostly UDP: the target, with the port most of it went to
                int port = d.udpPortSince * 2 > d.udp ? d.udpPort : 0;
                reasons.add(Detections.count(d.udp) + " UDP datagrams (" + Detections.ratio(100.0 * d.udp / d.packets) + "%), "
                        + (port != 0 ? "at least " + Detections.count(d.udpPortSince) + " of them to port " + port : "to no one port most of them"));
                target = new Detection.Target(Addresses.inet(d.hi, d.lo), 17, 0, port);
            }
            Detection out = Detection.of(d.first, NAME, Addresses.text(d.hi, d.lo), score, reasons);
            sink.report(target == null ? out : out.withTarget(target));
        } else {
            double a = d.buckets == 0 ? 1 : config.alpha();
            d.ewmaPps += a * (pps - d.ewmaPps);
            d.ewmaBps += a * (bps - d.ewmaBps);
        }
        d.buckets++;
        d.packets = 0;
        d.bytes = 0;
        d.udp = 0;
        d.udpVote = 0;
        d.udpPortSince = 0;
    }
}
