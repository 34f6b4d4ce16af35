package io.xdpml.gen;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a generated frame belongs to: benign traffic or one of the attacks (counted per kind). */
public enum TrafficKind {
    // new kinds go at the end: a kind's ordinal seeds its random stream (the same seed gives the same frames)
    BENIGN, SYNFLOOD, PORTSCAN, AMPLIFICATION, DNSTUNNEL, SPOOFEDSYN;

    /** The name on the command line and in counters: lower case. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind of a command-line name (case-insensitive). */
    public static TrafficKind of(String name) {
        for (TrafficKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown traffic kind '" + name + "' (known: "
                + Arrays.stream(values()).map(TrafficKind::cliName).collect(Collectors.joining(", ")) + ")");
    }
}
