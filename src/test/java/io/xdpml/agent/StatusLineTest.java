package io.xdpml.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The summary's latency percentiles: the whole run's, and apart from them those past the start
 * (the seconds that begin {@link StatusLine#WARM_UP_NANOS} or more after the first second with
 * packets in Java). The takes are the agent's once a second, with the recorders' histograms as
 * {@link StatusLine#sample} passes them.
 */
class StatusLineTest {
    private static final long S = 1_000_000_000L;

    /** A histogram of {@code count} values of {@code micros} us (ns recorded, as the processor does). */
    private static Histogram of(long micros, int count) {
        Histogram h = new Histogram(3_600_000_000_000L, 2);
        h.recordValueWithCount(micros * 1000, count);
        return h;
    }

    /** The p50, p99, p99.9 (us) after {@code label} in {@code text}. */
    private static double[] percentiles(String text, String label) {
        Matcher m = Pattern.compile(Pattern.quote(label) + " p50 ([0-9.]+) p99 ([0-9.]+) p99\\.9 ([0-9.]+) us").matcher(text);
        assertTrue(m.find(), label + " in " + text);
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))};
    }

    /** Within HdrHistogram's 2 significant digits (1%) of {@code expected}. */
    private static void near(double expected, double actual, String what) {
        assertTrue(Math.abs(actual - expected) <= expected * 0.011, String.format(Locale.ROOT, "%s: %.2f, not %.2f", what, actual, expected));
    }

    private static void near(double[] expected, double[] actual, String what) {
        for (int i = 0; i < 3; i++) {
            near(expected[i], actual[i], what + " " + new String[] {"p50", "p99", "p99.9"}[i]);
        }
    }

    private static Histogram none() {
        return new Histogram(3_600_000_000_000L, 2);
    }

    /**
     * The demo's shape on a loaded machine: the agent starts 4 s before the traffic; for the first
     * four seconds with packets the copies wait in the ring (the JIT warming up), then 15 us. The
     * whole run's p99 is the start's; the part past the start has none of it and says where it
     * begins (counted from the first packets, not from the agent's start).
     */
    @Test
    void theStartsTailStaysOutOfThePartPastTheStart() {
        long t0 = 1_000 * S;
        StatusLine.Latencies l = new StatusLine.Latencies(t0, StatusLine.WARM_UP_NANOS);
        for (int s = 1; s <= 4; s++) {
            l.add(t0 + s * S, none(), none()); // no traffic yet: the warm-up's clock has not started
        }
        l.add(t0 + 5 * S, of(50, 2_000), of(800_000, 2_000)); // the first second with packets (4-5 s): a backlog
        for (int s = 6; s <= 8; s++) {
            l.add(t0 + s * S, of(20, 1_000), of(400_000, 1_000)); // the backlog until 8 s, 4 s after the first packets
        }
        for (int s = 9; s <= 21; s++) {
            l.add(t0 + s * S + 3_000_000, of(1, 8_000), of(15, 8_000)); // the loop a little late, as it is
        }
        StringBuilder b = new StringBuilder();
        l.appendSummary(b);
        String text = b.toString();
        int cut = text.indexOf("; past the start (from 6.0 s after the first second with packets): in Java");
        assertTrue(cut > 0, text);
        String whole = text.substring(0, cut);
        String past = text.substring(cut);
        // 109,000 copies, 1,090 of them (1%) among the 2,000 that waited 800 ms
        near(new double[] {15, 800_000, 800_000}, percentiles(whole, "; XDP copy to Java"), "whole run, handoff");
        near(new double[] {1, 50, 50}, percentiles(whole, "; per-packet latency in Java"), "whole run, in Java");
        // the seconds that begin 6 s after the first with packets (at 4 s) or later: 10 s on, 88,000 copies of 15 us
        near(new double[] {15, 15, 15}, percentiles(past, " XDP copy to Java"), "past the start, handoff");
        near(new double[] {1, 1, 1}, percentiles(past, " in Java"), "past the start, in Java");
    }

    /** A run shorter than the warm-up has the whole run's percentiles only. */
    @Test
    void aShortRunHasNoPartPastTheStart() {
        StatusLine.Latencies l = new StatusLine.Latencies(0, StatusLine.WARM_UP_NANOS);
        for (int s = 1; s <= 6; s++) {
            l.add(s * S, of(2, 100), of(30, 100));
        }
        StringBuilder b = new StringBuilder();
        l.appendSummary(b);
        assertFalse(b.toString().contains("past the start"), b.toString());
        near(new double[] {2, 2, 2}, percentiles(b.toString(), "; per-packet latency in Java"), "in Java");
        near(new double[] {30, 30, 30}, percentiles(b.toString(), "; XDP copy to Java"), "handoff");
    }

    /** A line has the takes since the last line (several when lines are rarer than takes), then starts afresh. */
    @Test
    void aLineHasTheTakesSinceTheLastLine() {
        StatusLine.Latencies l = new StatusLine.Latencies(0, StatusLine.WARM_UP_NANOS);
        l.add(S, of(2, 100), of(30, 100));
        l.add(2 * S, of(4, 100), of(60, 100));
        StringBuilder first = new StringBuilder();
        l.appendLine(first);
        near(new double[] {2, 4, 4}, percentiles(first.toString(), "  latency"), "first line, in Java");
        near(new double[] {30, 60, 60}, percentiles(first.toString(), "  handoff"), "first line, handoff");
        l.add(3 * S, of(8, 100), none());
        StringBuilder second = new StringBuilder();
        l.appendLine(second);
        near(new double[] {8, 8, 8}, percentiles(second.toString(), "  latency"), "second line, in Java");
        assertFalse(second.toString().contains("handoff"), second.toString());
        StringBuilder third = new StringBuilder();
        l.appendLine(third);
        assertFalse(third.toString().contains("latency"), third.toString());
    }
}
