package io.xdpml.gen;

import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where the generated traffic goes and comes from, its seed, and the mix's shares. Every kind has
 * its own source range, so that a receiver (or the demo) knows each kind by its source address.
 * The defaults:
 *
 * <pre>
 *  victim          10.99.0.1, MAC 02:00:00:00:00:02 (every frame goes to it; it is the server,
 *                  the DNS resolver and the NTP server of the benign clients)
 *  source MAC      02:00:00:00:00:01
 *  benign          10.10.0.0/26   62 clients
 *  synflood        10.66.0.0/29   6 attackers, SYNs to port 80
 *  portscan        10.77.0.7/32   the scanner
 *  amplification   10.88.0.0/24   254 reflectors (DNS 53, NTP 123, memcached 11211)
 *  dnstunnel       10.55.0.9/32   the tunnelling client, names under exfil.example
 *  spoofedsyn      100.64.0.0/10  spoofed sources, a random one per SYN, SYNs to port 443
 *  mix shares      benign 40, synflood 20, portscan 5, amplification 10, dnstunnel 5, spoofedsyn 20
 * </pre>
 *
 * @param victim       the victim's IPv4 address (int)
 * @param victimMac    destination MAC of every frame
 * @param sourceMac    source MAC of every frame
 * @param sources      the source range of each kind
 * @param floodPort    the TCP port the SYN flood hits
 * @param spoofedPort  the TCP port the spoofed SYN flood hits
 * @param tunnelDomain the base domain (two labels) the tunnel's names end with
 * @param shares       the mix's weights per kind (kinds absent or 0 are not in the mix)
 * @param seed         the seed: the same settings give the same frames
 */
public record ScenarioSettings(int victim, byte[] victimMac, byte[] sourceMac, Map<TrafficKind, Ipv4Range> sources, int floodPort,
        int spoofedPort, String tunnelDomain, Map<TrafficKind, Integer> shares, long seed) {

    public ScenarioSettings {
        if (victimMac.length != 6 || sourceMac.length != 6) {
            throw new IllegalArgumentException("MAC addresses have 6 bytes");
        }
        EnumMap<TrafficKind, Ipv4Range> s = new EnumMap<>(TrafficKind.class);
        s.putAll(sources);
        for (TrafficKind k : TrafficKind.values()) {
            if (!s.containsKey(k)) {
                throw new IllegalArgumentException("no source range for " + k.cliName());
            }
        }
        TrafficKind[] kinds = TrafficKind.values();
        for (int i = 0; i < kinds.length; i++) {
            for (int j = i + 1; j < kinds.length; j++) {
                Ipv4Range a = s.get(kinds[i]);
                Ipv4Range b = s.get(kinds[j]);
                // unsigned: a range may span 127.255.255.255/128.0.0.0
                boolean apart = Integer.compareUnsigned(b.first() - a.first(), a.count()) >= 0
                        && Integer.compareUnsigned(a.first() - b.first(), b.count()) >= 0;
                if (!apart) {
                    throw new IllegalArgumentException("source ranges of " + kinds[i].cliName() + " (" + a + ") and " + kinds[j].cliName()
                            + " (" + b + ") overlap: each kind needs its own, to be told apart by source");
                }
            }
        }
        sources = Map.copyOf(s);
        if (floodPort < 1 || floodPort > 65535) {
            throw new IllegalArgumentException("flood port must be 1..65535, not " + floodPort);
        }
        if (spoofedPort < 1 || spoofedPort > 65535) {
            throw new IllegalArgumentException("spoofed flood port must be 1..65535, not " + spoofedPort);
        }
        String[] labels = tunnelDomain.split("\\.", -1);
        if (labels.length != 2 || labels[0].isEmpty() || labels[1].isEmpty() || !tunnelDomain.matches("[a-zA-Z0-9.-]{3,60}")) {
            throw new IllegalArgumentException("tunnel domain must be two labels like exfil.example, not '" + tunnelDomain + "'");
        }
        int total = 0;
        for (Map.Entry<TrafficKind, Integer> e : shares.entrySet()) {
            if (e.getValue() < 0) {
                throw new IllegalArgumentException("share of " + e.getKey().cliName() + " must be >= 0, not " + e.getValue());
            }
            total += e.getValue();
        }
        if (total <= 0) {
            throw new IllegalArgumentException("the mix needs at least one positive share");
        }
        shares = Map.copyOf(shares);
        victimMac = victimMac.clone();
        sourceMac = sourceMac.clone();
    }

    /** The mix's default shares. */
    public static final String DEFAULT_SHARES = "benign=40,synflood=20,portscan=5,amplification=10,dnstunnel=5,spoofedsyn=20";

    /** The defaults above, with seed 1. */
    public static ScenarioSettings defaults() {
        Map<TrafficKind, Ipv4Range> s = new EnumMap<>(TrafficKind.class);
        s.put(TrafficKind.BENIGN, Ipv4Range.parse("10.10.0.0/26"));
        s.put(TrafficKind.SYNFLOOD, Ipv4Range.parse("10.66.0.0/29"));
        s.put(TrafficKind.PORTSCAN, Ipv4Range.parse("10.77.0.7/32"));
        s.put(TrafficKind.AMPLIFICATION, Ipv4Range.parse("10.88.0.0/24"));
        s.put(TrafficKind.DNSTUNNEL, Ipv4Range.parse("10.55.0.9/32"));
        s.put(TrafficKind.SPOOFEDSYN, Ipv4Range.parse("100.64.0.0/10"));
        return new ScenarioSettings(Ipv4Range.address("10.99.0.1"), mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"), s, 80, 443,
                "exfil.example", parseShares(DEFAULT_SHARES), 1);
    }

    public ScenarioSettings withVictim(String ip) {
        return new ScenarioSettings(Ipv4Range.address(ip), victimMac, sourceMac, sources, floodPort, spoofedPort, tunnelDomain, shares, seed);
    }

    public ScenarioSettings withVictimMac(String mac) {
        return new ScenarioSettings(victim, mac(mac), sourceMac, sources, floodPort, spoofedPort, tunnelDomain, shares, seed);
    }

    public ScenarioSettings withSourceMac(String mac) {
        return new ScenarioSettings(victim, victimMac, mac(mac), sources, floodPort, spoofedPort, tunnelDomain, shares, seed);
    }

    /** The source range of one kind ({@code a.b.c.d/len}). */
    public ScenarioSettings withSources(TrafficKind kind, String prefix) {
        Map<TrafficKind, Ipv4Range> s = new EnumMap<>(sources);
        s.put(kind, Ipv4Range.parse(prefix));
        return new ScenarioSettings(victim, victimMac, sourceMac, s, floodPort, spoofedPort, tunnelDomain, shares, seed);
    }

    /** Several kinds' source ranges at once (so two kinds can swap ranges). */
    public ScenarioSettings withSources(Map<TrafficKind, Ipv4Range> ranges) {
        Map<TrafficKind, Ipv4Range> s = new EnumMap<>(sources);
        s.putAll(ranges);
        return new ScenarioSettings(victim, victimMac, sourceMac, s, floodPort, spoofedPort, tunnelDomain, shares, seed);
    }

    public ScenarioSettings withFloodPort(int port) {
        return new ScenarioSettings(victim, victimMac, sourceMac, sources, port, spoofedPort, tunnelDomain, shares, seed);
    }

    public ScenarioSettings withSpoofedPort(int port) {
        return new ScenarioSettings(victim, victimMac, sourceMac, sources, floodPort, port, tunnelDomain, shares, seed);
    }

    public ScenarioSettings withTunnelDomain(String domain) {
        return new ScenarioSettings(victim, victimMac, sourceMac, sources, floodPort, spoofedPort, domain, shares, seed);
    }

    public ScenarioSettings withShares(Map<TrafficKind, Integer> s) {
        return new ScenarioSettings(victim, victimMac, sourceMac, sources, floodPort, spoofedPort, tunnelDomain, s, seed);
    }

    public ScenarioSettings withSeed(long s) {
        return new ScenarioSettings(victim, victimMac, sourceMac, sources, floodPort, spoofedPort, tunnelDomain, shares, s);
    }

    /** The source range of a kind. */
    public Ipv4Range source(TrafficKind kind) {
        return sources.get(kind);
    }

    /** The victim as a dotted quad. */
    public String victimText() {
        return Ipv4Range.text(victim);
    }

    /** Parses {@code kind=weight,kind=weight} (kinds not named get 0). */
    public static Map<TrafficKind, Integer> parseShares(String text) {
        Map<TrafficKind, Integer> m = new EnumMap<>(TrafficKind.class);
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("share '" + part.trim() + "' is not kind=weight");
            }
            TrafficKind k = TrafficKind.of(part.substring(0, eq));
            try {
                m.put(k, Integer.parseInt(part.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("share '" + part.trim() + "': weight is not an integer");
            }
        }
        return m;
    }

    /** Parses {@code 02:00:00:00:00:01}. */
    public static byte[] mac(String text) {
        String t = text.trim();
        if (!t.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")) {
            throw new IllegalArgumentException("not a MAC address: '" + text + "' (want six hex pairs like 02:00:00:00:00:01)");
        }
        return HexFormat.ofDelimiter(":").parseHex(t);
    }
}
