package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.FloatTreeEnsemble;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code xdpml deploy} on a real veth pair in a namespace of its own: a model that calls UDP
 * "attack" and TCP "benign", with attack=drop. TCP and UDP frames sent into the pair: every TCP
 * frame reaches the receiving end's stack (an AF_PACKET socket sees it), no UDP frame does, and
 * the per-class counters count them. (TCP frames are SYNs: GRO on veth would merge others.)
 */
class DeployCommandTest {
    static final int UDP_FRAMES = 300;
    static final int TCP_FRAMES = 200;

    /** protocol <= 6 (TCP and below): benign; above (UDP 17, ICMPv6 58): attack. */
    static ModelFile udpIsAttack() {
        int protocol = ExtraInput.PROTOCOL.index();
        int[] f = {protocol, TreeEnsemble.LEAF, TreeEnsemble.LEAF};
        int[] right = {2, 0, 0};
        int[] cls = {0, 0, 1};
        TreeEnsemble t = TreeEnsemble.tree(2, f, new long[] {6, 0, 0}, right, cls);
        FloatTreeEnsemble ft = new FloatTreeEnsemble(2, new int[] {0}, f, new double[] {6.5, 0, 0}, right, cls);
        return new ModelFile(ModelKind.DT, List.of("benign", "attack"), List.of("protocol"), t, ft, null);
    }

    @Test
    void dropsTheDroppedClassAndCountsEveryClass(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path model = dir.resolve("udp.json");
        udpIsAttack().write(model);
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-deploy")) {
            ns.createVethPair("dpl0", "dpl1");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> deploy = CompletableFuture.supplyAsync(() -> {
                try {
                    return ns.callOnThisThread(() -> {
                        CommandLine cl = Main.commandLine();
                        cl.setOut(new PrintWriter(out));
                        cl.setErr(new PrintWriter(err));
                        return cl.execute("deploy", "--iface", "dpl1", "--model", model.toString(), "--action", "attack=drop",
                                "--duration", "6", "--json");
                    });
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            int[] received = ns.run(() -> {
                int ifindex = Interfaces.indexOf("dpl1");
                for (int i = 0; i < 200 && XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE).isEmpty(); i++) {
                    Thread.sleep(50); // deploy loads and attaches meanwhile
                }
                assertThat(XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE)).as("deploy attached").isPresent();
                try (PacketSocket rx = PacketSocket.open("dpl1"); PacketSocket tx = PacketSocket.open("dpl0"); Arena a = Arena.ofConfined()) {
                    MemorySegment buf = a.allocate(2048);
                    int[] counts = new int[2];
                    for (int i = 0; i < Math.max(UDP_FRAMES, TCP_FRAMES); i++) {
                        if (i % 32 == 31) {
                            Thread.sleep(2); // veth's XDP ring holds 256 frames: do not overrun it
                            drain(rx, buf, counts, 0); // nor the receiving socket's buffer
                        }
                        if (i < UDP_FRAMES) {
                            send(tx, a, new FrameBuilder().ethernet().ipv4("10.9.0.1", "10.9.0.2").udp(20000 + i % 50, 53).payload(30).build());
                        }
                        if (i < TCP_FRAMES) {
                            send(tx, a, new FrameBuilder().ethernet().ipv4("10.9.0.1", "10.9.0.2").tcp(30000 + i % 50, 443, 0x02).payload(30).build());
                        }
                    }
                    drain(rx, buf, counts, 500);
                    int udp = counts[0];
                    int tcp = counts[1];
                    return new int[] {udp, tcp};
                }
            });
            assertThat(deploy.get()).as("exit code; stderr: %s", err).isZero();
            assertThat(received[0]).as("UDP frames (class attack, dropped) that reached the stack").isZero();
            assertThat(received[1]).as("TCP frames (class benign) that reached the stack", out).isEqualTo(TCP_FRAMES);
            JsonNode summary = new ObjectMapper().readTree(out.toString());
            assertThat(summary.at("/per_class/attack/packets").asLong()).isGreaterThanOrEqualTo(UDP_FRAMES);
            assertThat(summary.at("/per_class/benign/packets").asLong()).isEqualTo(TCP_FRAMES);
        }
    }

    /** Counts our UDP and TCP frames (source 10.9.x.x) received until the socket is quiet for timeoutMillis. */
    private static void drain(PacketSocket rx, MemorySegment buf, int[] counts, int timeoutMillis) {
        int n;
        while ((n = rx.receive(buf, timeoutMillis)) > 0) {
            if (n >= 34 && buf.get(ValueLayout.JAVA_BYTE, 12) == 0x08 && buf.get(ValueLayout.JAVA_BYTE, 13) == 0x00
                    && buf.get(ValueLayout.JAVA_BYTE, 26) == 10 && buf.get(ValueLayout.JAVA_BYTE, 27) == 9) {
                int proto = buf.get(ValueLayout.JAVA_BYTE, 23);
                if (proto == 17) {
                    counts[0]++;
                } else if (proto == 6) {
                    counts[1]++;
                }
            }
        }
    }

    private static void send(PacketSocket tx, Arena a, byte[] frame) {
        MemorySegment s = a.allocate(frame.length);
        s.copyFrom(MemorySegment.ofArray(frame));
        tx.send(s, frame.length);
    }
}
