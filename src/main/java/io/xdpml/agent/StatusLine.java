package io.xdpml.agent;

import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorStats;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * {@code xdpml run}'s once-a-second line: rates since the last line (packets seen by XDP, sampled
 * to Java, handed to the callback), drops by reason, this process's CPU (100% = one core), and
 * latency percentiles since the last line (per packet in Java; with mirror delivery also from the
 * XDP copy to Java). Keeps the whole run's histograms for {@link #summary}, and apart from them
 * those of the run past its start ({@link Latencies}): the start's tail (the JIT compiling while
 * the first copies queue in the ring) is in the whole run's percentiles, not in these.
 */
final class StatusLine {
    /**
     * The start left out of the summary's second set of percentiles: the seconds that begin this
     * long after the first second with packets in Java, or later, are kept apart. Measured on the
     * 2-CPU test machine under a load of 6-9 (2026-12-06, {@code xdpml demo} at 20,000 frames/s,
     * every packet copied): the copies queued in the mirror ring for the first 0.6-4.3 s, waiting
     * up to 1.8 s, while the JIT's compiler threads took most of the CPU and the ring's reader
     * waited for a core; from 5 s on mostly under 1 ms, at most 56 ms (docs/processor.md, "Latency").
     */
    static final long WARM_UP_NANOS = 6_000_000_000L;

    /** The loop's lateness forgiven when a second's start is set against the warm-up's end. */
    static final long SLACK_NANOS = 100_000_000L;

    private final MlPacketProcessor processor;
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final Latencies latencies;
    private final long start = System.nanoTime();
    private final long startCpu = os.getProcessCpuTime();
    private ProcessorStats last;
    private long lastNanos = start;
    private long lastCpu = startCpu;

    StatusLine(MlPacketProcessor processor) {
        this.processor = processor;
        this.last = processor.stats();
        this.latencies = new Latencies(start, WARM_UP_NANOS);
    }

    /**
     * Takes the processor's histograms since the last take into this line's: to be called once a
     * second whether lines are printed or not, so that the summary can tell the start from the rest.
     */
    void sample() {
        latencies.add(System.nanoTime(), processor.takeLatency(), processor.takeHandoffLatency());
    }

    /** The line for the time since the last call. */
    String next() {
        sample();
        ProcessorStats now = processor.stats();
        long t = System.nanoTime();
        long cpu = os.getProcessCpuTime();
        double s = Math.max(1e-9, (t - lastNanos) / 1e9);
        StringBuilder b = new StringBuilder(200);
        b.append(String.format(Locale.ROOT, "%7.1fs  seen %s/s  to Java %s/s  detectors %s/s  drops: blocked %s/s lost %s/s capped %s/s  CPU %.0f%%",
                (t - start) / 1e9, rate(now.seen() - last.seen(), s), rate(now.received() - last.received(), s),
                rate(now.processed() - last.processed(), s), rate(now.blocked() - last.blocked(), s),
                rate(now.deliveryLost() - last.deliveryLost(), s), rate(now.rateLimited() - last.rateLimited(), s),
                (cpu - lastCpu) / 1e7 / s));
        if (now.flagged() > 0) {
            b.append("  flagged ").append(rate(now.flagged() - last.flagged(), s)).append("/s");
        }
        latencies.appendLine(b);
        last = now;
        lastNanos = t;
        lastCpu = cpu;
        return b.toString();
    }

    /** The whole run: average CPU and latency percentiles, of the whole run and past its start. */
    String summary() {
        sample();
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "CPU %.0f%% of a core on average over %.1f s", (os.getProcessCpuTime() - startCpu) / 1e7 / s, s));
        latencies.appendSummary(b);
        return b.toString();
    }

    /**
     * The latency histograms: since the last line, the whole run, and the run past its start: the
     * takes whose time (since the previous take) begins {@code warmUpNanos} (less
     * {@link #SLACK_NANOS}) or more after the beginning of the first take that had packets.
     */
    static final class Latencies {
        private final long warmUpNanos;
        // since the last line, the whole run, past the start: per packet in Java, and XDP copy to Java
        private final Histogram lineLatency = histogram(), lineHandoff = histogram();
        private final Histogram totalLatency = histogram(), totalHandoff = histogram();
        private final Histogram steadyLatency = histogram(), steadyHandoff = histogram();
        private long lastTake;
        private long firstPackets = Long.MIN_VALUE; // the start of the first take with packets in it
        private long steadyFrom = Long.MIN_VALUE; // the first kept take's start, from firstPackets

        Latencies(long start, long warmUpNanos) {
            this.lastTake = start;
            this.warmUpNanos = warmUpNanos;
        }

        /** ns up to an hour, 2 significant digits: the processor's recorders' range. */
        private static Histogram histogram() {
            return new Histogram(3_600_000_000_000L, 2);
        }

        /** The histograms (ns) of the time from the last call to {@code now}. */
        void add(long now, Histogram latency, Histogram handoff) {
            long from = lastTake;
            lastTake = now;
            if (firstPackets == Long.MIN_VALUE && latency.getTotalCount() + handoff.getTotalCount() > 0) {
                firstPackets = from;
            }
            lineLatency.add(latency);
            lineHandoff.add(handoff);
            totalLatency.add(latency);
            totalHandoff.add(handoff);
            if (firstPackets != Long.MIN_VALUE && from - firstPackets >= warmUpNanos - SLACK_NANOS) {
                if (steadyFrom == Long.MIN_VALUE) {
                    steadyFrom = from - firstPackets;
                }
                steadyLatency.add(latency);
                steadyHandoff.add(handoff);
            }
        }

        /** The percentiles since the last line; starts the next line's. */
        void appendLine(StringBuilder b) {
            appendPercentiles(b, "  latency", lineLatency);
            appendPercentiles(b, "  handoff", lineHandoff);
            lineLatency.reset();
            lineHandoff.reset();
        }

        /** The whole run's percentiles, then (when it lasted longer than the warm-up) those past it. */
        void appendSummary(StringBuilder b) {
            appendPercentiles(b, "; per-packet latency in Java", totalLatency);
            appendPercentiles(b, "; XDP copy to Java", totalHandoff);
            if (steadyLatency.getTotalCount() + steadyHandoff.getTotalCount() > 0) {
                b.append(String.format(Locale.ROOT, "; past the start (from %.1f s after the first second with packets):", steadyFrom / 1e9));
                appendPercentiles(b, " in Java", steadyLatency);
                if (steadyLatency.getTotalCount() > 0 && steadyHandoff.getTotalCount() > 0) {
                    b.append(',');
                }
                appendPercentiles(b, " XDP copy to Java", steadyHandoff);
            }
        }
    }

    private static void appendPercentiles(StringBuilder b, String label, Histogram h) {
        if (h.getTotalCount() == 0) {
            return;
        }
        b.append(label).append(String.format(Locale.ROOT, " p50 %s p99 %s p99.9 %s us", us(h.getValueAtPercentile(50)),
                us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9))));
    }

    private static String us(long nanos) {
        double u = nanos / 1000.0;
        return u < 10 ? String.format(Locale.ROOT, "%.2f", u) : u < 100 ? String.format(Locale.ROOT, "%.1f", u) : String.format(Locale.ROOT, "%.0f", u);
    }

    private static String rate(long count, double seconds) {
        double r = count / seconds;
        if (r >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", r / 1e6);
        }
        if (r >= 1e4) {
            return String.format(Locale.ROOT, "%.0fk", r / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", r);
    }
}
