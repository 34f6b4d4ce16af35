package io.xdpml.fleet;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fleet detector's parameters (docs/fleet-detector.md): one window for all three detectors and
 * each detector's thresholds. {@code xdpml fleet --set fleet.NAME=VALUE} sets a component by name.
 *
 * @param windowSeconds         tumbling window of event time (the EVE times) every count is made in
 * @param graceSeconds          how late (in event time, behind the newest record seen) a record may
 *                              arrive and still count in its window; later ones are dropped
 * @param scanMinTargets        distributed scan: distinct (host, dest_ip, dest_port) probed by one source in a window
 * @param scanMinHosts          ... on at least this many hosts
 * @param scanMaxProbePackets   a probe is a TCP flow with at most this many packets from the source and no PSH (no data)
 * @param scanMinProbeShare     ... and probes are at least this share of the source's TCP flows in the window
 * @param floodMinPacketRate    flood: packets/s from one source (or one /24, /64) over the span of its flows in the window
 * @param floodMinDestinations  ... to at least this many distinct destination addresses
 * @param floodMinHosts         ... seen by at least this many hosts
 * @param floodPrefixV4         the IPv4 prefix length a flood's sources are also grouped by
 * @param floodPrefixV6         the IPv6 prefix length a flood's sources are also grouped by
 * @param flaggedMinHosts       one source named (src_ip) in alerts from at least this many distinct hosts in a window
 * @param blockSeconds          a fleet block's lifetime (until_ms = the finding's time + this)
 * @param maxHosts              hosts tracked per source and window (more are counted together as {@code other})
 */
public record FleetConfig(double windowSeconds, double graceSeconds, long scanMinTargets, long scanMinHosts, long scanMaxProbePackets,
        double scanMinProbeShare, double floodMinPacketRate, long floodMinDestinations, long floodMinHosts, int floodPrefixV4,
        int floodPrefixV6, long flaggedMinHosts, double blockSeconds, int maxHosts) {

    public FleetConfig {
        check(windowSeconds >= 1 && windowSeconds <= 86_400, "windowSeconds must be 1..86400");
        check(graceSeconds >= 0 && graceSeconds <= 86_400, "graceSeconds must be 0..86400");
        check(scanMinTargets >= 1, "scanMinTargets must be >= 1");
        check(scanMinHosts >= 1, "scanMinHosts must be >= 1");
        check(scanMaxProbePackets >= 1, "scanMaxProbePackets must be >= 1");
        check(scanMinProbeShare >= 0 && scanMinProbeShare <= 1, "scanMinProbeShare must be 0..1");
        check(floodMinPacketRate > 0, "floodMinPacketRate must be > 0");
        check(floodMinDestinations >= 1, "floodMinDestinations must be >= 1");
        check(floodMinHosts >= 1, "floodMinHosts must be >= 1");
        check(floodPrefixV4 >= FleetBlock.MIN_PREFIX_V4 && floodPrefixV4 <= 32, "floodPrefixV4 must be 8..32 (a fleet block is no wider)");
        check(floodPrefixV6 >= FleetBlock.MIN_PREFIX_V6 && floodPrefixV6 <= 128, "floodPrefixV6 must be 32..128 (a fleet block is no wider)");
        check(flaggedMinHosts >= 1, "flaggedMinHosts must be >= 1");
        check(blockSeconds > 0, "blockSeconds must be > 0");
        check(maxHosts >= 2, "maxHosts must be >= 2");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("FleetConfig: " + what);
        }
    }

    /** The defaults (docs/fleet-detector.md, "Parameters"). */
    public static FleetConfig defaults() {
        return new FleetConfig(60, 30, 100, 2, 3, 0.5, 1000, 10, 2, 24, 64, 2, 600, 1024);
    }

    public long windowMillis() {
        return Math.round(windowSeconds * 1000);
    }

    public long graceMillis() {
        return Math.round(graceSeconds * 1000);
    }

    /**
     * How far ahead of the fleet detector's clock an event time may be: the grace (at least 1 s).
     * A record no further ahead cannot, by moving stream time, push an on-time record past its
     * window's grace; one further ahead is refused (FleetTopology).
     */
    public long maxAheadMillis() {
        return Math.max(graceMillis(), 1000);
    }

    public long blockMillis() {
        return Math.round(blockSeconds * 1000);
    }

    /** This configuration with another window (the grace unchanged). */
    public FleetConfig withWindow(double seconds) {
        return with(Map.of("windowSeconds", Double.toString(seconds)));
    }

    /** This configuration with the block lifetime. */
    public FleetConfig withBlockSeconds(double seconds) {
        return with(Map.of("blockSeconds", Double.toString(seconds)));
    }

    /**
     * This configuration with settings {@code fleet.NAME=VALUE} (or {@code NAME=VALUE}); an unknown
     * name or a value that is not a number, or a configuration refused: IllegalArgumentException naming it.
     */
    public static FleetConfig parse(FleetConfig base, List<String> settings) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("setting '" + s + "' is not fleet.NAME=VALUE");
            }
            String name = s.substring(0, eq).strip();
            if (name.startsWith("fleet.")) {
                name = name.substring(6);
            } else if (name.contains(".")) {
                throw new IllegalArgumentException("setting '" + s + "' is not fleet.NAME=VALUE");
            }
            m.put(name, s.substring(eq + 1).strip());
        }
        return base.with(m);
    }

    /** This configuration with components replaced by name (values as text). */
    public FleetConfig with(Map<String, String> values) {
        RecordComponent[] rc = FleetConfig.class.getRecordComponents();
        Object[] args = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        List<String> known = new ArrayList<>();
        for (int i = 0; i < rc.length; i++) {
            known.add(rc[i].getName());
            types[i] = rc[i].getType();
            try {
                args[i] = rc[i].getAccessor().invoke(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            int i = known.indexOf(e.getKey());
            if (i < 0) {
                throw new IllegalArgumentException("unknown fleet parameter '" + e.getKey() + "' (known: " + String.join(", ", known) + ")");
            }
            try {
                args[i] = types[i] == double.class ? Double.parseDouble(e.getValue())
                        : types[i] == long.class ? Long.parseLong(e.getValue()) : (Object) Integer.parseInt(e.getValue());
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException("fleet." + e.getKey() + ": '" + e.getValue() + "' is not a " + types[i].getName());
            }
        }
        try {
            return FleetConfig.class.getDeclaredConstructor(types).newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code name=value} per component, for printing. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (RecordComponent c : FleetConfig.class.getRecordComponents()) {
            try {
                b.append(b.isEmpty() ? "" : " ").append(c.getName()).append('=').append(c.getAccessor().invoke(this));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.toString();
    }
}
