package io.xdpml.firewall;

import java.util.List;

/**
 * A whole firewall configuration, validated (docs/firewall.md). Times are nanoseconds; a rate of
 * 0 packets per second turns that limit off. {@code rate*} and {@code syn*} are per source,
 * {@code flood*} one bucket for the SYNs of all sources, {@code bare*} one for those of them without TCP options, {@code icmp*} one for the ICMP of all sources. {@code synCookies}: a SYN over a syn-limit
 * measure or {@code syn-flood} is answered with a SYN cookie rather than dropped (syncookie.h).
 */
public record FirewallConfig(boolean defaultDrop, boolean malformedPass, boolean conntrack, boolean conntrackStrict,
                             long timeoutSynNanos, long timeoutEstablishedNanos, long timeoutFinNanos,
                             long timeoutUdpNanos, long ratePps, long rateBurst, long synPps, long synBurst,
                             long floodPps, long floodBurst, long barePps, long bareBurst, long icmpPps, long icmpBurst,
                             boolean synCookies,
                             List<Prefix> denySource, List<Prefix> denyDestination, List<Prefix> allowSource,
                             List<Prefix> allowDestination, List<FirewallRule> rules) {
    public static final long SECOND = 1_000_000_000L;

    public FirewallConfig {
        denySource = List.copyOf(denySource);
        denyDestination = List.copyOf(denyDestination);
        allowSource = List.copyOf(allowSource);
        allowDestination = List.copyOf(allowDestination);
        rules = List.copyOf(rules);
    }

    /** Pass everything: no lists, no rules, no tracking, no limits. */
    public static FirewallConfig passAll() {
        return new FirewallConfig(false, false, false, false, 30 * SECOND, 3600 * SECOND, 30 * SECOND, 60 * SECOND,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Whether the policy (allow list, rules, default) can pass some UDP packet to {@code port}: if
     * not, and that port is the VXLAN port, every tunnel's outer packet is dropped (drop_tunnel).
     */
    public boolean passesSomeUdpTo(int port) {
        if (!defaultDrop || !allowSource.isEmpty() || !allowDestination.isEmpty()) {
            return true;
        }
        return rules.stream().anyMatch(r -> r.action() == FirewallRule.Action.PASS && r.appliesTo(17) && r.low(17) <= port
                && port <= r.high(17));
    }

    /**
     * Whether the policy (rules, default) can drop a UDP packet: default drop, or a rule that drops
     * UDP. If not, a VXLAN packet's outer packet would pass it, and the firewall does not judge it
     * (tunnel_check, firewall.h: its lookups cost ~50 ns; the rules that would pass it count no hit).
     */
    public boolean policyMayDropUdp() {
        return defaultDrop || rules.stream().anyMatch(r -> r.action() == FirewallRule.Action.DROP && r.appliesTo(17));
    }

    /** The token bucket capacity in nano-tokens (burst tokens). */
    public long rateCap() {
        return rateBurst * FirewallLayout.NS_PER_TOKEN;
    }

    public long synCap() {
        return synBurst * FirewallLayout.NS_PER_TOKEN;
    }

    public long floodCap() {
        return floodBurst * FirewallLayout.NS_PER_TOKEN;
    }

    public long bareCap() {
        return bareBurst * FirewallLayout.NS_PER_TOKEN;
    }

    public long icmpCap() {
        return icmpBurst * FirewallLayout.NS_PER_TOKEN;
    }

    /** One line per setting and entry, in the config file's syntax. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("default ").append(defaultDrop ? "drop" : "pass").append('\n');
        b.append("malformed ").append(malformedPass ? "pass" : "drop").append('\n');
        b.append("conntrack ").append(conntrack ? "on" + (conntrackStrict ? " strict" : "") : "off").append('\n');
        b.append("timeout tcp-syn ").append(timeoutSynNanos / 1_000_000).append("ms\n");
        b.append("timeout tcp-established ").append(timeoutEstablishedNanos / 1_000_000).append("ms\n");
        b.append("timeout tcp-fin ").append(timeoutFinNanos / 1_000_000).append("ms\n");
        b.append("timeout udp ").append(timeoutUdpNanos / 1_000_000).append("ms\n");
        b.append("rate-limit ").append(ratePps == 0 ? "off" : ratePps + "/s burst " + rateBurst).append('\n');
        b.append("syn-limit ").append(synPps == 0 ? "off" : synPps + "/s burst " + synBurst).append('\n');
        b.append("syn-flood ").append(floodPps == 0 ? "off" : floodPps + "/s burst " + floodBurst).append('\n');
        b.append("bare-syn-flood ").append(barePps == 0 ? "off" : barePps + "/s burst " + bareBurst).append('\n');
        b.append("icmp-flood ").append(icmpPps == 0 ? "off" : icmpPps + "/s burst " + icmpBurst).append('\n');
        b.append("syn-cookies ").append(synCookies ? "on" : "off").append('\n');
        denySource.forEach(p -> b.append("deny src ").append(p).append('\n'));
        denyDestination.forEach(p -> b.append("deny dst ").append(p).append('\n'));
        allowSource.forEach(p -> b.append("allow src ").append(p).append('\n'));
        allowDestination.forEach(p -> b.append("allow dst ").append(p).append('\n'));
        rules.forEach(r -> b.append(r).append('\n'));
        return b.toString();
    }
}
