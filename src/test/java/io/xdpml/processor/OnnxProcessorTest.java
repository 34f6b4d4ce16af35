package io.xdpml.processor;

import static io.xdpml.processor.MlPacketProcessorTest.TCP;
import static io.xdpml.processor.MlPacketProcessorTest.UDP;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.model.onnx.OnnxExport;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.onnx.OnnxPacketClassifier;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An ONNX model as the processor's callback on a real veth pair: frames reach it (through AF_XDP, and mirrored),
 * its inputs are the packets' flow features, and the packets it puts in the flagged class are
 * the ones flagged (UDP by protocol number, scored with the softmax of its logits).
 */
class OnnxProcessorTest {
    @Test
    void onnxModelFlagsThePacketsOfItsChosenClass() throws Exception {
        TestData.assumeBpf();
        for (Delivery d : Delivery.values()) {
            flagsUdp(d);
        }
    }

    /**
     * 50 frames every 5 ms (10 kpps): a model run costs microseconds (more on a loaded machine), so
     * the callback must not fall behind the 2,048-frame ring.
     */
    private static void slowly(LiveFrameGenerator gen, byte[] frame, int count) throws InterruptedException {
        for (int sent = 0; sent < count; sent += 50) {
            gen.send(frame, Math.min(50, count - sent), 0);
            Thread.sleep(5);
        }
    }

    private static void flagsUdp(Delivery delivery) throws Exception {
        // logits [0, protocol - 10]: UDP (17) is class "udp", TCP (6) class "other"
        OnnxExport.Exported e = OnnxExport.linear(List.of("protocol", "packet_length"), new double[] {1, 1}, List.of("other", "udp"),
                new float[][] {{0, 0}, {1, 0}}, new float[] {0, -10});
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-onnx")) {
            ns.createVethPair("onx0", "onx1");
            ns.run(() -> {
                AtomicLong seen = new AtomicLong();
                ConcurrentHashMap<String, Double> scores = new ConcurrentHashMap<>();
                try (OnnxModel model = OnnxModel.load("udp.onnx", e.model(), null);
                        OnnxPacketClassifier onnx = OnnxPacketClassifier.flagging(model, "udp");
                        MlPacketProcessor p = MlPacketProcessor.open(ProcessorConfig.forInterface("onx1").withDelivery(delivery), packet -> {
                            seen.incrementAndGet();
                            Verdict v = onnx.onPacket(packet);
                            if (v.flagged()) {
                                scores.put(v.label(), v.score());
                            }
                            return v;
                        });
                        LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("onx0"))) {
                    p.start();
                    slowly(gen, UDP, 1500);
                    slowly(gen, TCP, 1000);
                    for (int i = 0; i < 500 && p.stats().received() < 2500; i++) {
                        Thread.sleep(10);
                    }
                    Thread.sleep(50);
                    p.stop();
                    ProcessorStats s = p.stats();
                    assertThat(s.received()).as("frames to Java (%s, %s)", delivery, p.socketMode()).isEqualTo(2500);
                    assertThat(s.processed()).isEqualTo(2500);
                    assertThat(s.callbackErrors()).isZero();
                    assertThat(s.flagged()).as("the UDP frames").isEqualTo(1500);
                    assertThat(scores).containsOnlyKeys("udp");
                    assertThat(scores.get("udp")).isCloseTo(1 / (1 + Math.exp(-7)), org.assertj.core.data.Offset.offset(1e-6));
                }
                return null;
            });
        }
    }
}
