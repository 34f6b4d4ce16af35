package io.xdpml.demo;

import io.xdpml.detect.Detection;
import io.xdpml.gen.TrafficKind;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the demo prints, live or offline: a line per second (what reached the victim per kind),
 * each detection and block as it happens, and the summary with its verdict: every attack that
 * names its sources (flood, scan, tunnel) detected, blocked, and down to at most 1% of its peak
 * rate at the victim (before its block) in the last seconds, while at least 99% of the benign
 * packets reach the victim and no benign source is blocked. Amplification is detected with its victim named; its
 * reflectors are many and innocent, so they are not blocked (said in the summary).
 */
final class DemoReport {
    /** Seconds compared at the start and the end. */
    static final int SPAN = 3;
    private final PrintWriter out;
    private final SourceKinds kinds;
    private final KindTally tally;
    private final Map<TrafficKind, List<String>> blockedByKind = new EnumMap<>(TrafficKind.class);
    private final Map<TrafficKind, Integer> firstBlockSecond = new EnumMap<>(TrafficKind.class);
    private final Map<String, Integer> detectedKinds = new LinkedHashMap<>();

    DemoReport(PrintWriter out, SourceKinds kinds, KindTally tally) {
        this.out = out;
        this.kinds = kinds;
        this.tally = tally;
    }

    void detected(Detection d) {
        out.println("DETECTED " + d.toLine());
        detectedKinds.merge(d.detector(), 1, Integer::sum);
        out.flush();
    }

    /** A source blocked at demo second {@code second}. */
    void blocked(String source, String why, int second) {
        int k = kinds.kindOf(source);
        TrafficKind kind = k < 0 ? null : TrafficKind.values()[k];
        if (kind != null) {
            List<String> l = blockedByKind.computeIfAbsent(kind, x -> new ArrayList<>());
            if (l.contains(source)) {
                return;
            }
            l.add(source);
            firstBlockSecond.putIfAbsent(kind, second);
        }
        out.printf("BLOCKED %s (%s, %s traffic): dropped in XDP from now on%n", source, why, kind == null ? "unknown" : kind.cliName());
        out.flush();
    }

    /** The line for second {@code s}: packets that reached the victim per kind, and the drops. */
    void second(int s, long sentPerSecond, long droppedInXdp) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%4ds  sent %6d/s  reached the victim/s:", s + 1, sentPerSecond));
        for (TrafficKind k : TrafficKind.values()) {
            b.append(String.format(Locale.ROOT, " %s %d", k.cliName(), tally.reached(k, s)));
        }
        b.append(String.format(Locale.ROOT, "  | dropped in XDP %d/s", droppedInXdp));
        out.println(b);
        out.flush();
    }

    /** Prints the summary; returns whether the story held. */
    boolean summary(Map<TrafficKind, Long> sent, int seconds) {
        return summary(sent, seconds, 0);
    }

    /**
     * The same, live: {@code copiesLost} packets passed XDP but their mirror copy was lost (ring
     * full), so they reached the victim without being counted; the benign verdict allows for them.
     */
    boolean summary(Map<TrafficKind, Long> sent, int seconds, long copiesLost) {
        int lastFrom = Math.max(SPAN, seconds - SPAN);
        out.println();
        out.printf("%-14s %10s %16s %24s %18s  %s%n", "traffic", "sent", "reached victim", "peak pkt/s before block",
                "last " + SPAN + " s pkt/s", "blocked sources");
        boolean ok = true;
        List<String> verdicts = new ArrayList<>();
        for (TrafficKind k : TrafficKind.values()) {
            // the peak second up to the kind's first block (the sender ramps up in the first seconds)
            int until = Math.min(seconds, firstBlockSecond.getOrDefault(k, SPAN - 1) + 1);
            long peak = 0;
            for (int sec = 0; sec < until; sec++) {
                peak = Math.max(peak, tally.reached(k, sec));
            }
            long last = tally.reached(k, lastFrom, seconds) / Math.max(1, seconds - lastFrom);
            long reached = tally.reached(k, 0, seconds);
            long sentOfKind = sent.getOrDefault(k, 0L);
            List<String> blocked = blockedByKind.getOrDefault(k, List.of());
            out.printf(Locale.ROOT, "%-14s %10d %16d %24d %18d  %s%n", k.cliName(), sentOfKind, reached, peak, last,
                    blocked.isEmpty() ? "-" : String.join(", ", blocked));
            switch (k) {
                case BENIGN -> {
                    boolean kept = (reached + copiesLost) * 100 >= sentOfKind * 99 && blocked.isEmpty();
                    verdicts.add("benign traffic " + (kept ? "kept flowing: " + reached + " of " + sentOfKind + " packets reached the victim, no benign source blocked"
                            : "was hurt: " + reached + " of " + sentOfKind + " packets reached the victim, blocked " + blocked));
                    ok &= kept;
                }
                case AMPLIFICATION -> {
                    boolean seen = detectedKinds.containsKey("amplification");
                    verdicts.add("amplification " + (seen ? "detected (its victim named); its " : "NOT detected; its ")
                            + "reflectors are many innocent servers and are not blocked by source (a firewall rule by source port would: xdpml fw)");
                    ok &= seen;
                }
                default -> {
                    boolean mitigated = !blocked.isEmpty() && last * 100 <= Math.max(peak, 1);
                    verdicts.add(k.cliName() + (mitigated ? " detected and blocked at " + (firstBlockSecond.get(k) + 1) + " s: " + peak + " -> "
                            + last + " pkt/s at the victim" : " NOT mitigated: " + peak + " -> " + last + " pkt/s, blocked " + blocked));
                    ok &= mitigated;
                }
            }
        }
        out.println();
        if (copiesLost > 0) {
            verdicts.add("note: " + copiesLost + " packets passed XDP but their copy to Java was lost (mirror ring full): "
                    + "the counts at the victim are low by up to that many");
        }
        for (String v : verdicts) {
            out.println("  " + v);
        }
        out.println(ok ? "demo: the attacks were detected and mitigated, benign traffic kept flowing"
                : "demo: the story did not hold (see above)");
        out.flush();
        return ok;
    }
}
