package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rule compiler against the definition: random rule sets crowded into a small address and
 * port space (nested and overlapping prefixes, overlapping port ranges, every protocol, "any" on
 * either side, IPv4 and IPv6), random packets into the same space. The kernel's three-lookup
 * answer (compiled sets and port blocks) must name the same first-matching rule as the Java
 * reference's rule-by-rule scan, for every packet.
 */
class FirewallRuleFuzzTest {
    private static final String[] V4 = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.0/25", "10.1.2.128/25",
            "10.1.2.3", "10.1.3.0/24", "10.2.0.0/15", "0.0.0.0/1", "10.1.2.64/26"};
    private static final String[] V6 = {"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64", "2001:db8:1:2::3",
            "2001:db8:2::/47", "::/1", "2001:db8:1:2::/65"};
    private static final String[] HOSTS4 = {"10.1.2.3", "10.1.2.4", "10.1.2.130", "10.1.2.70", "10.1.3.9", "10.2.1.1",
            "10.3.0.1", "10.200.1.1", "192.0.2.1", "10.1.9.9"};
    private static final String[] HOSTS6 = {"2001:db8:1:2::3", "2001:db8:1:2::4", "2001:db8:1:2:8000::1", "2001:db8:1:5::1",
            "2001:db8:2::1", "2001:db8:3::1", "2001:db9::1", "fe80::1"};

    @Test
    void compiledRulesPickTheFirstMatchingRuleLikeAScan() throws Exception {
        TestData.assumeBpf();
        long mismatches = 0;
        List<String> examples = new ArrayList<>();
        long byRule = 0;
        try (KernelFirewall kernel = new KernelFirewall(new FirewallProgram.Limits(1 << 16, 1 << 18, 512, 1 << 10, 1 << 10), 4789);
             Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(512);
            for (int seed = 1; seed <= 25; seed++) {
                Random rnd = new Random(seed);
                StringBuilder text = new StringBuilder(rnd.nextBoolean() ? "default drop\n" : "default pass\n");
                int n = 5 + rnd.nextInt(seed < 5 ? 10 : 120);
                for (int i = 0; i < n; i++) {
                    text.append(randomRule(rnd)).append('\n');
                }
                FirewallConfig c = FirewallConfigParser.parse(text.toString(), "seed " + seed);
                JavaFirewall java = new JavaFirewall(4789);
                kernel.install(c);
                java.install(c);
                for (int i = 0; i < 4000; i++) {
                    byte[] f = randomPacket(rnd);
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    FirewallCounter k = kernel.packet(buf, f.length, i);
                    FirewallCounter j = java.packet(buf, f.length, i);
                    if (j == FirewallCounter.PASS_RULE || j == FirewallCounter.DROP_RULE) {
                        byRule++;
                    }
                    if (k != j || kernel.lastRule() != java.lastRule()) {
                        mismatches++;
                        if (examples.size() < 5) {
                            examples.add("seed " + seed + " packet " + i + ": kernel " + k + " rule " + kernel.lastRule()
                                    + ", java " + j + " rule " + java.lastRule() + "\n" + text);
                        }
                    }
                }
                assertThat(kernel.ruleHits()).as("seed %d rule hits", seed).isEqualTo(java.ruleHits());
            }
        }
        assertThat(examples).as("packets on which the compiled rules and the scan disagree (%d)", mismatches).isEmpty();
        assertThat(byRule).as("packets decided by a rule").isGreaterThan(25 * 4000 / 3);
    }

    static String randomRule(Random rnd) {
        boolean v6 = rnd.nextInt(3) == 0;
        String[] prefixes = v6 ? V6 : V4;
        String proto = List.of("tcp", "udp", "icmp", "icmpv6", "any", "tcp", "udp").get(rnd.nextInt(7));
        StringBuilder r = new StringBuilder("rule ").append(rnd.nextBoolean() ? "pass " : "drop ").append(proto);
        if (rnd.nextInt(3) > 0) {
            r.append(" from ").append(prefixes[rnd.nextInt(prefixes.length)]);
        }
        if (rnd.nextInt(3) == 0) {
            r.append(" to ").append(prefixes[rnd.nextInt(prefixes.length)]);
        }
        if (!proto.startsWith("icmp") && rnd.nextInt(3) > 0) {
            int lo = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(2000);
            int hi = rnd.nextInt(5) == 0 ? 65535 : Math.min(65535, lo + rnd.nextInt(rnd.nextBoolean() ? 10 : 700));
            r.append(" port ").append(lo == hi ? "" + lo : lo + "-" + hi);
        }
        return r.toString();
    }

    static byte[] randomPacket(Random rnd) {
        boolean v6 = rnd.nextInt(3) == 0;
        String[] hosts = v6 ? HOSTS6 : HOSTS4;
        FrameBuilder b = new FrameBuilder().ethernet();
        String s = hosts[rnd.nextInt(hosts.length)];
        String d = hosts[rnd.nextInt(hosts.length)];
        b = v6 ? b.ipv6(s, d) : b.ipv4(s, d);
        int port = rnd.nextInt(5) == 0 ? rnd.nextInt(65536) : rnd.nextInt(2100);
        return switch (rnd.nextInt(5)) {
            case 0, 1 -> b.tcp(40000, port, 0x18).build();
            case 2, 3 -> b.udp(40000, port).build();
            default -> (v6 ? b.icmpv6Echo(1, 1) : b.icmpEcho(1, 1)).build();
        };
    }
}
