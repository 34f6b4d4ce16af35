package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.model.onnx.OnnxExport;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code xdpml run --onnx}: a user's ONNX model (here one that calls UDP "udp" and the rest
 * "other", made with OnnxExport) runs on the live packets' flow features; the UDP flow is printed
 * as flagged, blocked in XDP (its later packets dropped in the kernel), its flagged packets
 * captured; the TCP flow is never flagged and keeps reaching Java.
 */
class RunOnnxTest {
    @Test
    void aFlowTheModelFlagsIsPrintedCapturedAndBlocked(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path model = udpModel(dir);
        Path pcap = dir.resolve("flagged.pcap");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-runonnx-" + ProcessHandle.current().pid());
        byte[] udp = new FrameBuilder().ethernet().ipv4("10.8.0.5", "10.8.0.2").udp(5353, 53).payload(40).build();
        byte[] tcp = new FrameBuilder().ethernet().ipv4("10.8.0.6", "10.8.0.2").tcp(40000, 443, 0x10).payload(20).build();
        // TUNNELLED: flagged by its inner packet, blocked by its inner endpoints and its VNI
        String text = runAndSend(pins, List.of(udp, tcp, TUNNELLED), "run", "--iface", "ron1", "--detectors", "portscan", "--onnx",
                model.toString(), "--onnx-flag", "udp", "--block", "60", "--duration", "5", "--capture", pcap.toString(), "--capture-limit",
                "10", "--pin-dir", pins.toString());
        assertThat(text).contains("ONNX model " + model + ": flags udp")
                .containsPattern("FLAGGED udp 10\\.8\\.0\\.5:5353 -> 10\\.8\\.0\\.2:53 class udp score 0\\.\\d+ \\(flow blocked for 60 s\\)")
                .containsPattern("FLAGGED udp 10\\.8\\.1\\.5:5353 -> 10\\.8\\.0\\.2:53 vni 7 class udp score 0\\.\\d+ \\(flow blocked for 60 s\\)")
                .doesNotContain("FLAGGED tcp").doesNotContain("not blocked").containsPattern("flagged \\d+/s");
        Matcher dropped = Pattern.compile("(\\d+) packets dropped by blocks").matcher(text);
        assertThat(dropped.find()).as("summary in %s", text).isTrue();
        assertThat(Long.parseLong(dropped.group(1))).as("the flagged flows' later packets, dropped in XDP").isGreaterThanOrEqualTo(2000);
        Matcher onnx = Pattern.compile("ONNX: (\\d+) packets flagged in 2 flows, flows blocked, 10 written to").matcher(text);
        assertThat(onnx.find()).as("ONNX summary in %s", text).isTrue();
        assertThat(Long.parseLong(onnx.group(1))).isBetween(20L, 1000L);
        try (CaptureReader r = CaptureReader.open(pcap)) {
            int n = 0;
            while (r.next()) {
                assertThat(r.capturedLength()).isEqualTo(udp.length);
                n++;
            }
            assertThat(n).isEqualTo(10);
        }
    }

    /**
     * A host whose parse decodes no VXLAN ({@code parse.vxlan-port: 0}, as docs/firewall.md asks of a
     * host that terminates none): UDP to 4789 is a plain UDP flow to the kernel, and Java keys the
     * flagged flow as the kernel does (the outer endpoints, no VNI), so its block matches.
     */
    @Test
    void aHostWithoutVxlanKeysUdpTo4789AsThePlainFlowItIs(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path model = udpModel(dir);
        Path config = dir.resolve("agent.yaml");
        java.nio.file.Files.writeString(config, "interfaces: [ron1]\nparse:\n  vxlan-port: 0\n");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-runonnx0-" + ProcessHandle.current().pid());
        String text = runAndSend(pins, List.of(TUNNELLED), "run", "--config", config.toString(), "--onnx", model.toString(), "--onnx-flag",
                "udp", "--block", "60", "--duration", "5", "--pin-dir", pins.toString());
        assertThat(text).containsPattern("FLAGGED udp 192\\.0\\.2\\.10:40000 -> 192\\.0\\.2\\.20:4789 class udp score 0\\.\\d+ \\(flow blocked for 60 s\\)")
                .doesNotContain("vni 7");
        Matcher dropped = Pattern.compile("(\\d+) packets dropped by blocks").matcher(text);
        assertThat(dropped.find()).as("summary in %s", text).isTrue();
        assertThat(Long.parseLong(dropped.group(1))).as("the flagged flow's later packets, dropped in XDP").isGreaterThanOrEqualTo(1000);
    }

    /** A model that calls UDP "udp" and the rest "other", written into {@code dir}. */
    static Path udpModel(Path dir) throws Exception {
        Path model = dir.resolve("udp.onnx");
        OnnxExport.linear(List.of("protocol", "packet_length"), new double[] {1, 1}, List.of("other", "udp"),
                new float[][] {{0, 0}, {1, 0}}, new float[] {0, -10}).write(model);
        return model;
    }

    /** A UDP flow inside a VXLAN tunnel (VNI 7) from underlay peer 192.0.2.10 to 192.0.2.20:4789. */
    static final byte[] TUNNELLED = new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(40000, 4789).vxlan(7).ethernet()
            .ipv4("10.8.1.5", "10.8.0.2").udp(5353, 53).payload(40).build();

    /**
     * Runs the command in a namespace with a veth pair ron0/ron1 and sends each frame 50 times, ten
     * times a round, for four rounds a second apart, into ron0; its exit code must be 0. Its output.
     */
    static String runAndSend(Path pins, List<byte[]> frames, String... args) throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-ronnx"); AutoCloseable clean = () -> BpfFs.removeRecursively(pins)) {
            ns.createVethPair("ron0", "ron1");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return ns.callOnThisThread(() -> {
                        CommandLine cl = Main.commandLine();
                        cl.setOut(new PrintWriter(out));
                        cl.setErr(new PrintWriter(err));
                        return cl.execute(args);
                    });
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            ns.run(() -> {
                int ifindex = Interfaces.indexOf("ron1");
                for (int i = 0; i < 200 && XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE).isEmpty(); i++) {
                    Thread.sleep(50);
                }
                Thread.sleep(300);
                try (LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("ron0"))) {
                    for (int round = 0; round < 4; round++) { // blocked at the next once-a-second report: at least the last two rounds dropped
                        for (int i = 0; i < 10; i++) {
                            for (byte[] f : frames) {
                                gen.send(f, 50, 0);
                            }
                            Thread.sleep(10);
                        }
                        Thread.sleep(1000);
                    }
                }
                return null;
            });
            assertThat(run.get()).as("exit code; stderr %s", err).isZero();
            return out.toString();
        }
    }
}
