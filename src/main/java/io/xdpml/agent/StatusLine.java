package io.xdpml.agent;

import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorStats;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * {@code xdpml run}'s once-a-second line: rates since the last line (packets seen by XDP, sampled
 * to Java, handed to the callback), drops by reason, this process's CPU (100% = one core), and
 * latency percentiles of the interval (per packet in Java; with mirror delivery also from the XDP
 * copy to Java). Keeps the whole run's histograms for {@link #summary}.
 */
final class StatusLine {
    private final MlPacketProcessor processor;
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final Histogram totalLatency = new Histogram(3_600_000_000_000L, 2);
    private final Histogram totalHandoff = new Histogram(3_600_000_000_000L, 2);
    private final long start = System.nanoTime();
    private final long startCpu = os.getProcessCpuTime();
    private ProcessorStats last;
    private long lastNanos = start;
    private long lastCpu = startCpu;

    StatusLine(MlPacketProcessor processor) {
        this.processor = processor;
        this.last = processor.stats();
    }

    /** The line for the time since the last call. */
    String next() {
        ProcessorStats now = processor.stats();
        long t = System.nanoTime();
        long cpu = os.getProcessCpuTime();
        double s = Math.max(1e-9, (t - lastNanos) / 1e9);
        Histogram latency = processor.takeLatency();
        Histogram handoff = processor.takeHandoffLatency();
        totalLatency.add(latency);
        totalHandoff.add(handoff);
        StringBuilder b = new StringBuilder(200);
        b.append(String.format(Locale.ROOT, "%7.1fs  seen %s/s  to Java %s/s  detectors %s/s  drops: blocked %s/s lost %s/s capped %s/s  CPU %.0f%%",
                (t - start) / 1e9, rate(now.seen() - last.seen(), s), rate(now.received() - last.received(), s),
                rate(now.processed() - last.processed(), s), rate(now.blocked() - last.blocked(), s),
                rate(now.deliveryLost() - last.deliveryLost(), s), rate(now.rateLimited() - last.rateLimited(), s),
                (cpu - lastCpu) / 1e7 / s));
        if (now.flagged() > 0) {
            b.append("  flagged ").append(rate(now.flagged() - last.flagged(), s)).append("/s");
        }
        appendPercentiles(b, "  latency", latency);
        appendPercentiles(b, "  handoff", handoff);
        last = now;
        lastNanos = t;
        lastCpu = cpu;
        return b.toString();
    }

    /** The whole run: average CPU and latency percentiles. */
    String summary() {
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        totalLatency.add(processor.takeLatency());
        totalHandoff.add(processor.takeHandoffLatency());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "CPU %.0f%% of a core on average over %.1f s", (os.getProcessCpuTime() - startCpu) / 1e7 / s, s));
        appendPercentiles(b, "; per-packet latency in Java", totalLatency);
        appendPercentiles(b, "; XDP copy to Java", totalHandoff);
        return b.toString();
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
