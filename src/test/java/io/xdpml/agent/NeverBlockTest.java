package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What no detection blocks: mitigation.never-block, the firewall's allow src, this host's own addresses. */
class NeverBlockTest {
    @TempDir
    Path dir;

    @Test
    void theConfiguredPrefixesTheAllowListAndThisHostAreSpared() throws Exception {
        Path f = dir.resolve("a.yaml");
        Files.writeString(f, """
                interfaces: [eth0]
                firewall:
                  rules: |
                    allow src 198.51.100.0/24
                    allow dst 203.0.113.0/24
                mitigation:
                  block: 60s
                  never-block: [192.0.2.53, "2001:db8::/32"]
                """);
        AgentConfig c = AgentConfigLoader.load(f);
        NeverBlock agent = NeverBlock.of(c, true);
        assertThat(agent.why(InetAddress.getByName("192.0.2.53"))).isEqualTo("mitigation.never-block 192.0.2.53/32");
        assertThat(agent.why(InetAddress.getByName("192.0.2.54"))).isNull();
        assertThat(agent.why(InetAddress.getByName("2001:db8::9"))).isEqualTo("mitigation.never-block 2001:db8::/32");
        assertThat(agent.why(InetAddress.getByName("198.51.100.7"))).isEqualTo("the firewall's allow src 198.51.100.0/24");
        assertThat(agent.why(InetAddress.getByName("203.0.113.7"))).as("allow dst is not about senders").isNull();
        assertThat(agent.why(InetAddress.getByName("127.0.0.1"))).startsWith("an address of this host");
        assertThat(NeverBlock.of(c, false).why(InetAddress.getByName("127.0.0.1"))).as("a replay's hosts are not this one").isNull();

        // a fleet block (another agent's, an operator's) of a prefix: refused whole where it overlaps what is spared here
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("192.0.2.0/24"))).isEqualTo("it overlaps mitigation.never-block 192.0.2.53/32");
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("2001:db8:7::/48"))).isEqualTo("it overlaps mitigation.never-block 2001:db8::/32");
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("198.51.100.128/25"))).isEqualTo("it overlaps the firewall's allow src 198.51.100.0/24");
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("127.0.0.0/8"))).matches("it covers 127\\.[0-9.]+, an address of this host");
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("192.0.2.54/32"))).isNull();
        assertThat(agent.why(io.xdpml.firewall.Prefix.parse("203.0.113.0/24"))).isNull();
        assertThat(NeverBlock.of(c, false).why(io.xdpml.firewall.Prefix.parse("127.0.0.0/8"))).isNull();

        Files.writeString(f, Files.readString(f).replace("firewall:", "firewall:\n  enabled: false"));
        assertThat(NeverBlock.of(AgentConfigLoader.load(f), false).why(InetAddress.getByName("198.51.100.7")))
                .as("no firewall, no allow list").isNull();
    }
}
