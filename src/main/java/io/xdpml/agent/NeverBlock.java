package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.firewall.OwnAddresses;
import io.xdpml.firewall.Prefix;
import java.net.InetAddress;
import java.util.List;

/**
 * The sources no detection blocks, whatever it names. A detector names the sender of what it saw,
 * and a sender's address can be forged (a scan with decoys, a flood from one spoofed address): an
 * attacker could otherwise get any third party blocked, its resolver or its gateway. Spared: the
 * prefixes of {@code mitigation.never-block}, the firewall's {@code allow src} prefixes (trusted by
 * the operator; the blocks stage, which comes first, would override them) and, in the agent, the
 * host's own addresses (a packet that arrives from one of them is forged).
 */
public final class NeverBlock {
    private final List<Prefix> configured;
    private final List<Prefix> allowed;
    private final boolean hostAddresses;

    private NeverBlock(List<Prefix> configured, List<Prefix> allowed, boolean hostAddresses) {
        this.configured = List.copyOf(configured);
        this.allowed = List.copyOf(allowed);
        this.hostAddresses = hostAddresses;
    }

    /** What {@code c} spares; with {@code hostAddresses}, this host's addresses too (the agent; not a replay). */
    public static NeverBlock of(AgentConfig c, boolean hostAddresses) {
        List<Prefix> allowed = c.firewall().enabled() ? c.firewall().rules().allowSource() : List.of();
        return new NeverBlock(c.mitigation().neverBlock(), allowed, hostAddresses);
    }

    /** Why {@code source} must not be blocked, or null when it may be. */
    public String why(InetAddress source) {
        byte[] a = source.getAddress();
        int family = a.length == 4 ? 4 : 6;
        for (Prefix p : configured) {
            if (p.contains(family, a, 0)) {
                return "mitigation.never-block " + p;
            }
        }
        for (Prefix p : allowed) {
            if (p.contains(family, a, 0)) {
                return "the firewall's allow src " + p;
            }
        }
        if (hostAddresses && isHostAddress(source)) {
            return "an address of this host (its packets that arrive are forged)";
        }
        return null;
    }

    /**
     * Why a block of prefix {@code block} (a fleet block another agent or an operator published)
     * must not be applied here, or null when it may be: it overlaps a prefix spared here (either
     * covers the other), or covers one of this host's addresses. Such a block is refused whole: the
     * blocks trie cannot hold "all of it but these".
     */
    public String why(Prefix block) {
        for (Prefix p : configured) {
            if (p.covers(block) || block.covers(p)) {
                return "it overlaps mitigation.never-block " + p;
            }
        }
        for (Prefix p : allowed) {
            if (p.covers(block) || block.covers(p)) {
                return "it overlaps the firewall's allow src " + p;
            }
        }
        if (hostAddresses) {
            try {
                for (InetAddress a : OwnAddresses.ofThisHost()) {
                    byte[] b = a.getAddress();
                    if (block.contains(b.length == 4 ? 4 : 6, b, 0)) {
                        return "it covers " + a.getHostAddress() + ", an address of this host";
                    }
                }
            } catch (IllegalStateException e) {
                return "this host's addresses cannot be listed (" + e.getMessage() + ")";
            }
        }
        return null;
    }

    /** Whether {@code a} is an address of one of this host's interfaces (read now: addresses come and go). */
    static boolean isHostAddress(InetAddress a) {
        try {
            return OwnAddresses.ofThisHost().contains(InetAddress.getByAddress(a.getAddress()));
        } catch (IllegalStateException | java.net.UnknownHostException e) {
            return false;
        }
    }
}
