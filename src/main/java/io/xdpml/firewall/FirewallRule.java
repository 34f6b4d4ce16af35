package io.xdpml.firewall;

/**
 * One rule: packets of {@code protocol} from {@code source} to {@code destination} (null: any
 * address) with a destination port in [{@code portLow}, {@code portHigh}] get {@code action}.
 * Rules are tried in file order and the first that matches decides.
 *
 * @param index   position among the rules (0-based): its counter
 * @param line    line of the config file (0 when not from a file)
 * @param ports   whether the rule named a port range (then it matches TCP and UDP only)
 */
public record FirewallRule(int index, int line, Action action, Protocol protocol, Prefix source, Prefix destination,
                           boolean ports, int portLow, int portHigh) {
    /** What a rule does. */
    public enum Action { PASS, DROP }

    /** The protocols a rule can name; {@code bucket} is the kernel's key byte. */
    public enum Protocol {
        TCP(6), UDP(17), ICMP(1), ICMPV6(58), ANY(-1);

        private final int bucket;

        Protocol(int bucket) { this.bucket = bucket; }

        public int bucket() { return bucket; }
    }

    /** The protocol buckets of packets: 6, 17, 1, 58, and 0 for any other or a non-first fragment. */
    public static final int[] BUCKETS = {6, 17, 1, 58, 0};

    /** The address family the rule is limited to (4, 6), or 0 when both addresses are any. */
    public int family() {
        return source != null ? source.family() : destination != null ? destination.family() : 0;
    }

    /** Whether this rule applies to packets of a protocol bucket (before addresses and ports). */
    public boolean appliesTo(int bucket) {
        if (protocol == Protocol.ANY) {
            return !ports || bucket == 6 || bucket == 17;
        }
        return protocol.bucket() == bucket;
    }

    /** The port range this rule has in a bucket: TCP/UDP use the range, the other buckets port 0. */
    public int low(int bucket) {
        return bucket == 6 || bucket == 17 ? (ports ? portLow : 0) : 0;
    }

    public int high(int bucket) {
        return bucket == 6 || bucket == 17 ? (ports ? portHigh : 65535) : 0;
    }

    /** The reference match, rule by rule (the kernel's compiled tables must agree). */
    public boolean matches(int family, byte[] src, byte[] dst, int bucket, int dport) {
        if (!appliesTo(bucket)) {
            return false;
        }
        if (source != null && !source.contains(family, src, 0)) {
            return false;
        }
        if (destination != null && !destination.contains(family, dst, 0)) {
            return false;
        }
        int port = bucket == 6 || bucket == 17 ? dport : 0;
        return port >= low(bucket) && port <= high(bucket);
    }

    @Override
    public String toString() {
        return "rule " + action.name().toLowerCase() + " " + protocol.name().toLowerCase()
                + " from " + (source == null ? "any" : source) + " to " + (destination == null ? "any" : destination)
                + (ports ? " port " + (portLow == portHigh ? "" + portLow : portLow + "-" + portHigh) : "");
    }
}
