package io.xdpml.agent.config;

import io.xdpml.detect.Detector;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.FloodDetector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The detectors that run in Java on the delivered packets (docs/detectors.md).
 *
 * @param enabled  detector names, each once ("all" is expanded); empty: none
 * @param window   the window of every detector that works in windows (all but volumetric and slowscan)
 * @param early    the detectors that can report before their window closes do so once a finding has held this long
 *                 (docs/detectors.md, "Early reports"); 0: at the window's end only
 * @param settings {@code detector.parameter=value}, as {@code xdpml run --set}; they win over the window and early
 */
public record DetectorsSection(List<String> enabled, Duration window, Duration early, List<String> settings) {
    /**
     * What {@code xdpml run} runs when not told: every detector but anomaly (it needs a warm-up of
     * normal traffic); flood counts ICMP alone unless told ({@link #FLOOD_PROTOCOLS}).
     */
    public static final List<String> DEFAULT_NAMES = List.of("portscan", "synflood", "amplification", "dnstunnel", "volumetric", "udpscan",
            "sweep", "slowscan", "reflection", "flood", "connflood", "slowconn", "reqflood", "bruteforce");
    /**
     * The agent's flood counts ICMP alone, unless a setting says otherwise: what the agent sees is
     * one way (what arrives), and one-way UDP at flood rates is also a QUIC download, a VXLAN peer or
     * a flow exporter, bare TCP a proxy's new connections, other protocols a tunnel
     * (docs/detectors.md, "flood"); {@code flood.protocols: 15} counts all.
     */
    public static final String FLOOD_PROTOCOLS = FloodDetector.NAME + ".protocols=" + FloodDetector.ICMP;
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(2);
    /** Long enough for most answers to come back (a scan's reply ratio counts them), short beside the window. */
    public static final Duration DEFAULT_EARLY = Duration.ofMillis(200);

    public DetectorsSection {
        enabled = List.copyOf(enabled);
        settings = List.copyOf(settings);
        Limits.positive("detectors.window", Objects.requireNonNull(window));
        if (Objects.requireNonNull(early).isNegative()) {
            throw new IllegalArgumentException("detectors.early must be 0 or more, not " + early);
        }
        if (!expand(enabled).equals(enabled)) {
            throw new IllegalArgumentException("detector names must be known, lower case and each given once: " + enabled);
        }
    }

    /** With the default {@code early}. */
    public DetectorsSection(List<String> enabled, Duration window, List<String> settings) {
        this(enabled, window, DEFAULT_EARLY, settings);
    }

    /** The defaults of {@code xdpml run}: the default detectors, 2 s windows, early reports after 200 ms, no settings. */
    public static DetectorsSection defaults() {
        return new DetectorsSection(DEFAULT_NAMES, DEFAULT_WINDOW, DEFAULT_EARLY, List.of());
    }

    /**
     * Detector names as given (any case, "all" for every one), each once, in the order given.
     *
     * @throws IllegalArgumentException naming an unknown detector and the known ones
     */
    public static List<String> expand(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String raw : names) {
            String n = raw.strip().toLowerCase(Locale.ROOT);
            if (n.equals("all")) {
                out.addAll(Detectors.names());
            } else if (Detectors.names().contains(n)) {
                out.add(n);
            } else {
                throw new IllegalArgumentException("unknown detector '" + raw + "' (known: " + String.join(", ", Detectors.names()) + ", all)");
            }
        }
        return List.copyOf(out);
    }

    /** The window and early settings, {@link #FLOOD_PROTOCOLS}, then {@code settings}: what {@link Detectors#create(String, List)} takes. */
    public List<String> allSettings() {
        if (enabled.isEmpty()) {
            return settings;
        }
        List<String> all = new ArrayList<>(Detectors.windowSettings(String.join(",", enabled), window.toNanos() / 1e9));
        all.addAll(Detectors.earlySettings(String.join(",", enabled), early.toNanos()));
        if (enabled.contains(FloodDetector.NAME)) {
            all.add(FLOOD_PROTOCOLS);
        }
        all.addAll(settings);
        return all;
    }

    /**
     * New detectors as configured.
     *
     * @throws IllegalArgumentException when a setting names a detector not enabled, or a detector refuses its settings
     */
    public List<Detector> create() {
        if (enabled.isEmpty()) {
            if (!settings.isEmpty()) {
                throw new IllegalArgumentException("detector settings " + settings + " but no detector is enabled");
            }
            return List.of();
        }
        return Detectors.create(String.join(",", enabled), allSettings());
    }

    /** {@code names} ("all" allowed) instead; settings are kept. */
    public DetectorsSection withEnabled(List<String> names) {
        return new DetectorsSection(expand(names), window, early, settings);
    }

    public DetectorsSection withWindow(Duration w) {
        return new DetectorsSection(enabled, w, early, settings);
    }

    /** Early reports after {@code e} (0: at the windows' ends only). */
    public DetectorsSection withEarly(Duration e) {
        return new DetectorsSection(enabled, window, e, settings);
    }

    /** {@code s} instead of the settings. */
    public DetectorsSection withSettings(List<String> s) {
        return new DetectorsSection(enabled, window, early, s);
    }

    /** The settings, then {@code more} (which win: later settings do). */
    public DetectorsSection plusSettings(List<String> more) {
        List<String> all = new ArrayList<>(settings);
        all.addAll(more);
        return new DetectorsSection(enabled, window, early, all);
    }

    /** @param firstPps flows' first packets per second per CPU copied besides the sample ({@link AgentConfig#firstPacketsPps()}) */
    String describe(SamplingSection sampling, long firstPps) {
        if (enabled.isEmpty()) {
            return "detectors: none";
        }
        int n = sampling.weight();
        List<String> distinct = enabled.stream().filter(Detectors.DISTINCT::contains).toList();
        return "detectors: " + String.join(", ", enabled) + " (window " + Durations.format(window)
                + (early.isZero() ? ", reports at the window's end" : ", early reports after " + Durations.format(early))
                + (enabled.contains(FloodDetector.NAME) && settings.stream().noneMatch(x -> x.startsWith(FloodDetector.NAME + ".protocols"))
                        ? ", flood counts ICMP alone" : "")
                + (n > 1 && enabled.stream().anyMatch(Detectors.WEIGHING::contains) ? ", a sampled packet counts " + n + " in "
                        + String.join(", ", enabled.stream().filter(Detectors.WEIGHING::contains).toList()) : "")
                + (firstPps > 0 && !distinct.isEmpty() ? ", flows' first packets go to " + String.join(", ", distinct) + " alone" : "")
                + censusText(enabled)
                + (settings.isEmpty() ? "" : "; " + String.join(", ", settings)) + ")";
    }

    /** Which of the enabled detectors read the flow table rather than packets, said in the summary. */
    private static String censusText(List<String> enabled) {
        List<String> census = enabled.stream()
                .filter(n -> n.equals(io.xdpml.detect.SlowConnDetector.NAME) || n.equals(io.xdpml.detect.RequestFloodDetector.NAME)).toList();
        return census.isEmpty() ? "" : ", " + String.join(" and ", census) + (census.size() == 1 ? " reads" : " read") + " the flow table";
    }
}
