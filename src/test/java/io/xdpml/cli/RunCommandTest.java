package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code xdpml run} on a real veth pair, closing the loop: a SYN scan of 400 ports from one source
 * reaches Java through AF_XDP, the port-scan detector names the scanner, run blocks it in the
 * kernel, and the scanner's later probes are dropped in XDP (counted) while the detection is
 * printed and written as a JSON line.
 */
class RunCommandTest {
    @Test
    void aScanIsDetectedAndTheScannerBlockedInTheKernel(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path jsonl = dir.resolve("detections.jsonl");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-run-" + ProcessHandle.current().pid());
        AtomicReference<String> listed = new AtomicReference<>("");
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-run");
             AutoCloseable cleanPins = () -> io.xdpml.kernel.BpfFs.removeRecursively(pins)) {
            ns.createVethPair("run0", "run1");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return ns.callOnThisThread(() -> {
                        CommandLine cl = Main.commandLine();
                        cl.setOut(new PrintWriter(out));
                        cl.setErr(new PrintWriter(err));
                        return cl.execute("run", "--iface", "run1", "--detectors", "portscan", "--set", "portscan.windowNanos=1000000000",
                                "--block", "60", "--duration", "7", "--json-out", jsonl.toString(), "--pin-dir", pins.toString());
                    });
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            ns.run(() -> {
                int ifindex = Interfaces.indexOf("run1");
                for (int i = 0; i < 200 && XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE).isEmpty(); i++) {
                    Thread.sleep(50);
                }
                Thread.sleep(300);
                try (LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("run0"))) {
                    for (int burst = 0; burst < 3; burst++) {
                        for (int port = 1; port <= 400; port++) {
                            gen.send(new FrameBuilder().ethernet().ipv4("10.5.0.9", "10.5.0.2").tcp(50000, port, 0x02).build(), 1, 0);
                        }
                        Thread.sleep(1600); // past the 1 s window, and past run's once-a-second report
                    }
                    // from "another shell": the pinned blocks of the running run
                    StringWriter list = new StringWriter();
                    CommandLine cl = Main.commandLine();
                    cl.setOut(new PrintWriter(list));
                    assertThat(cl.execute("blocks", "list", "--pin-dir", pins.toString())).isZero();
                    listed.set(list.toString());
                }
                return null;
            });
            assertThat(run.get()).as("exit code; stderr %s", err).isZero();
            String text = out.toString();
            assertThat(text).contains("DETECTED").contains("10.5.0.9").contains("BLOCKED 10.5.0.9");
            Matcher m = Pattern.compile("(\\d+) packets dropped by blocks").matcher(text);
            assertThat(m.find()).as("summary line in %s", text).isTrue();
            assertThat(Long.parseLong(m.group(1))).as("probes dropped in XDP after the block").isGreaterThanOrEqualTo(400);
            assertThat(listed.get()).contains("run1: 1 block").containsPattern("10\\.5\\.0\\.9/32 +dropped [1-9][0-9,]* packets, expires in");
            assertThat(pins.resolve("run1")).as("pin removed when the run ends").doesNotExist();
            assertThat(text).containsPattern("seen \\d+/s +to Java \\d+/s").contains("CPU ").contains("latency p50").contains("handoff p50");
            assertThat(Files.readAllLines(jsonl)).anySatisfy(l -> assertThat(l).contains("\"detector\":\"portscan\"").contains("10.5.0.9"));
        }
    }
}
