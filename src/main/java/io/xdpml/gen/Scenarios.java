package io.xdpml.gen;

import java.util.List;
import java.util.Locale;

/** The scenarios by name. */
public final class Scenarios {
    /** Every scenario's name: one per traffic kind, and mix. */
    public static final List<String> NAMES = List.of("benign", "synflood", "portscan", "amplification", "dnstunnel", "spoofedsyn", "mix");

    private Scenarios() {}

    /**
     * The rate a scenario's clock assumes when none is given ({@link #create(String, ScenarioSettings)}, a
     * sender flat out): the demo's default, 20,000 frames/s.
     */
    public static final long NOMINAL_RATE = 20_000;

    /** {@link #create(String, ScenarioSettings, long)} at {@link #NOMINAL_RATE}. */
    public static Scenario create(String name, ScenarioSettings settings) {
        return create(name, settings, NOMINAL_RATE);
    }

    /**
     * A new scenario: benign, synflood, portscan, amplification, dnstunnel, spoofedsyn, or mix (all of them
     * interleaved by the settings' shares), to be sent at {@code ratePps} frames a second: the benign
     * clients' pings come once a second of that clock (a frame's time is its index over the rate, as
     * {@link ScenarioSender} gives capture files; 0 or less: {@link #NOMINAL_RATE}).
     *
     * @throws IllegalArgumentException naming the known scenarios when {@code name} is none of them
     */
    public static Scenario create(String name, ScenarioSettings settings, long ratePps) {
        long rate = ratePps > 0 ? ratePps : NOMINAL_RATE;
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("mix")) {
            return new MixScenario(settings, rate);
        }
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown scenario '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        }
        return single(TrafficKind.of(n), settings, rate);
    }

    /** One kind's scenario, sent at {@code ratePps} frames of that kind a second. */
    static Scenario single(TrafficKind kind, ScenarioSettings settings, double ratePps) {
        return switch (kind) {
            case BENIGN -> new BenignTraffic(settings, ratePps);
            case SYNFLOOD -> new SynFlood(settings);
            case PORTSCAN -> new PortScan(settings);
            case AMPLIFICATION -> new Amplification(settings);
            case DNSTUNNEL -> new DnsTunnel(settings);
            case SPOOFEDSYN -> new SpoofedSynFlood(settings);
        };
    }
}
