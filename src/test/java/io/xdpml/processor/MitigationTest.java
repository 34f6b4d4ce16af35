package io.xdpml.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Closed loop on a real veth pair: the callback sees an attacker's UDP flood and blocks its source
 * in the kernel; from then on the XDP program drops the attacker's packets (counted on the block
 * entry) while another source's packets keep reaching Java. Unblocking lets the attacker through
 * again; an expired block stops matching and is swept.
 */
class MitigationTest {
    static final byte[] ATTACK = new FrameBuilder().ethernet().ipv4("10.6.0.66", "10.6.0.2").udp(123, 4444).payload(400).build();
    static final byte[] BENIGN = new FrameBuilder().ethernet().ipv4("10.6.0.10", "10.6.0.2").tcp(40000, 443, 0x02).build();

    @Test
    void theCallbackBlocksAnAttackerAndTheKernelDropsIt() throws Exception {
        TestData.assumeBpf();
        InetAddress attacker = InetAddress.getByName("10.6.0.66");
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mitig")) {
            ns.createVethPair("mit0", "mit1");
            ns.run(() -> {
                AtomicBoolean blocked = new AtomicBoolean();
                MlPacketProcessor[] self = new MlPacketProcessor[1];
                try (MlPacketProcessor p = MlPacketProcessor.open(ProcessorConfig.forInterface("mit1"), packet -> {
                    if (packet.summary().l4Protocol() == 17 && packet.input("fwd_packets") >= 100 && !blocked.getAndSet(true)) {
                        self[0].mitigation().block(attacker, Duration.ofMinutes(5));
                        return Verdict.flag(packet.input("fwd_packets"), "udp flood");
                    }
                    return Verdict.NORMAL;
                }); LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("mit0"))) {
                    self[0] = p;
                    p.start();
                    MlPacketProcessorTest.trickle(gen, ATTACK, 2000);
                    MlPacketProcessorTest.trickle(gen, BENIGN, 500);
                    MlPacketProcessorTest.waitFor(p, 600);
                    long receivedBefore = p.stats().received();
                    assertThat(blocked.get()).as("the callback decided to block").isTrue();
                    // the block takes effect within the batch in flight: at most a ring's worth got through after it
                    assertThat(receivedBefore).isBetween(600L, 100L + 2048 + 500);
                    var blocks = p.mitigation().list();
                    assertThat(blocks).hasSize(1);
                    assertThat(blocks.get(0).address()).isEqualTo(attacker);
                    long hits = blocks.get(0).hits();
                    assertThat(hits).as("attacker packets dropped in XDP").isEqualTo(p.blockedPackets()).isPositive();
                    assertThat(receivedBefore + hits).as("every frame either reached Java or was dropped by the block").isEqualTo(2500);

                    MlPacketProcessorTest.trickle(gen, ATTACK, 1000);
                    MlPacketProcessorTest.trickle(gen, BENIGN, 300);
                    MlPacketProcessorTest.waitFor(p, receivedBefore + 300);
                    assertThat(p.stats().received() - receivedBefore).as("after the block: only the benign source").isEqualTo(300);
                    assertThat(p.mitigation().list().get(0).hits()).isEqualTo(hits + 1000);

                    // renewed while it still drops (the agent's renewal): the expiry moves, the hits stay
                    long later = System.nanoTime() + 3_600_000_000_000L;
                    assertThat(p.mitigation().extend(attacker, 32, later)).isTrue();
                    assertThat(p.mitigation().list().get(0).expiresNanos()).isEqualTo(later);
                    assertThat(p.mitigation().list().get(0).hits()).isEqualTo(hits + 1000);
                    assertThat(p.mitigation().extend(InetAddress.getByName("10.0.0.99"), 32, later)).as("no such block").isFalse();
                    assertThat(p.mitigation().extend(attacker, 32, later - 1)).as("there").isTrue();
                    assertThat(p.mitigation().list().get(0).expiresNanos()).as("a renewal never shortens a block").isEqualTo(later);

                    // a detection's block leaves a longer one (the operator's) as it is, and a renewal cannot shorten it
                    assertThat(p.mitigation().blockAtLeastUntil(attacker, 32, System.nanoTime() + 60_000_000_000L)).as("a later block is there").isFalse();
                    assertThat(p.mitigation().list().get(0).expiresNanos()).isEqualTo(later);
                    p.mitigation().block(attacker, null); // the operator: until removed
                    assertThat(p.mitigation().blockAtLeastUntil(attacker, 32, System.nanoTime() + 60_000_000_000L)).isFalse();
                    assertThat(p.mitigation().extend(attacker, 32, System.nanoTime() + 1_000_000_000L)).isTrue();
                    assertThat(p.mitigation().list().get(0).expiresNanos()).as("still until removed").isZero();
                    // the fleet's prefix blocks the same way
                    InetAddress net = InetAddress.getByName("10.6.7.0");
                    p.mitigation().block(net, 24, null);
                    assertThat(p.mitigation().blockAtLeastUntil(net, 24, System.nanoTime() + 60_000_000_000L)).isFalse();
                    assertThat(p.mitigation().list()).anySatisfy(b -> assertThat(b).extracting(Mitigation.Block::prefixLength,
                            Mitigation.Block::expiresNanos).containsExactly(24, 0L));
                    assertThat(p.mitigation().unblock(net, 24)).isTrue();
                    p.mitigation().block(attacker, Duration.ofMillis(1));
                    Thread.sleep(5);
                    assertThat(p.mitigation().blockAtLeastUntil(attacker, 32, System.nanoTime() + 60_000_000_000L)).as("over one that expired").isTrue();
                    assertThat(p.mitigation().list().get(0).expiresNanos()).isGreaterThan(System.nanoTime() + 50_000_000_000L);

                    assertThat(p.mitigation().unblock(attacker, 32)).isTrue();
                    long afterUnblock = p.stats().received();
                    MlPacketProcessorTest.trickle(gen, ATTACK, 200);
                    MlPacketProcessorTest.waitFor(p, afterUnblock + 200);
                    assertThat(p.stats().received() - afterUnblock).as("unblocked: the attacker reaches Java again").isEqualTo(200);

                    p.mitigation().block(attacker, Duration.ofMillis(1));
                    Thread.sleep(20);
                    long afterExpiry = p.stats().received();
                    MlPacketProcessorTest.trickle(gen, ATTACK, 100);
                    MlPacketProcessorTest.waitFor(p, afterExpiry + 100);
                    assertThat(p.stats().received() - afterExpiry).as("an expired block no longer matches").isEqualTo(100);
                    assertThat(p.mitigation().sweep()).isEqualTo(1);
                    assertThat(p.mitigation().list()).isEmpty();
                    p.stop();
                }
                return null;
            });
        }
    }

    /**
     * A flow block drops one flow in both directions, and nothing else of the same hosts: the
     * other flow between them, and the reverse direction's frames of the blocked one; the CLI adds,
     * lists and removes flow blocks through the pins while the processor runs.
     */
    @Test
    void aFlowBlockDropsThatFlowBothWaysAndNothingElse() throws Exception {
        TestData.assumeBpf();
        byte[] blockedOut = new FrameBuilder().ethernet().ipv4("10.6.1.1", "10.6.1.2").udp(5000, 53).payload(30).build();
        byte[] blockedBack = new FrameBuilder().ethernet().ipv4("10.6.1.2", "10.6.1.1").udp(53, 5000).payload(30).build();
        byte[] otherFlow = new FrameBuilder().ethernet().ipv4("10.6.1.1", "10.6.1.2").udp(5001, 53).payload(30).build();
        byte[] tcpSamePorts = new FrameBuilder().ethernet().ipv4("10.6.1.1", "10.6.1.2").tcp(5000, 53, 0x02).build();
        java.nio.file.Path pins = java.nio.file.Path.of("/sys/fs/bpf/xdpml-test-mitig-" + ProcessHandle.current().pid());
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mitig"); AutoCloseable clean = () -> io.xdpml.kernel.BpfFs.removeRecursively(pins)) {
            ns.createVethPair("mif0", "mif1");
            ns.run(() -> {
                ProcessorConfig config = ProcessorConfig.forInterface("mif1").withBlocksPin(pins.resolve("mif1"));
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> Verdict.NORMAL);
                     LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("mif0"))) {
                    p.start();
                    // blocked from the other end of the flow: the endpoints in reverse order name the same flow
                    p.mitigation().blockFlow(new Mitigation.Flow(InetAddress.getByName("10.6.1.2"), 53, InetAddress.getByName("10.6.1.1"), 5000, 17, 0), null);
                    MlPacketProcessorTest.trickle(gen, blockedOut, 400);
                    MlPacketProcessorTest.trickle(gen, blockedBack, 100);
                    MlPacketProcessorTest.trickle(gen, otherFlow, 300);
                    MlPacketProcessorTest.trickle(gen, tcpSamePorts, 200);
                    MlPacketProcessorTest.waitFor(p, 500);
                    assertThat(p.stats().received()).as("the other UDP flow and the TCP one reach Java").isEqualTo(500);
                    var flows = p.mitigation().listFlows();
                    assertThat(flows).hasSize(1);
                    assertThat(flows.get(0).hits()).as("both directions dropped in XDP").isEqualTo(500);
                    assertThat(flows.get(0).toString()).isEqualTo("udp 10.6.1.1:5000 <-> 10.6.1.2:53");

                    // the CLI, from "another shell": list, remove, add through the pins
                    io.xdpml.cli.CliHarness.Result list = io.xdpml.cli.CliHarness.run("blocks", "list", "--pin-dir", pins.toString());
                    assertThat(list.out()).contains("mif1: 0 blocks, 1 flow").containsPattern("udp 10\\.6\\.1\\.1:5000 <-> 10\\.6\\.1\\.2:53 +dropped 500 packets, no expiry");
                    assertThat(io.xdpml.cli.CliHarness.run("blocks", "remove", "--iface", "mif1", "--pin-dir", pins.toString(),
                            "--flow", "udp/10.6.1.1:5000-10.6.1.2:53").code()).isZero();
                    long before = p.stats().received();
                    MlPacketProcessorTest.trickle(gen, blockedOut, 100);
                    MlPacketProcessorTest.waitFor(p, before + 100);
                    assertThat(p.stats().received() - before).as("removed: the flow reaches Java again").isEqualTo(100);
                    assertThat(io.xdpml.cli.CliHarness.run("blocks", "add", "--iface", "mif1", "--pin-dir", pins.toString(),
                            "--flow", "tcp/10.6.1.1:5000-10.6.1.2:53").code()).isZero();
                    before = p.stats().received();
                    MlPacketProcessorTest.trickle(gen, tcpSamePorts, 100);
                    MlPacketProcessorTest.trickle(gen, blockedOut, 100);
                    MlPacketProcessorTest.waitFor(p, before + 100);
                    assertThat(p.stats().received() - before).as("the TCP flow blocked from the CLI; the UDP one passes").isEqualTo(100);
                    io.xdpml.cli.CliHarness.Result bad = io.xdpml.cli.CliHarness.run("blocks", "add", "--iface", "mif1", "--pin-dir",
                            pins.toString(), "--flow", "udp/10.6.1.9:99-10.6.1.2:53", "--flow", "udp/10.6.1.1-10.6.1.2:53");
                    assertThat(bad.code()).isNotZero();
                    assertThat(bad.err()).contains("is not ADDRESS:PORT");
                    assertThat(p.mitigation().listFlows()).as("a bad command adds nothing").hasSize(1);
                    // a flow inside a VXLAN tunnel, on a VLAN: named by its VNI and VID, listed and removed so
                    String tunnelled = "udp/10.6.1.1:5000-10.6.1.2:53,vlan=5,vni=7";
                    assertThat(io.xdpml.cli.CliHarness.run("blocks", "add", "--iface", "mif1", "--pin-dir", pins.toString(),
                            "--flow", tunnelled).out()).contains("blocked flow 17/10.6.1.1:5000-10.6.1.2:53,vlan=5,vni=7 on mif1");
                    assertThat(io.xdpml.cli.CliHarness.run("blocks", "list", "--pin-dir", pins.toString()).out())
                            .contains("udp 10.6.1.1:5000 <-> 10.6.1.2:53 vlan 5 vni 7");
                    io.xdpml.cli.CliHarness.Result tooBig = io.xdpml.cli.CliHarness.run("blocks", "add", "--iface", "mif1", "--pin-dir",
                            pins.toString(), "--flow", "udp/10.6.1.1:5000-10.6.1.2:53,vni=16777216");
                    assertThat(tooBig.code()).isNotZero();
                    assertThat(tooBig.err()).contains("udp/10.6.1.1:5000-10.6.1.2:53,vni=16777216': vni must be a number 0..16777215");
                    io.xdpml.cli.CliHarness.Result twice = io.xdpml.cli.CliHarness.run("blocks", "add", "--iface", "mif1", "--pin-dir",
                            pins.toString(), "--flow", "udp/10.6.1.1:5000-10.6.1.2:53,vlan=1,vlan=2");
                    assertThat(twice.code()).isNotZero();
                    assertThat(twice.err()).contains("vlan given twice");
                    assertThat(io.xdpml.cli.CliHarness.run("blocks", "remove", "--iface", "mif1", "--pin-dir", pins.toString(),
                            "--flow", tunnelled).code()).isZero();
                    assertThat(p.mitigation().listFlows()).hasSize(1);
                    p.stop();
                }
                return null;
            });
        }
    }
}
