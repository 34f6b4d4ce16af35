package io.xdpml.detect;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The detectors by name, built with their default configurations or with settings of the form
 * {@code detector.parameter=value} (a {@code Config} record component: integers, longs, decimals and text
 * such as bruteforce's list of ports;
 * a decimal must be finite: NaN and the infinities are refused, naming the setting).
 */
public final class Detectors {
    private record Kind(Class<? extends Record> configType, Supplier<Record> defaults, Function<Record, Detector> make) {}

    private static final Map<String, Kind> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put(PortScanDetector.NAME, new Kind(PortScanDetector.Config.class, PortScanDetector.Config::defaults,
                c -> new PortScanDetector((PortScanDetector.Config) c)));
        BY_NAME.put(SynFloodDetector.NAME, new Kind(SynFloodDetector.Config.class, SynFloodDetector.Config::defaults,
                c -> new SynFloodDetector((SynFloodDetector.Config) c)));
        BY_NAME.put(AmplificationDetector.NAME, new Kind(AmplificationDetector.Config.class, AmplificationDetector.Config::defaults,
                c -> new AmplificationDetector((AmplificationDetector.Config) c)));
        BY_NAME.put(DnsTunnelDetector.NAME, new Kind(DnsTunnelDetector.Config.class, DnsTunnelDetector.Config::defaults,
                c -> new DnsTunnelDetector((DnsTunnelDetector.Config) c)));
        BY_NAME.put(VolumetricDetector.NAME, new Kind(VolumetricDetector.Config.class, VolumetricDetector.Config::defaults,
                c -> new VolumetricDetector((VolumetricDetector.Config) c)));
        BY_NAME.put(AnomalyDetector.NAME, new Kind(AnomalyDetector.Config.class, AnomalyDetector.Config::defaults,
                c -> new AnomalyDetector((AnomalyDetector.Config) c)));
        BY_NAME.put(UdpScanDetector.NAME, new Kind(UdpScanDetector.Config.class, UdpScanDetector.Config::defaults,
                c -> new UdpScanDetector((UdpScanDetector.Config) c)));
        BY_NAME.put(SweepDetector.NAME, new Kind(SweepDetector.Config.class, SweepDetector.Config::defaults,
                c -> new SweepDetector((SweepDetector.Config) c)));
        BY_NAME.put(SlowScanDetector.NAME, new Kind(SlowScanDetector.Config.class, SlowScanDetector.Config::defaults,
                c -> new SlowScanDetector((SlowScanDetector.Config) c)));
        BY_NAME.put(ReflectionDetector.NAME, new Kind(ReflectionDetector.Config.class, ReflectionDetector.Config::defaults,
                c -> new ReflectionDetector((ReflectionDetector.Config) c)));
        BY_NAME.put(FloodDetector.NAME, new Kind(FloodDetector.Config.class, FloodDetector.Config::defaults,
                c -> new FloodDetector((FloodDetector.Config) c)));
        BY_NAME.put(ConnFloodDetector.NAME, new Kind(ConnFloodDetector.Config.class, ConnFloodDetector.Config::defaults,
                c -> new ConnFloodDetector((ConnFloodDetector.Config) c)));
        BY_NAME.put(SlowConnDetector.NAME, new Kind(SlowConnDetector.Config.class, SlowConnDetector.Config::defaults,
                c -> new SlowConnDetector((SlowConnDetector.Config) c)));
        BY_NAME.put(RequestFloodDetector.NAME, new Kind(RequestFloodDetector.Config.class, RequestFloodDetector.Config::defaults,
                c -> new RequestFloodDetector((RequestFloodDetector.Config) c)));
        BY_NAME.put(BruteForceDetector.NAME, new Kind(BruteForceDetector.Config.class, BruteForceDetector.Config::defaults,
                c -> new BruteForceDetector((BruteForceDetector.Config) c)));
    }

    /**
     * The detectors that count a sampled packet as the packets it stands for
     * ({@link PacketObservation#weight()}): their floors are packets, SYNs or bytes (and rates of them).
     */
    public static final List<String> WEIGHING = List.of(FloodDetector.NAME, SynFloodDetector.NAME, AmplificationDetector.NAME,
            VolumetricDetector.NAME);

    /**
     * The detectors that count distinct ports and hosts, the scans', and connflood and bruteforce, which count every new
     * connection by its SYN: they are also given the packets
     * that stand for no other (weight 0: a flow's first packet in each direction, which the agent copies besides its sample,
     * docs/agent.md, "sampling"), which the other detectors never see.
     */
    public static final List<String> DISTINCT = List.of(PortScanDetector.NAME, UdpScanDetector.NAME, SweepDetector.NAME,
            SlowScanDetector.NAME, ConnFloodDetector.NAME, BruteForceDetector.NAME);

    private Detectors() {}

    /**
     * Settings giving every named detector that works in windows (all but volumetric, which keeps
     * its buckets, and slowscan, whose horizon of epochs is meant to be long) windows of
     * {@code seconds}; for live use, where minutes-long windows would answer too late. Put the
     * user's own settings after these: later settings win.
     */
    public static List<String> windowSettings(String names, double seconds) {
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("window must be > 0 s, not " + seconds);
        }
        return settingsOf(names, "windowNanos", (long) (seconds * 1e9));
    }

    /**
     * Settings giving every named detector that can report before its window closes (portscan,
     * udpscan, sweep, synflood, flood, amplification, reflection, connflood: docs/detectors.md, "Early reports") that
     * {@code earlyNanos}; 0 turns it off. Put the user's own settings after these: later settings win.
     */
    public static List<String> earlySettings(String names, long earlyNanos) {
        if (earlyNanos < 0) {
            throw new IllegalArgumentException("early reports after " + earlyNanos + " ns: must be >= 0");
        }
        return settingsOf(names, "earlyNanos", earlyNanos);
    }

    /** {@code name.component=value} for each named detector whose configuration has that component. */
    private static List<String> settingsOf(String names, String component, long value) {
        List<String> out = new ArrayList<>();
        for (Detector d : create(names)) {
            boolean has = Arrays.stream(BY_NAME.get(d.name()).configType().getRecordComponents())
                    .anyMatch(c -> c.getName().equals(component));
            if (has) {
                out.add(d.name() + "." + component + "=" + value);
            }
        }
        return out;
    }

    /** Every detector's name. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** A new detector of each name in the comma-separated list ("all" for every one), with default configurations. */
    public static List<Detector> create(String names) {
        return create(names, List.of());
    }

    /**
     * A new detector of each name in the comma-separated list ("all" for every one), configured by
     * {@code settings} ({@code detector.parameter=value}; parameters not set keep their defaults).
     *
     * @throws IllegalArgumentException naming the unknown detector or parameter, the bad value, or the
     *         configuration the detector refuses
     */
    public static List<Detector> create(String names, List<String> settings) {
        List<String> chosen = new ArrayList<>();
        for (String raw : names.split(",")) {
            String n = raw.trim().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            if (n.equals("all")) {
                BY_NAME.keySet().stream().filter(k -> !chosen.contains(k)).forEach(chosen::add);
            } else if (!BY_NAME.containsKey(n)) {
                throw new IllegalArgumentException("unknown detector '" + raw.trim() + "' (known: " + known() + ")");
            } else if (!chosen.contains(n)) {
                chosen.add(n);
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("no detector named in '" + names + "' (known: " + known() + ")");
        }
        Map<String, Map<String, String>> byDetector = new LinkedHashMap<>();
        for (String s : settings) {
            int dot = s.indexOf('.');
            int eq = s.indexOf('=');
            if (dot <= 0 || eq < dot + 2) {
                throw new IllegalArgumentException("setting '" + s + "' is not detector.parameter=value");
            }
            String detector = s.substring(0, dot).trim().toLowerCase(Locale.ROOT);
            if (!BY_NAME.containsKey(detector)) {
                throw new IllegalArgumentException("setting '" + s + "': unknown detector '" + detector + "' (known: " + known() + ")");
            }
            if (!chosen.contains(detector)) {
                throw new IllegalArgumentException("setting '" + s + "': " + detector + " is not among the chosen detectors");
            }
            byDetector.computeIfAbsent(detector, k -> new LinkedHashMap<>()).put(s.substring(dot + 1, eq).trim(), s.substring(eq + 1).trim());
        }
        List<Detector> out = new ArrayList<>();
        for (String n : chosen) {
            Kind k = BY_NAME.get(n);
            out.add(k.make().apply(configure(n, k, byDetector.getOrDefault(n, Map.of()))));
        }
        return out;
    }

    private static String known() {
        return String.join(", ", BY_NAME.keySet()) + ", all";
    }

    private static Record configure(String detector, Kind kind, Map<String, String> set) {
        Record defaults = kind.defaults().get();
        if (set.isEmpty()) {
            return defaults;
        }
        RecordComponent[] components = kind.configType().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        Map<String, String> left = new LinkedHashMap<>(set);
        try {
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                types[i] = c.getType();
                values[i] = c.getAccessor().invoke(defaults);
                String v = left.remove(c.getName());
                if (v != null) {
                    values[i] = parse(detector, c, v);
                }
            }
            if (!left.isEmpty()) {
                String name = left.keySet().iterator().next();
                throw new IllegalArgumentException("unknown parameter '" + name + "' of " + detector + " (parameters: "
                        + String.join(", ", Arrays.stream(components).map(RecordComponent::getName).toList()) + ")");
            }
            return kind.configType().getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                // a compact constructor's message cannot show its own fields (they are set after its body: a "this" in
                // it reads all zeros), so the values refused are said here, those set first
                StringBuilder given = new StringBuilder();
                for (int i = 0; i < components.length; i++) {
                    if (set.containsKey(components[i].getName())) {
                        given.append(given.isEmpty() ? "" : ", ").append(components[i].getName()).append('=').append(values[i]);
                    }
                }
                String message = iae.getMessage() == null ? "" : iae.getMessage();
                int cut = message.indexOf(": Config[");
                throw new IllegalArgumentException((cut >= 0 ? message.substring(0, cut) : message) + " (set: " + given + "; the others "
                        + "at their defaults)", iae);
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object parse(String detector, RecordComponent c, String v) {
        if (c.getType() == String.class) {
            return v;
        }
        try {
            if (c.getType() == int.class) {
                return Integer.parseInt(v.replace("_", ""));
            }
            if (c.getType() == long.class) {
                return Long.parseLong(v.replace("_", ""));
            }
            if (c.getType() == double.class) {
                double d = Double.parseDouble(v);
                if (!Double.isFinite(d)) {
                    // the Configs check with comparisons, which NaN passes: portscan.maxReplyRatio=NaN turned the rule off
                    throw new IllegalArgumentException(detector + "." + c.getName() + ": '" + v + "' is not a finite number");
                }
                return d;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(detector + "." + c.getName() + ": '" + v + "' is not "
                    + (c.getType() == double.class ? "a number" : "an integer"));
        }
        throw new IllegalArgumentException(detector + "." + c.getName() + " cannot be set here (a " + c.getType().getSimpleName() + ")");
    }
}
