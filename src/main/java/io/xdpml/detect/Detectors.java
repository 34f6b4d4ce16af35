package io.xdpml.detect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The detectors by name, with their default configurations. */
public final class Detectors {
    private static final Map<String, Supplier<Detector>> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put(PortScanDetector.NAME, PortScanDetector::new);
        BY_NAME.put(SynFloodDetector.NAME, SynFloodDetector::new);
        BY_NAME.put(AmplificationDetector.NAME, AmplificationDetector::new);
        BY_NAME.put(DnsTunnelDetector.NAME, DnsTunnelDetector::new);
        BY_NAME.put(VolumetricDetector.NAME, VolumetricDetector::new);
        BY_NAME.put(AnomalyDetector.NAME, AnomalyDetector::new);
    }

    private Detectors() {}

    /** Every detector's name. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** A new detector of each name in the comma-separated list ("all" for every one). */
    public static List<Detector> create(String names) {
        List<Detector> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (String raw : names.split(",")) {
            String n = raw.trim().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            if (n.equals("all")) {
                for (String each : BY_NAME.keySet()) {
                    if (!seen.contains(each)) {
                        seen.add(each);
                        out.add(BY_NAME.get(each).get());
                    }
                }
                continue;
            }
            Supplier<Detector> s = BY_NAME.get(n);
            if (s == null) {
                throw new IllegalArgumentException("unknown detector '" + raw.trim() + "' (known: " + String.join(", ", BY_NAME.keySet())
                        + ", all)");
            }
            if (!seen.contains(n)) {
                seen.add(n);
                out.add(s.get());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no detector named in '" + names + "' (known: " + String.join(", ", BY_NAME.keySet()) + ", all)");
        }
        return out;
    }
}
