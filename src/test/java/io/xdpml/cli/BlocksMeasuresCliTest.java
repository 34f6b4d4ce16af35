package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.Measure;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml blocks} on firewall measures, from "another shell": the composed program (blocks
 * and firewall stages, real clock) pinned as a run pins it; the CLI adds, lists, removes and
 * clears measures through the pins, and the program enforces what it added (frames through
 * BPF_PROG_TEST_RUN).
 */
class BlocksMeasuresCliTest {
    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;
    static final byte[] DNS_REPLY = new FrameBuilder().ethernet().ipv4("198.51.100.9", "192.0.2.7").udp(53, 40000).payload(200).build();
    static final byte[] SYN = new FrameBuilder().ethernet().ipv4("198.51.100.10", "192.0.2.7").tcp(41000, 80, 0x02).build();
    static final byte[] DNS_QUERY = new FrameBuilder().ethernet().ipv4("198.51.100.11", "192.0.2.7").udp(40001, 53).payload(30).build();

    static int run(TestRun r, Arena a, byte[] frame) {
        MemorySegment f = a.allocate(frame.length);
        MemorySegment.copy(frame, 0, f, ValueLayout.JAVA_BYTE, 0, frame.length);
        return r.run(f, frame.length);
    }

    @Test
    void addListRemoveAndClearMeasuresThroughThePins() throws Exception {
        TestData.assumeBpf();
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-measures-" + ProcessHandle.current().pid());
        Path dir = pins.resolve("veth-m");
        String pd = pins.toString();
        try (BpfObject obj = PipelineObject.open(Stages.none().withBlocks(true).withFirewall(true));
             AutoCloseable clean = () -> BpfFs.removeRecursively(pins); Arena a = Arena.ofConfined()) {
            obj.load();
            BpfFs.createDirectories(dir);
            for (String m : new String[] {"xdpml_blocks", "xdpml_flow_blocks", "xdpml_mitigation_state"}) { // as a run pins them
                obj.map(m).pin(dir.resolve(m));
            }
            FirewallMeasures own = new FirewallMeasures(obj::map);
            own.pin(dir);
            TestRun tr = obj.program(PipelineObject.ENTRY).testRun();

            CliHarness.Result add = CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd, "--seconds", "60",
                    "--measure", "port-drop:udp/53->192.0.2.7", "--measure", "syn-limit:tcp->192.0.2.7:80@2/s,burst=3");
            assertThat(add.code()).as(add.err()).isZero();
            assertThat(add.out()).contains("added measure port-drop udp/53->192.0.2.7 on veth-m for 60 s",
                    "added measure syn-limit tcp->192.0.2.7:80 2/s burst 3 on veth-m for 60 s");
            assertThat(own.active()).as("the program looks measures up").isTrue();

            assertThat(run(tr, a, DNS_REPLY)).as("a reply from port 53 to the victim").isEqualTo(XDP_DROP);
            assertThat(run(tr, a, DNS_REPLY)).isEqualTo(XDP_DROP);
            int passed = 0;
            for (int i = 0; i < 10; i++) { // the burst of 3 passes (plus what 2/s adds meanwhile), the rest is dropped
                passed += run(tr, a, SYN) == XDP_PASS ? 1 : 0;
            }
            assertThat(passed).isEqualTo(3);
            long[] counters = obj.map("xdpml_fw_stats").sumPerCpuLongs(0);
            assertThat(counters[FirewallCounter.DROP_MEASURE_PORT.id()]).isEqualTo(2);
            assertThat(counters[FirewallCounter.DROP_MEASURE_SYN.id()]).isEqualTo(7);

            CliHarness.Result list = CliHarness.run("blocks", "list", "--pin-dir", pd);
            System.out.print(list.out());
            assertThat(list.code()).isZero();
            assertThat(list.out()).contains("veth-m: 0 blocks, 0 flows, 2 measures")
                    .containsPattern("port-drop udp/53->192\\.0\\.2\\.7 +dropped 2 packets, expires in (59|60) s")
                    .containsPattern("syn-limit tcp->192\\.0\\.2\\.7:80 +2/s burst 3 +7 SYNs over the limit, expires in (59|60) s");

            // a bad item: nothing of the command is applied
            CliHarness.Result bad = CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd,
                    "--measure", "port-drop:udp/123->192.0.2.8", "--measure", "syn-limit:tcp->192.0.2.8:443");
            assertThat(bad.code()).isNotZero();
            assertThat(bad.err()).contains("a syn-limit needs a rate");
            assertThat(own.list()).hasSize(2);

            assertThat(CliHarness.run("blocks", "remove", "--iface", "veth-m", "--pin-dir", pd, "--measure",
                    "syn-limit:tcp->192.0.2.7:80").code()).isZero();
            CliHarness.Result again = CliHarness.run("blocks", "remove", "--iface", "veth-m", "--pin-dir", pd, "--measure",
                    "syn-limit:tcp->192.0.2.7:80");
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.out()).contains("no measure syn-limit tcp->192.0.2.7:80");
            assertThat(run(tr, a, SYN)).as("removed: SYNs pass again").isEqualTo(XDP_PASS);

            // a udp-limit: the burst of 2 passes, the rest is dropped
            CliHarness.Result udp = CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd, "--seconds", "60", "--measure",
                    "udp-limit:udp->192.0.2.7:53@1/s,burst=2");
            assertThat(udp.code()).as(udp.err()).isZero();
            assertThat(udp.out()).contains("added measure udp-limit udp->192.0.2.7:53 1/s burst 2 on veth-m for 60 s");
            int udpPassed = 0;
            for (int i = 0; i < 5; i++) {
                udpPassed += run(tr, a, DNS_QUERY) == XDP_PASS ? 1 : 0;
            }
            assertThat(udpPassed).isEqualTo(2);
            assertThat(obj.map("xdpml_fw_stats").sumPerCpuLongs(0)[FirewallCounter.DROP_MEASURE_UDP.id()]).isEqualTo(3);
            assertThat(CliHarness.run("blocks", "list", "--iface", "veth-m", "--pin-dir", pd).out())
                    .containsPattern("udp-limit udp->192\\.0\\.2\\.7:53 +1/s burst 2 +3 datagrams over the limit, expires in (59|60) s");

            // a block and a measure, then clear takes both
            assertThat(CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd, "203.0.113.0/24", "--measure",
                    "syn-limit:tcp->[2001:db8::7]:any@100/s").code()).isZero();
            assertThat(CliHarness.run("blocks", "list", "--iface", "veth-m", "--pin-dir", pd).out())
                    .contains("veth-m: 1 block, 0 flows, 3 measures").contains("syn-limit tcp->[2001:db8::7]:any").contains("no expiry");
            CliHarness.Result clear = CliHarness.run("blocks", "clear", "--iface", "veth-m", "--pin-dir", pd);
            assertThat(clear.out()).contains("removed 1 block and 3 measures on veth-m");
            assertThat(own.list()).isEmpty();
            assertThat(own.active()).as("no measure left: the program skips the lookups").isFalse();
            assertThat(run(tr, a, DNS_REPLY)).isEqualTo(XDP_PASS);

            // a run without the blocks stage pins only its measures
            FirewallMeasures.unpin(dir);
            for (String m : new String[] {"xdpml_blocks", "xdpml_flow_blocks", "xdpml_mitigation_state"}) {
                BpfFs.removePin(dir.resolve(m));
            }
            own.pin(dir);
            CliHarness.Result noBlocks = CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd, "203.0.113.0/24");
            assertThat(noBlocks.code()).isNotZero();
            assertThat(noBlocks.err()).contains("no blocks pinned");
            assertThat(CliHarness.run("blocks", "add", "--iface", "veth-m", "--pin-dir", pd, "--measure", "port-drop:tcp/80->192.0.2.7")
                    .code()).isZero();
            assertThat(own.list()).extracting(Measure::toString).containsExactly("port-drop tcp/80->192.0.2.7");
            tr.close();
        }
    }
}
