package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.firewall.FirewallPins;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml fw} end to end on a veth pair in a namespace of the test's own, with a pin
 * directory of its own: load attaches and the program stays attached with no fd left in this
 * process (the pinned link holds it), stats count real frames, a bad file changes nothing,
 * bpftool shows map fields by name, clear detaches and removes everything.
 */
class FwCliTest {
    @Test
    void fwHasHelpTexts() {
        for (List<String> cmd : List.of(List.of("fw"), List.of("fw", "load"), List.of("fw", "show"), List.of("fw", "stats"),
                List.of("fw", "clear"))) {
            String[] args = java.util.stream.Stream.concat(cmd.stream(), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            CliHarness.Result r = CliHarness.run(args);
            assertThat(r.code()).as("%s --help", cmd).isZero();
            assertThat(r.out()).contains("Usage: xdpml fw");
        }
    }

    @Test
    void loadShowStatsClearOnARealInterface() throws Exception {
        TestData.assumeBpf();
        Path dir = Path.of("/sys/fs/bpf/xdpml/fwtest-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Path good = Files.createTempFile("fw", ".conf");
        Path bad = Files.createTempFile("fw-bad", ".conf");
        Path json = Files.createTempFile("allow", ".json");
        Files.writeString(good, "default drop\nconntrack on\nallow src 198.51.100.0/24\nrule pass udp port 53\n");
        Files.writeString(bad, "default drop\nallow src 198.51.100.0/24 10.0.0.300\n");
        Files.writeString(json, """
                {"version": "1", "total_ips": 2,
                 "organizations": [{"name": "acme", "ips": ["192.0.2.1", "192.0.2.2"]}],
                 "flat_ip_list": ["192.0.2.1", "192.0.2.2"]}
                """);
        String pinDir = "--pin-dir=" + dir;
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-fwcli")) {
            ns.createVethPair("xdpml0", "xdpml1");
            ns.run(() -> {
                int ifindex = Interfaces.indexOf("xdpml1");
                try {
                    CliHarness.Result load = CliHarness.run("fw", "load", good.toString(), "--iface", "xdpml1", pinDir);
                    assertThat(load.code()).as(load.err()).isZero();
                    assertThat(load.out()).contains("valid: 0 deny, 1 allow entries, 1 rules").contains("attached to xdpml1");
                    assertThat(XdpAttachment.attachedProgramId(ifindex, XdpMode.AUTO)).as("attached, no fd held").isPresent();

                    try (PacketSocket s = PacketSocket.open("xdpml0"); Arena a = Arena.ofConfined()) {
                        MemorySegment buf = a.allocate(2048);
                        for (String[] f : new String[][] {{"198.51.100.9", "80"}, {"198.51.100.10", "80"}, {"203.0.113.5", "53"},
                                {"203.0.113.5", "80"}, {"203.0.113.6", "80"}, {"203.0.113.7", "123"}}) {
                            byte[] frame = new FrameBuilder().ethernet().ipv4(f[0], "192.0.2.1").udp(1234, Integer.parseInt(f[1]))
                                    .payload(8).build();
                            MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                            s.send(buf, frame.length);
                        }
                    }
                    Thread.sleep(100);
                    CliHarness.Result stats = CliHarness.run("fw", "stats", "--json", pinDir);
                    assertThat(stats.code()).as(stats.err()).isZero();
                    JsonNode st = new ObjectMapper().readTree(stats.out());
                    assertThat(st.at("/counters/packets").asLong()).isEqualTo(6);
                    assertThat(st.at("/connections").asLong()).as("the UDP packets that passed").isEqualTo(3);
                    assertThat(st.at("/counters/pass_allow_list").asLong()).isEqualTo(2);
                    assertThat(st.at("/counters/pass_rule").asLong()).isEqualTo(1);
                    assertThat(st.at("/counters/drop_default").asLong()).isEqualTo(3);
                    assertThat(st.at("/rules/0").asLong()).isEqualTo(1);
                    assertThat(CliHarness.run("fw", "stats", pinDir).out()).contains("drop_default").contains("rule 1");

                    String shown = CliHarness.run("fw", "show", pinDir).out();
                    assertThat(shown).contains("default drop").contains("allow src 198.51.100.0/24")
                            .contains("1 rules compiled into").contains("attached to: xdpml1").contains("conntrack on");
                    assertThat(CliHarness.run("fw", "show", "--connections", pinDir).out()).contains("# 3 connections")
                            .contains("# udp 198.51.100.9:1234 -> 192.0.2.1:80 udp").contains("# udp 203.0.113.5:1234 -> 192.0.2.1:53 udp");

                    CliHarness.Result rejected = CliHarness.run("fw", "load", bad.toString(), pinDir);
                    assertThat(rejected.code()).isEqualTo(1);
                    assertThat(rejected.err()).contains("line 2: '10.0.0.300' is not an IPv4 or IPv6 address")
                            .contains("nothing was changed");
                    assertThat(CliHarness.run("fw", "show", pinDir).out()).as("unchanged").isEqualTo(shown);

                    Process p = new ProcessBuilder("bpftool", "map", "dump", "pinned", dir.resolve("xdpml_fw_config").toString())
                            .redirectErrorStream(true).start();
                    String dump = new String(p.getInputStream().readAllBytes());
                    p.waitFor();
                    assertThat(dump).as("BTF: fields by name").contains("\"default_action\"").contains("\"timeout_udp_ns\"");

                    CliHarness.Result swapped = CliHarness.run("fw", "load", json.toString(), "--iface", "xdpml1", pinDir);
                    assertThat(swapped.code()).as(swapped.err()).isZero();
                    assertThat(swapped.out()).contains("swapped").contains("already attached to xdpml1");
                    assertThat(CliHarness.run("fw", "show", pinDir).out()).contains("allow src 192.0.2.2/32")
                            .doesNotContain("198.51.100.0/24");

                    // measures: pinned with the firewall, reached by xdpml blocks, kept by a reload, shown by fw show
                    CliHarness.Result measure = CliHarness.run("blocks", "add", "--pin-dir", dir.getParent().toString(), "--iface",
                            dir.getFileName().toString(), "--measure", "port-drop:udp/1234->192.0.2.1");
                    assertThat(measure.code()).as(measure.err()).isZero();
                    assertThat(CliHarness.run("fw", "load", json.toString(), pinDir).code()).isZero();
                    try (PacketSocket s = PacketSocket.open("xdpml0"); Arena a = Arena.ofConfined()) {
                        byte[] frame = new FrameBuilder().ethernet().ipv4("192.0.2.2", "192.0.2.1").udp(1234, 80).payload(8).build();
                        MemorySegment buf = a.allocate(frame.length);
                        MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                        s.send(buf, frame.length);
                    }
                    Thread.sleep(100);
                    assertThat(CliHarness.run("fw", "show", pinDir).out()).contains("# 1 measure")
                            .contains("# port-drop udp/1234->192.0.2.1, dropped 1");
                    JsonNode st2 = new ObjectMapper().readTree(CliHarness.run("fw", "stats", "--json", pinDir).out());
                    assertThat(st2.at("/counters/drop_measure_port").asLong()).isEqualTo(1);
                } finally {
                    CliHarness.Result clear = CliHarness.run("fw", "clear", pinDir);
                    assertThat(clear.out()).contains("removed the firewall (detached from xdpml1)");
                }
                assertThat(XdpAttachment.attachedProgramId(ifindex, XdpMode.AUTO)).as("detached by clear").isEmpty();
                assertThat(new FirewallPins(dir).exists()).isFalse();
                assertThat(dir).doesNotExist();
                assertThat(CliHarness.run("fw", "stats", pinDir).err()).contains("no firewall is loaded");
                return null;
            });
        } finally {
            new FirewallPins(dir).clear();
            Files.deleteIfExists(good);
            Files.deleteIfExists(bad);
            Files.deleteIfExists(json);
        }
    }
}
