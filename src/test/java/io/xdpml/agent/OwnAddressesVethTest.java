package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.dataplane.Stage;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent keeps its firewall told of this host's own addresses, live: a packet forged from one
 * of them (which would open a conntrack entry with this host as initiator, and let the forger's
 * packets past the rules as replies) is dropped, and an address added to or removed from the
 * namespace's interfaces is taken in within about a second.
 */
class OwnAddressesVethTest {
    static final String HOST = "10.77.0.2";
    static final String ADDED = "10.77.0.20";
    static final String FORGER = "10.77.0.1";

    @Test
    void packetsForgedFromThisHostsAddressesOpenNothing(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("own")) {
            rig.ns.exec("ip", "addr", "add", HOST + "/24", "dev", rig.rx);
            // another interface's link-local address is another link's: not one a packet on rx cannot have
            String other = "d" + rig.rx.substring(3);
            rig.ns.createVethPair(other, other.substring(0, other.length() - 1) + "p");
            rig.ns.exec("ip", "addr", "add", "169.254.7.7/16", "dev", other);
            Files.writeString(file, """
                    interfaces: [%s]
                    firewall:
                      rules: |
                        default pass
                        conntrack on
                        rule drop tcp port 80
                    """.formatted(rig.rx));
            rig.start(file);
            assertThat(rig.output()).contains(rig.rx + ": firewall: conntrack opens nothing for a packet from one of this host's");
            rig.send(forged("10.77.0.255", 5600), 1); // the subnet's broadcast address
            rig.send(forged("169.254.7.7", 5601), 1);
            Map<String, Long> first = reasons(rig, 2);
            assertThat(first).as("from the broadcast address; from another link's link-local address")
                    .containsEntry("drop_own_source", 1L).containsEntry("pass_default", 1L);

            long sent = 2 + attack(rig, HOST);
            Map<String, Long> r = reasons(rig, sent);
            assertThat(r).as("forged from the interface's address")
                    .containsEntry("drop_own_source", 11L).containsEntry("drop_rule", 30L).doesNotContainKey("pass_conntrack");

            // an address added now: refused within about a second (each probe from a port of its own, so
            // that one let by before the refresh opens nothing the next one would use)
            rig.ns.exec("ip", "addr", "add", ADDED + "/32", "dev", rig.rx);
            int port = 6000;
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(200);
                rig.send(forged(ADDED, port++), 1);
                r = reasons(rig, ++sent);
            } while (r.getOrDefault("drop_own_source", 0L) == 11 && System.nanoTime() < deadline);
            assertThat(r.get("drop_own_source")).as("a probe from the added address refused").isEqualTo(12L);
            sent += attack(rig, ADDED);
            r = reasons(rig, sent);
            assertThat(r).containsEntry("drop_own_source", 22L).containsEntry("drop_rule", 60L).doesNotContainKey("pass_conntrack");

            // removed again: its packets are judged as any other source's
            rig.ns.exec("ip", "addr", "del", ADDED + "/32", "dev", rig.rx);
            long passed = r.getOrDefault("pass_default", 0L);
            deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(200);
                rig.send(forged(ADDED, port++), 1);
                r = reasons(rig, ++sent);
            } while (r.getOrDefault("pass_default", 0L) == passed && System.nanoTime() < deadline);
            assertThat(r.getOrDefault("pass_default", 0L)).as("a packet from an address the host no longer has").isEqualTo(passed + 1);
            assertThat(rig.counters().packets()).isEqualTo(sent);
        }
    }

    /** 10 forged ACKs from {@code host}:80, then 30 packets of the forger to {@code host}:80; returns 40. */
    static long attack(AgentRig rig, String host) {
        rig.send(forged(host, 5555), 10);
        rig.send(new FrameBuilder().ethernet().ipv4(FORGER, host).tcp(5555, 80, 0x18).payload(20).build(), 30);
        return 40;
    }

    /** An ACK "from" {@code host}:80 to the forger's {@code port}: loose conntrack would open an established connection. */
    static byte[] forged(String host, int port) {
        return new FrameBuilder().ethernet().ipv4(host, FORGER).tcp(80, port, 0x10).build();
    }

    /** The firewall's verdict reasons once {@code packets} packets went through (status, as another shell reads it). */
    @SuppressWarnings("unchecked")
    static Map<String, Long> reasons(AgentRig rig, long packets) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (rig.counters().packets() < packets && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Map<String, Object> fw = AgentVethTest.stage(StatusReport.of(rig.rx), Stage.FIREWALL);
        Map<String, Long> out = new java.util.TreeMap<>();
        ((Map<String, Object>) fw.get("reasons")).forEach((k, v) -> out.put(k, ((Number) v).longValue()));
        return out;
    }
}
