package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.dataplane.Stage;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block is kept while its source still sends, live: a real agent with a 1 s block, a scanner
 * that goes on for 4 s after it was blocked. Once blocked, its packets are dropped in XDP and no
 * longer reach the detectors, so no detection renews the block; the kernel entry's hits do
 * (Agent.renewBlocksStillHit). Without the renewal the block lapses after 1 s and the scan gets
 * through until it is detected again ("BLOCKED ... again"). Then, the scanner quiet, the block ends.
 * The twin's RenewalTest shows the same on a replay; this is the agent on a veth.
 */
class RenewalVethTest {
    static final String SCANNER = "10.77.0.9";

    /** An agent with 1 s portscan windows and 1 s blocks, scanned by {@link #SCANNER} until it blocks it. */
    private static void startAndBlockTheScanner(AgentRig rig, Path file) throws Exception {
        Files.writeString(file, """
                interfaces: [%s]
                blocks:
                  enabled: true
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan]
                  window: 1s
                mitigation:
                  block: 1s
                """.formatted(rig.rx));
        rig.start(file);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!rig.output().contains("BLOCKED " + SCANNER) && System.nanoTime() < deadline) {
            AgentVethTest.scan(rig);
            Thread.sleep(300);
        }
        assertThat(rig.output()).as("agent output").contains("BLOCKED " + SCANNER);
    }

    @Test
    void aBlockIsKeptWhileItsSourceStillSendsThenEnds(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("rnw")) {
            startAndBlockTheScanner(rig, file);

            // the scan goes on for 4 s, four times the block: every packet of it dropped by the block
            long blockedBefore = rig.counters().dropped(Stage.BLOCKS);
            long packetsBefore = rig.counters().packets();
            long sent = 0;
            long end = System.nanoTime() + 4_000_000_000L;
            while (System.nanoTime() < end) {
                sent += AgentVethTest.scan(rig);
                Thread.sleep(100);
            }
            long wait = System.nanoTime() + 3_000_000_000L;
            while (rig.counters().packets() < packetsBefore + sent && System.nanoTime() < wait) {
                Thread.sleep(10);
            }
            long dropped = rig.counters().dropped(Stage.BLOCKS) - blockedBefore;
            System.out.printf("renewal on veth: %d scan packets sent over 4 s after the 1 s block, %d dropped by it%n", sent, dropped);
            assertThat(rig.counters().packets() - packetsBefore).isEqualTo(sent);
            assertThat(dropped).as("scan packets dropped by the block, of %d", sent).isEqualTo(sent);
            assertThat(rig.output()).as("never let through and blocked again").doesNotContain("BLOCKED " + SCANNER + " for 1 s (portscan, again");

            // quiet now: the block ends about a second later, and is swept
            long quiet = System.nanoTime() + 5_000_000_000L;
            while (AgentFleetTest.blocked(rig, SCANNER) && System.nanoTime() < quiet) {
                Thread.sleep(100);
            }
            assertThat(AgentFleetTest.blocked(rig, SCANNER)).as("the block after its source went quiet").isFalse();
        }
    }
    /**
     * A renewal that finds a longer block of its source in force (here the operator's, written as
     * {@code xdpml blocks add --seconds 60} does, over the agent's 1 s block; the fleet's alike)
     * leaves that one as it is, and the agent says so once ("RENEWED ... beneath a longer block"),
     * not every second it renews. Before, nothing was said: the agent took its renewal for done.
     */
    @Test
    void aRenewalBeneathALongerBlockLeavesItAndIsToldOnce(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("rnb")) {
            startAndBlockTheScanner(rig, file);
            long longer = System.nanoTime() + 60_000_000_000L;
            io.xdpml.processor.Mitigation pinned = io.xdpml.processor.Mitigation.openPinned(rig.blocksPins.resolve(rig.rx));
            try {
                pinned.blockUntil(java.net.InetAddress.ofLiteral(SCANNER), 32, longer); // the operator's block for a minute
                long end = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < end) { // the scan goes on: the agent renews its block every second
                    AgentVethTest.scan(rig);
                    Thread.sleep(100);
                }
                assertThat(pinned.list()).as("the longer block stays as it was").filteredOn(b -> b.address().getHostAddress().equals(SCANNER))
                        .singleElement().extracting(io.xdpml.processor.Mitigation.Block::expiresNanos).isEqualTo(longer);
            } finally {
                pinned.close();
            }
            String said = "RENEWED " + SCANNER + " for 1 s beneath a longer block of it (expires in ";
            assertThat(rig.output()).as("told").contains(said).contains("which stays");
            assertThat(rig.output().split(java.util.regex.Pattern.quote(said), -1)).as("told once").hasSize(2);
        }
    }
}
