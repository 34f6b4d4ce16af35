package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Statistical anomalies of the whole traffic: per window of packet time (1 s by default) it
 * measures {@link Feature}s, keeps their running mean and variance ({@link Welford}) over past
 * windows (empty windows included, as zeros), and after {@code warmupWindows} reports a window in
 * which a feature lies {@code zThreshold} standard deviations or more above its mean and at least
 * {@code minPackets} packets were seen. The standard deviation is floored at
 * {@code minRelativeStd} of the mean and at 1, so a feature that never moved cannot fire on noise.
 * Reported windows stay out of the statistics. The subject is the window's heaviest destination
 * (Misra-Gries summary of {@value #HEAVY} counters).
 */
public final class AnomalyDetector implements Detector {
    public static final String NAME = "anomaly";
    static final int HEAVY = 8;

    /** What is measured per window. */
    public enum Feature {
        PACKETS("packets"), BYTES("bytes"), SOURCES("distinct sources"), DESTINATION_PORTS("distinct destination ports"),
        NEW_FLOWS("new flows"), SYNS("TCP SYNs");

        private final String text;

        Feature(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /**
     * @param windowNanos    window length
     * @param warmupWindows  windows measured before anything is reported
     * @param zThreshold     standard deviations above the mean
     * @param minRelativeStd floor of the standard deviation, as a share of the mean
     * @param minPackets     packets in a window before it can be reported
     */
    public record Config(long windowNanos, int warmupWindows, double zThreshold, double minRelativeStd, long minPackets) {
        public Config {
            if (windowNanos <= 0 || warmupWindows < 2 || zThreshold <= 0 || minRelativeStd < 0 || minPackets < 0) {
                throw new IllegalArgumentException("bad anomaly config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(1_000_000_000L, 60, 6.0, 0.1, 1000);
        }
    }

    private static final Feature[] FEATURES = Feature.values();

    private final Config config;
    private final Welford[] stats = new Welford[FEATURES.length];
    private final double[] values = new double[FEATURES.length];
    private final double[] z = new double[FEATURES.length];
    private final LongHashSet sources = new LongHashSet(1024);
    private final LongHashSet ports = new LongHashSet(1024);
    private final long[] heavyKey = new long[HEAVY];
    private final long[] heavyHi = new long[HEAVY];
    private final long[] heavyLo = new long[HEAVY];
    private final long[] heavyCount = new long[HEAVY];
    private long window = Long.MIN_VALUE;
    private long first;
    private long reported;

    public AnomalyDetector(Config config) {
        this.config = config;
        for (int i = 0; i < stats.length; i++) {
            stats[i] = new Welford();
        }
    }

    public AnomalyDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean needsFlows() {
        return true;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        long w = Math.floorDiv(t, config.windowNanos());
        if (window == Long.MIN_VALUE) {
            window = w;
            first = t;
        } else if (w > window) {
            close(sink);
            long empty = Math.min(w - window - 1, 100_000);
            for (long i = 0; i < empty; i++) {
                for (Welford s : stats) {
                    s.add(0);
                }
            }
            window = w;
            first = t;
        }
        values[Feature.PACKETS.ordinal()]++;
        values[Feature.BYTES.ordinal()] += p.wireLength();
        if (!p.isIp()) {
            return;
        }
        if (sources.add(p.sourceKey())) {
            values[Feature.SOURCES.ordinal()]++;
        }
        if ((p.isTcp() || p.isUdp()) && ports.add(((long) p.protocol() << 16) | p.destinationPort())) {
            values[Feature.DESTINATION_PORTS.ordinal()]++;
        }
        if (p.flowState() != null && ObservationBuilder.flowPackets(p) == 1) {
            values[Feature.NEW_FLOWS.ordinal()]++;
        }
        if (p.isSyn()) {
            values[Feature.SYNS.ordinal()]++;
        }
        heavy(p);
    }

    /** Misra-Gries: the destinations with the most packets in the window. */
    private void heavy(PacketObservation p) {
        long k = p.destinationKey();
        int free = -1;
        for (int i = 0; i < HEAVY; i++) {
            if (heavyCount[i] > 0 && heavyKey[i] == k) {
                heavyCount[i]++;
                return;
            }
            if (heavyCount[i] == 0 && free < 0) {
                free = i;
            }
        }
        if (free >= 0) {
            heavyKey[free] = k;
            heavyHi[free] = p.destinationHi();
            heavyLo[free] = p.destinationLo();
            heavyCount[free] = 1;
            return;
        }
        for (int i = 0; i < HEAVY; i++) {
            heavyCount[i]--;
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window != Long.MIN_VALUE) {
            close(sink);
            window = Long.MIN_VALUE;
        }
    }

    /** Windows reported so far. */
    public long reported() {
        return reported;
    }

    /** The statistics of one feature over the unreported windows so far. */
    public Welford statistics(Feature f) {
        return stats[f.ordinal()];
    }

    private void close(DetectionSink sink) {
        boolean warm = stats[0].count() >= config.warmupWindows();
        double worst = 0;
        for (int i = 0; i < FEATURES.length; i++) {
            Welford s = stats[i];
            double sd = Math.max(Math.max(s.standardDeviation(), config.minRelativeStd() * s.mean()), 1.0);
            z[i] = (values[i] - s.mean()) / sd;
            worst = Math.max(worst, z[i]);
        }
        if (warm && worst >= config.zThreshold() && values[Feature.PACKETS.ordinal()] >= config.minPackets()) {
            reported++;
            sink.report(Detection.of(first, NAME, subject(), worst / config.zThreshold(), reasons()));
        } else {
            for (int i = 0; i < FEATURES.length; i++) {
                stats[i].add(values[i]);
            }
        }
        java.util.Arrays.fill(values, 0);
        java.util.Arrays.fill(heavyCount, 0);
        sources.clear();
        ports.clear();
    }

    private String subject() {
        int top = 0;
        for (int i = 1; i < HEAVY; i++) {
            if (heavyCount[i] > heavyCount[top]) {
                top = i;
            }
        }
        return heavyCount[top] == 0 ? "all" : Addresses.text(heavyHi[top], heavyLo[top]);
    }

    private List<String> reasons() {
        List<String> r = new ArrayList<>();
        Integer[] order = new Integer[FEATURES.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(z[b], z[a]));
        for (int i : order) {
            if (z[i] < config.zThreshold()) {
                break;
            }
            r.add(String.format(Locale.ROOT, "%s %,.0f in %s (mean %,.1f, z = %.1f)", FEATURES[i].text(), values[i],
                    Detections.seconds(config.windowNanos()), stats[i].mean(), z[i]));
        }
        r.add("baseline over " + Detections.count(stats[0].count()) + " windows");
        return r;
    }
}
