package io.xdpml.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.cli.CliHarness;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code xdpml vxlan}: bad files refused with their line numbers; a timed run on the VXLAN rig counts the traffic. */
class VxlanCliTest {
    static CliHarness.Result run(String... args) {
        return CliHarness.run(args);
    }

    @Test
    void aBadNatFileIsRefusedWithItsLineNumbers(@TempDir Path dir) throws Exception {
        Path nat = dir.resolve("nat.txt");
        Files.writeString(nat, "# ok\n* 53 -> 10.0.0.1 5353\n10.0.0.2 80 -> 10.0.0.3\n10.0.0.4 99999 -> 10.0.0.5 1\n* 53 -> 10.0.0.9 1\n");
        CliHarness.Result r = run("vxlan", "--in", "xdpml-none0", "--out", "xdpml-none1", "--nat", nat.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("line 3: expected", "line 4: bad port '99999'", "line 5: a second mapping", "nothing was changed");
    }

    @Test
    void aBadAllowlistAndBadOptionsAreRefused(@TempDir Path dir) throws Exception {
        Path allow = dir.resolve("allow.json");
        Files.writeString(allow, "{\"version\": \"1\", \"total_ips\": 3,\n \"flat_ip_list\": [\"192.0.2.1\"]}\n");
        CliHarness.Result r = run("vxlan", "--in", "a", "--out", "b", "--allowlist", allow.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("total_ips");
        assertThat(run("vxlan", "--in", "a", "--out", "b", "--match", "both").err()).contains("--match must be src or dst");
        assertThat(run("vxlan", "--in", "a", "--out", "b", "--egress", "tx").err()).contains("--egress must be redirect or xsk");
        assertThat(run("vxlan", "--in", "a", "--out", "b", "--decap", "--forward").err()).contains("exclude each other");
        assertThat(run("vxlan", "--in", "a", "--out", "b", "--vni", "42,16777216").err()).contains("--vni: bad VNI '16777216'");
        assertThat(run("vxlan", "--in", "a", "--out", "b", "--vni", "42,,43").err()).contains("--vni: bad VNI ''");
    }

    @Test
    void aTimedRunForwardsTheAllowedAndPrintsCountersEverySecond(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path allow = dir.resolve("allow.conf");
        Files.writeString(allow, "allow src 10.0.0.0/30\n");
        Path nat = dir.resolve("nat.txt");
        Files.writeString(nat, "* 5000 -> 172.16.0.2 6000\n");
        try (VxlanRig rig = new VxlanRig()) {
            String mac = VxlanRig.mac(rig.backend, VxlanRig.BACKEND_IF);
            CompletableFuture<CliHarness.Result> cli = CompletableFuture.supplyAsync(() -> rig.gateway.run(() -> run("vxlan", "--in",
                    VxlanRig.IN_IF, "--out", VxlanRig.OUT_IF, "--allowlist", allow.toString(), "--nat", nat.toString(),
                    "--clear-df", "--dst-mac", mac, "--vni", "7,42", "--duration", "3")));
            // wait until the command has loaded and attached (a fixed 1.5 s was too short on a loaded machine:
            // the frames reached the ingress before the program and every counter stayed 0)
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!rig.gateway.exec("ip", "-o", "link", "show", "dev", VxlanRig.IN_IF).contains("prog/xdp")) {
                assertThat(cli).as("the command ended before it attached").isNotDone();
                assertThat(System.nanoTime()).as("attached within 60 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            byte[] vxMac = VxlanRig.macBytes(rig.tenant, VxlanRig.VX_IF);
            rig.tenant.run(() -> {
                try (PacketSocket vx = PacketSocket.open(VxlanRig.VX_IF); Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(2048);
                    for (int i = 0; i < 30; i++) {
                        String src = i % 3 == 0 ? "10.0.0.9" : "10.0.0.1";
                        byte[] f = new FrameBuilder().ethernet(new byte[] {2, 0, 0, 0, 0, 0x22}, vxMac)
                                .ipv4(InetAddress.getByName(src).getAddress(), InetAddress.getByName("10.0.0.2").getAddress(), 0, 64)
                                .udp(40000, 5000).payload(16).build();
                        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                        vx.send(buf, f.length);
                    }
                }
                return null;
            });
            CliHarness.Result r = cli.get();
            assertThat(r.code()).as(r.err()).isZero();
            String last = r.out().lines().reduce((a, b) -> b).orElseThrow();
            assertThat(r.out().lines().filter(l -> l.startsWith("total=")).count()).as(r.out()).isBetween(2L, 4L);
            assertThat(last).contains("vxlan=30 ", "inner=30 ", "nat_applied=20 ", "handed=20 ", "to_devmap=20 ", "denied=10 ", "xsk_lost=0 ");
        }
    }
}
