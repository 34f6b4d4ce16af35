package io.xdpml.demo;

import io.xdpml.demo.KindTally.Series;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.Measure;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.TrafficKind;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the demo prints, live or offline: a line per second (what reached the victim per kind), the
 * summary and its verdict. Mitigations (blocks, measures) come in as they happen, each attributed
 * to the kinds whose traffic it stops; the verdict holds when every attack kind is down to at most
 * 1% of its peak rate at the victim (the peak of the seconds up to its first mitigation, against the
 * mean of the last {@value #SPAN} seconds), at least 99% of the benign packets reached the victim,
 * and no benign source was blocked. "Reached the victim" is {@link Series#REACHED}: live, a packet
 * socket on the victim's interface (what its stack received after XDP), never the copies to Java.
 * Thread-safe: mitigations arrive on the agent's thread, lines are printed from the demo's.
 */
final class DemoReport {
    /** Seconds compared at the end. */
    static final int SPAN = 3;
    /** Seconds of the start when a kind was never mitigated. */
    static final int START = 3;
    private final PrintWriter out;
    private final SourceKinds kinds;
    private final ScenarioSettings settings;
    private final KindTally tally;
    private final Map<TrafficKind, Integer> firstMitigation = new EnumMap<>(TrafficKind.class);
    private final Map<TrafficKind, Set<String>> blockedSources = new EnumMap<>(TrafficKind.class);
    private final Map<TrafficKind, Set<String>> blockingDetectors = new EnumMap<>(TrafficKind.class);
    private final Map<TrafficKind, Set<String>> measures = new EnumMap<>(TrafficKind.class);
    private final Map<String, Integer> detections = new LinkedHashMap<>();
    private volatile int second;

    DemoReport(PrintWriter out, SourceKinds kinds, ScenarioSettings settings, KindTally tally) {
        this.out = out;
        this.kinds = kinds;
        this.settings = settings;
        this.tally = tally;
    }

    /** The demo second now (mitigations are dated with it). */
    void now(int s) {
        second = s;
    }

    synchronized void detected(Detection d) {
        detections.merge(d.detector(), 1, Integer::sum);
    }

    /** {@code source} blocked (by a detection of {@code detector}). */
    synchronized void blocked(String source, String detector) {
        int k = kinds.kindOf(source);
        if (k >= 0) {
            TrafficKind kind = TrafficKind.values()[k];
            firstMitigation.putIfAbsent(kind, second);
            blockedSources.computeIfAbsent(kind, x -> new LinkedHashSet<>()).add(source);
            blockingDetectors.computeIfAbsent(kind, x -> new LinkedHashSet<>()).add(detector);
        }
    }

    /** {@code m} installed for detection {@code d}. */
    synchronized void measured(Measure m, Detection d) {
        for (TrafficKind k : kindsHit(m)) {
            firstMitigation.putIfAbsent(k, second);
            measures.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(m.toString());
        }
    }

    /** What mitigated kind {@code k}: "blocked 10.77.0.7 (portscan)", "blocked 6 sources (synflood)", measures; empty for none. */
    private String mitigatedBy(TrafficKind k) {
        List<String> parts = new ArrayList<>();
        Set<String> sources = blockedSources.getOrDefault(k, Set.of());
        if (!sources.isEmpty()) {
            parts.add("blocked " + (sources.size() == 1 ? sources.iterator().next() : sources.size() + " sources") + " ("
                    + String.join(", ", blockingDetectors.get(k)) + ")");
        }
        parts.addAll(measures.getOrDefault(k, Set.of()));
        return String.join(", ", parts);
    }

    /** The kinds of the mix whose packets {@code m} drops (a SYN limit: their SYNs beyond its rate). */
    Set<TrafficKind> kindsHit(Measure m) {
        Set<TrafficKind> hit = EnumSet.noneOf(TrafficKind.class);
        if (m.kind() == Measure.Kind.PORT_DROP) {
            if (m.proto() == 17) {
                hit.add(TrafficKind.AMPLIFICATION); // only the reflectors send UDP from a service port
            }
            return hit;
        }
        if (m.kind() == Measure.Kind.UDP_LIMIT) {
            return hit; // the demo configures none (its mix's UDP: amplification answers, port-dropped)
        }
        if (m.port() == 0 || m.port() == settings.spoofedPort()) {
            hit.add(TrafficKind.SPOOFEDSYN);
        }
        if (m.port() == 0 || m.port() == settings.floodPort()) {
            hit.add(TrafficKind.SYNFLOOD);
        }
        if (m.kind() == Measure.Kind.BARE_SYN_DROP) {
            return hit; // the floods' SYNs carry no options (as hping3's); the scanner's and the clients' carry an MSS
        }
        if (m.port() == 0) {
            hit.add(TrafficKind.PORTSCAN);
        }
        if (m.port() == 0 || m.port() == 80 || m.port() == 8080) {
            hit.add(TrafficKind.BENIGN); // the benign clients' connections open with SYNs to 80 and 8080
        }
        return hit;
    }

    /** The line of second {@code s}: frames sent, packets that reached the victim per kind, copies to Java. */
    void second(int s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%4ds  sent %6d/s  reached the victim/s:", s + 1, tally.total(Series.SENT, s)));
        for (TrafficKind k : TrafficKind.values()) {
            b.append(String.format(Locale.ROOT, " %s %d", k.cliName(), tally.get(Series.REACHED, k, s)));
        }
        b.append(String.format(Locale.ROOT, "  | copies to Java %d/s", tally.total(Series.COPIES, s)));
        print(b.toString());
    }

    void print(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /** One kind's numbers. */
    record Row(TrafficKind kind, long sent, long reached, long copies, long peak, long end, int mitigatedAt, double modelAttack) {
        /** The end rate over the peak, in percent. */
        double percent() {
            return peak == 0 ? 0 : 100.0 * end / peak;
        }
    }

    Row row(TrafficKind k, long sent, int seconds) {
        Integer at = firstMitigation.get(k);
        // the peak: of the seconds up to the first mitigation, that one included (it was let through before it)
        int until = Math.min(seconds, (at == null ? START - 1 : at) + 1);
        long peak = 0;
        for (int s = 0; s < until; s++) {
            peak = Math.max(peak, tally.get(Series.REACHED, k, s));
        }
        int lastFrom = Math.max(0, seconds - SPAN);
        long end = Math.round(tally.get(Series.REACHED, k, lastFrom, seconds) / (double) (seconds - lastFrom));
        long classified = tally.get(Series.MODEL_CLASSIFIED, k, 0, seconds);
        double attack = classified == 0 ? Double.NaN : 100.0 * tally.get(Series.MODEL_ATTACK, k, 0, seconds) / classified;
        return new Row(k, sent, tally.get(Series.REACHED, k, 0, seconds), tally.get(Series.COPIES, k, 0, seconds), peak, end,
                at == null ? -1 : at, attack);
    }

    /**
     * Prints the summary; returns whether the story held.
     *
     * @param sent     frames the generator sent, per kind
     * @param notes    lines printed before the verdict (what the counts do not show)
     */
    synchronized boolean summary(Map<TrafficKind, Long> sent, int seconds, List<String> notes) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-14s %9s %9s %9s %10s %10s %8s %7s  %s", "traffic", "sent", "reached", "to Java",
                "peak/s", "last " + SPAN + "s/s", "end", "model", "mitigated by"));
        List<String> verdicts = new ArrayList<>();
        boolean ok = true;
        for (TrafficKind k : TrafficKind.values()) {
            Row r = row(k, sent.getOrDefault(k, 0L), seconds);
            String by = mitigatedBy(k);
            lines.add(String.format(Locale.ROOT, "%-14s %9d %9d %9d %10d %10d %8s %7s  %s", k.cliName(), r.sent(), r.reached(), r.copies(),
                    r.peak(), r.end(), k == TrafficKind.BENIGN ? "-" : String.format(Locale.ROOT, "%.2f%%", r.percent()),
                    Double.isNaN(r.modelAttack()) ? "-" : String.format(Locale.ROOT, "%.1f%%", r.modelAttack()), by.isEmpty() ? "-" : by));
            if (k == TrafficKind.BENIGN) {
                boolean kept = r.reached() * 100 >= r.sent() * 99 && by.isEmpty();
                verdicts.add(String.format(Locale.ROOT, "benign: %s %d of %d packets (%.2f%%) reached the victim%s", kept ? "kept flowing," : "HURT:",
                        r.reached(), r.sent(), r.sent() == 0 ? 0 : 100.0 * r.reached() / r.sent(), by.isEmpty() ? ", no benign source blocked"
                                : ", yet " + by));
                ok &= kept;
            } else if (r.sent() > 0) {
                boolean down = r.mitigatedAt() >= 0 && r.end() * 100 <= r.peak() && r.peak() > 0;
                verdicts.add(String.format(Locale.ROOT, "%s: %s %d -> %d pkt/s at the victim (%.2f%% of its peak)%s", k.cliName(),
                        down ? "down," : "NOT down to 1%,", r.peak(), r.end(), r.percent(),
                        r.mitigatedAt() < 0 ? ", never mitigated" : ", mitigated at " + (r.mitigatedAt() + 1) + " s"));
                ok &= down;
            }
        }
        lines.add("");
        lines.add("  sent: frames the generator sent; reached: packets the victim's stack received (a packet socket on its interface,");
        lines.add("  after XDP); to Java: copies the detectors saw; peak/s: the most that reached the victim in one second up to the");
        lines.add("  kind's first block or measure (the first " + START + " s if none); last " + SPAN + "s/s: the mean of the last " + SPAN
                + " seconds; end: last over peak,");
        lines.add("  the verdict's number (at most 1% for every attack); model: the share of its copies the tree in XDP called attack");
        lines.add("  (it only counts: an action of drop would hit the benign packets it calls attack too).");
        lines.add("");
        lines.addAll(notes.stream().map(n -> "  note: " + n).toList());
        lines.addAll(verdicts.stream().map(v -> "  " + v).toList());
        lines.add(ok ? "demo: every attack is down to at most 1% at the victim, benign traffic kept flowing"
                : "demo: the story did not hold (see above)");
        synchronized (out) {
            for (String l : lines) {
                out.println(l);
            }
            out.flush();
        }
        return ok;
    }

    Map<String, Integer> detections() {
        return Map.copyOf(detections);
    }
}
