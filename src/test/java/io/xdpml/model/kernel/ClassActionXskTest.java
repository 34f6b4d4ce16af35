package io.xdpml.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.PipelineLoader;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code xsk} class action end to end: the classify pipeline on a veth pair with a model that
 * calls UDP class 1 and sends class 1 to AF_XDP. UDP frames sent into the pair arrive in Java
 * through the AF_XDP socket, byte for byte, and not in the stack; TCP frames (class 0, counted)
 * go to the stack and not to the socket.
 */
class ClassActionXskTest {
    @Test
    void aClassGoesToAfXdpAndTheRestToTheStack() throws Exception {
        TestData.assumeBpf();
        int protocol = ExtraInput.PROTOCOL.index();
        TreeEnsemble udpIsOne = TreeEnsemble.tree(2, new int[] {protocol, TreeEnsemble.LEAF, TreeEnsemble.LEAF},
                new long[] {6, 0, 0}, new int[] {2, 0, 0}, new int[] {0, 0, 1});
        List<byte[]> udp = new ArrayList<>();
        List<byte[]> tcp = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            udp.add(new FrameBuilder().ethernet().ipv4("10.8.0.1", "10.8.0.2").udp(20000 + i, 53).payload(20 + i).build());
            tcp.add(new FrameBuilder().ethernet().ipv4("10.8.0.1", "10.8.0.2").tcp(30000 + i, 443, 0x02).payload(10).build());
        }
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xskact")) {
            ns.createVethPair("xka0", "xka1");
            ns.run(() -> {
                int rcv = Interfaces.indexOf("xka1");
                try (PipelineLoader.Loaded p = PipelineLoader.load("classify", ParserProgram.XDP_PASS);
                     XskSocket sock = XskSocket.open(rcv, 0, XskConfig.receiveOnly());
                     XdpAttachment att = XdpAttachment.attach(p.program(), rcv, XdpMode.NATIVE);
                     PacketSocket stack = PacketSocket.open(rcv);
                     PacketSocket tx = PacketSocket.open("xka0");
                     Arena a = Arena.ofConfined()) {
                    p.classifier().attachSocket(sock);
                    p.classifier().deploy(new Deployment(udpIsOne, ClassifyMode.EVERY_PACKET,
                            new ClassAction[] {ClassAction.COUNT, ClassAction.XSK}));
                    List<byte[]> viaXsk = new ArrayList<>();
                    int[] stackUdp = {0};
                    int[] stackTcp = {0};
                    MemorySegment buf = a.allocate(2048);
                    for (int i = 0; i < udp.size(); i++) {
                        for (byte[] f : List.of(udp.get(i), tcp.get(i))) {
                            MemorySegment s = a.allocate(f.length);
                            s.copyFrom(MemorySegment.ofArray(f));
                            tx.send(s, f.length);
                        }
                        sock.receive(frame -> viaXsk.add(frame.toByteArray()), 0);
                    }
                    long deadline = System.nanoTime() + 2_000_000_000L;
                    while (viaXsk.size() < udp.size() && System.nanoTime() < deadline) {
                        sock.receive(frame -> viaXsk.add(frame.toByteArray()), 100);
                    }
                    int n;
                    while ((n = stack.receive(buf, 300)) > 0) {
                        if (n >= 34 && buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 26) == 10
                                && buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 27) == 8) {
                            int proto = buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 23);
                            (proto == 17 ? stackUdp : stackTcp)[0]++;
                        }
                    }
                    assertThat(viaXsk).as("UDP frames through AF_XDP (%s mode)", sock.modeName()).hasSize(udp.size());
                    for (int i = 0; i < udp.size(); i++) {
                        assertThat(Arrays.equals(viaXsk.get(i), udp.get(i))).as("frame %d byte-exact and in order", i).isTrue();
                    }
                    assertThat(stackUdp[0]).as("UDP frames in the stack").isZero();
                    assertThat(stackTcp[0]).as("TCP frames in the stack").isEqualTo(tcp.size());
                    ModelStats s = p.classifier().stats();
                    assertThat(s.counter(ModelCounter.XSK)).isEqualTo(udp.size());
                    assertThat(s.classPackets(1)).isEqualTo(udp.size());
                    assertThat(s.classPackets(0)).isGreaterThanOrEqualTo(tcp.size());
                }
                return null;
            });
        }
    }
}
