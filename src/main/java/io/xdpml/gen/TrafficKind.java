package io.xdpml.gen;

import java.util.Locale;

/** What a generated frame belongs to: benign traffic or one of the attacks (counted per kind). */
public enum TrafficKind {
    BENIGN, SYNFLOOD, PORTSCAN, AMPLIFICATION, DNSTUNNEL;

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
        throw new IllegalArgumentException("unknown traffic kind '" + name + "' (known: benign, synflood, portscan, amplification, dnstunnel)");
    }
}
