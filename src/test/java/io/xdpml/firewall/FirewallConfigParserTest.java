package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The config file: what a valid one means, and how each kind of mistake is reported. */
class FirewallConfigParserTest {
    @Test
    void aValidFileMeansWhatItSays() throws Exception {
        FirewallConfig c = FirewallConfigParser.parse("""
                # comment
                default drop          # trailing comment
                malformed pass
                conntrack on strict
                timeout tcp-syn 500ms
                timeout tcp-established 2h
                timeout tcp-fin 1m
                timeout udp 45
                rate-limit 1000/s burst 50
                syn-limit 10/s
                syn-flood 5000/s burst 100
                syn-cookies on
                deny 10.0.0.0/8 192.0.2.1
                deny dst 2001:db8::/32
                allow src 198.51.100.0/24
                allow dst ::ffff:0:0/96
                rule pass tcp from 10.1.0.0/16 to any port 80-443
                rule drop any to 2001:db8:1::/48
                rule pass icmp
                """, "t");
        assertThat(c.defaultDrop()).isTrue();
        assertThat(c.malformedPass()).isTrue();
        assertThat(c.conntrack()).isTrue();
        assertThat(c.conntrackStrict()).isTrue();
        assertThat(c.timeoutSynNanos()).isEqualTo(500_000_000L);
        assertThat(c.timeoutEstablishedNanos()).isEqualTo(7200 * FirewallConfig.SECOND);
        assertThat(c.timeoutFinNanos()).isEqualTo(60 * FirewallConfig.SECOND);
        assertThat(c.timeoutUdpNanos()).isEqualTo(45 * FirewallConfig.SECOND);
        assertThat(c.ratePps()).isEqualTo(1000);
        assertThat(c.rateBurst()).isEqualTo(50);
        assertThat(c.synPps()).isEqualTo(10);
        assertThat(c.synBurst()).as("burst defaults to one second's worth").isEqualTo(10);
        assertThat(c.denySource()).containsExactly(Prefix.parse("10.0.0.0/8"), Prefix.parse("192.0.2.1/32"));
        assertThat(c.denyDestination()).containsExactly(Prefix.parse("2001:db8::/32"));
        assertThat(c.allowDestination().getFirst().family()).as("IPv4-mapped stays IPv6").isEqualTo(6);
        assertThat(c.rules()).hasSize(3);
        FirewallRule r = c.rules().getFirst();
        assertThat(r.line()).isEqualTo(17);
        assertThat(c.floodPps()).isEqualTo(5000);
        assertThat(c.synCookies()).isTrue();
        assertThat(FirewallConfig.passAll().synCookies()).isFalse();
        assertThat(c.floodBurst()).isEqualTo(100);
        assertThat(r.portLow()).isEqualTo(80);
        assertThat(r.portHigh()).isEqualTo(443);
        assertThat(r.destination()).isNull();
        assertThat(c.rules().get(1).family()).isEqualTo(6);
    }

    @Test
    void everyBadLineIsReportedWithItsNumberAndReason() {
        String bad = """
                default maybe
                deny 10.0.0.0/33
                deny 10.0.0.1/8
                allow 300.1.1.1
                rule pass tcp port 80-70
                rule pass icmp port 1
                rule pass tcp from 10.0.0.0/8 to 2001:db8::/32
                rule reject tcp
                timeout udp 0s
                rate-limit fast
                conntrack maybe
                frobnicate
                default pass
                default drop
                syn-cookies maybe
                """;
        assertThatThrownBy(() -> FirewallConfigParser.parse(bad, "bad.conf"))
                .isInstanceOfSatisfying(FirewallConfigException.class, e -> {
                    assertThat(e.problems()).containsExactly(
                            "line 1: expected pass or drop, not 'maybe'",
                            "line 2: prefix length 33 is more than 32 in '10.0.0.0/33'",
                            "line 3: host bits set in '10.0.0.1/8' (the prefix is 10.0.0.0/8)",
                            "line 4: '300.1.1.1' is not an IPv4 or IPv6 address",
                            "line 5: bad port range '80-70' (0 to 65535, low first)",
                            "line 6: a port range needs tcp, udp or any, not icmp",
                            "line 7: from 10.0.0.0/8 and to 2001:db8::/32 are different address families",
                            "line 8: expected pass or drop, not 'reject'",
                            "line 9: duration '0s' out of range (more than 0, at most a year)",
                            "line 10: bad rate 'fast' (packets per second, e.g. 1000/s)",
                            "line 11: expected 'conntrack on [strict]' or 'conntrack off'",
                            "line 12: unknown statement 'frobnicate' (default, malformed, conntrack, timeout, rate-limit,"
                                    + " syn-limit, syn-flood, syn-cookies, deny, allow, rule)",
                            "line 13: 'default' is set again (first on line 1)",
                            "line 14: 'default' is set again (first on line 1)",
                            "line 15: expected 'syn-cookies on' or 'syn-cookies off'");
                    assertThat(e.getMessage()).startsWith("bad.conf: 15 problems; nothing was changed");
                });
    }

    @Test
    void theOldAllowlistJsonIsAnAllowListWithDefaultDrop() throws Exception {
        FirewallConfig c = FirewallConfigParser.parse("""
                {
                  "version": "2024-01-01",
                  "total_ips": 3,
                  "organizations": [
                    {"name": "acme", "ips": ["192.0.2.1", "198.51.100.0/24"]},
                    {"name": "globex", "ips": ["2001:db8::1"]}
                  ],
                  "flat_ip_list": ["192.0.2.1", "198.51.100.0/24", "2001:db8::1"]
                }
                """, "allow.json");
        assertThat(c.defaultDrop()).isTrue();
        assertThat(c.allowSource()).containsExactly(Prefix.parse("192.0.2.1"), Prefix.parse("198.51.100.0/24"),
                Prefix.parse("2001:db8::1"));
        assertThat(c.rules()).isEmpty();
    }

    @Test
    void allowlistJsonProblemsNameTheirLines() {
        String bad = """
                {
                  "version": 1,
                  "total_ips": 4,
                  "organizations": [
                    {"name": "acme", "ips": ["192.0.2.1", "192.0.2.9"]},
                    {"ips": []}
                  ],
                  "flat_ip_list": ["192.0.2.1", "not-an-ip",
                                   "192.0.2.1"]
                }
                """;
        assertThatThrownBy(() -> FirewallConfigParser.parse(bad, "allow.json"))
                .isInstanceOfSatisfying(FirewallConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "line 8: flat_ip_list: 'not-an-ip' is not an IPv4 or IPv6 address",
                        "line 9: 192.0.2.1/32 is in flat_ip_list twice",
                        "line 3: total_ips is 4 but flat_ip_list holds 3",
                        "line 5: 192.0.2.9/32 of organization 'acme' is not in flat_ip_list",
                        "line 6: an organization needs a 'name' string"));
        assertThatThrownBy(() -> FirewallConfigParser.parse("{\n \"version\": 1,\n \"total_ips\": [\n}", "x.json"))
                .hasMessageContaining("line 4: bad JSON");
    }

    @Test
    void prefixesParseAndMatch() {
        Prefix p = Prefix.parse("2001:db8::/32");
        assertThat(p.toString()).isEqualTo("2001:db8::/32");
        assertThat(p.contains(6, Prefix.parse("2001:db8:ffff::1").address(), 0)).isTrue();
        assertThat(p.contains(6, Prefix.parse("2001:db9::1").address(), 0)).isFalse();
        assertThat(Prefix.parse("10.0.0.0/9").contains(4, new byte[] {10, 127, 1, 1}, 0)).isTrue();
        assertThat(Prefix.parse("10.0.0.0/9").contains(4, new byte[] {10, (byte) 128, 1, 1}, 0)).isFalse();
        assertThat(Prefix.parse("0.0.0.0/0").covers(Prefix.parse("10.0.0.0/8"))).isTrue();
        assertThat(List.of("example.com", "1.2.3", "1.2.3.4/x", "::g")).allSatisfy(s ->
                assertThatThrownBy(() -> Prefix.parse(s)).isInstanceOf(IllegalArgumentException.class));
    }

    /** What the agent warns of at start: a policy that passes no UDP to the VXLAN port drops every tunnel. */
    @Test
    void whetherThePolicyPassesSomeUdpToAPort() throws Exception {
        assertThat(FirewallConfigParser.parse("default pass\n", "t").passesSomeUdpTo(4789)).isTrue();
        assertThat(FirewallConfigParser.parse("default drop\n", "t").passesSomeUdpTo(4789)).isFalse();
        assertThat(FirewallConfigParser.parse("default drop\nrule pass tcp port 4789\nrule pass udp port 53\n", "t").passesSomeUdpTo(4789))
                .isFalse();
        assertThat(FirewallConfigParser.parse("default drop\nrule drop udp port 4789\n", "t").passesSomeUdpTo(4789)).isFalse();
        assertThat(FirewallConfigParser.parse("default drop\nrule pass udp from 10.1.0.0/16 port 4000-5000\n", "t").passesSomeUdpTo(4789))
                .isTrue();
        assertThat(FirewallConfigParser.parse("default drop\nrule pass any from 10.1.0.0/16\n", "t").passesSomeUdpTo(4789)).isTrue();
        assertThat(FirewallConfigParser.parse("default drop\nallow src 10.1.0.0/16\n", "t").passesSomeUdpTo(4789)).isTrue();
    }
}
