package io.xdpml.gen;

import java.util.List;
import java.util.Locale;

/** The scenarios by name. */
public final class Scenarios {
    /** Every scenario's name: one per traffic kind, and mix. */
    public static final List<String> NAMES = List.of("benign", "synflood", "portscan", "amplification", "dnstunnel", "spoofedsyn", "mix");

    private Scenarios() {}

    /**
     * A new scenario: benign, synflood, portscan, amplification, dnstunnel, spoofedsyn, or mix (all of them
     * interleaved by the settings' shares).
     *
     * @throws IllegalArgumentException naming the known scenarios when {@code name} is none of them
     */
    public static Scenario create(String name, ScenarioSettings settings) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("mix")) {
            return new MixScenario(settings);
        }
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown scenario '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        }
        return single(TrafficKind.of(n), settings);
    }

    static Scenario single(TrafficKind kind, ScenarioSettings settings) {
        return switch (kind) {
            case BENIGN -> new BenignTraffic(settings);
            case SYNFLOOD -> new SynFlood(settings);
            case PORTSCAN -> new PortScan(settings);
            case AMPLIFICATION -> new Amplification(settings);
            case DNSTUNNEL -> new DnsTunnel(settings);
            case SPOOFEDSYN -> new SpoofedSynFlood(settings);
        };
    }
}
