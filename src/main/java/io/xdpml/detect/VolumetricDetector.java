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
 */
public final class VolumetricDetector implements Detector {
    public static final String NAME = "volumetric";

    /**
     * @param bucketNanos     bucket length
     * @param alpha           EWMA weight of the newest bucket (0..1]
     * @param minPps          packets per second that can be an attack
     * @param minBps          or bits per second
     * @param factor          times the baseline
     * @param maxDestinations destinations tracked (more are counted, not tracked)
     */
    public record Config(long bucketNanos, double alpha, double minPps, double minBps, double factor, int maxDestinations) {
        public Config {
            if (bucketNanos <= 0 || !(alpha > 0 && alpha <= 1) || minPps <= 0 || minBps <= 0 || factor < 1 || maxDestinations < 1) {
                throw new IllegalArgumentException("bad volumetric config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(1_000_000_000L, 0.1, 5_000, 100_000_000, 5, 1 << 20);
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

        Destination(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    private final Config config;
    private final double perSecond;
    private final LongObjectMap<Destination> destinations = new LongObjectMap<>(1024);
    private long untracked;

    public VolumetricDetector(Config config) {
        this.config = config;
        this.perSecond = 1e9 / config.bucketNanos();
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
        long key = p.destinationKey();
        Destination d = destinations.get(key);
        if (d == null) {
            if (destinations.size() >= config.maxDestinations()) {
                untracked++;
                return;
            }
            d = new Destination(p.destinationHi(), p.destinationLo());
            d.bucket = b;
            d.first = t;
            destinations.putNew(key, d);
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
        d.last = Math.max(d.last, t);
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        destinations.forEach(d -> close(d, sink));
    }

    /** Destinations not tracked because the table was full. */
    public long untracked() {
        return untracked;
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
            double score = Math.max(pps / config.minPps(), bps / config.minBps());
            sink.report(Detection.of(d.first, NAME, Addresses.text(d.hi, d.lo), score, reasons));
        } else {
            double a = d.buckets == 0 ? 1 : config.alpha();
            d.ewmaPps += a * (pps - d.ewmaPps);
            d.ewmaBps += a * (bps - d.ewmaBps);
        }
        d.buckets++;
        d.packets = 0;
        d.bytes = 0;
    }
}
