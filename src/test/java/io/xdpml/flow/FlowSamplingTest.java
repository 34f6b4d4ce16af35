package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.testing.TestData;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** 1-in-N sampling in the kernel: at random per packet, and per flow by key hash (whole flows). */
class FlowSamplingTest {
    @Test
    void randomPacketSamplingHitsOneInNAndFlowSamplingTakesWholeFlows() throws Exception {
        TestData.assumeBpf();
        // no idle splits: a restarted flow's earlier packets would be missing from its final state
        // a seed of the flow hash other than the default: the kernel and its Java twin sample alike with it
        FlowConfig config = new FlowConfig(1 << 17, 10L * 365 * 86_400_000_000_000L, 4789).withSampling(10, 4).withHashSeed(0x5eed_2026_1206L);
        FlowHash hash = FlowHash.seeded(config.hashSeed());
        try (KernelFlowEngine k = new KernelFlowEngine(config);
             JavaFlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame())) {
            long packets = FlowReplay.replay(TestData.capture("benign/lan-trace-2012.pcap"), k).replayed();
            FlowReplay.replay(TestData.capture("benign/lan-trace-2012.pcap"), j);
            long tracked = k.counter(FlowCounter.PACKETS);
            long random = k.counter(FlowCounter.SAMPLED_RANDOM);
            // binomial(tracked, 1/10): mean tracked/10, sd ~ sqrt(tracked * 0.09); allow 5 sd
            double mean = tracked / 10.0;
            double sd = Math.sqrt(tracked * 0.09);
            assertThat((double) random).as("random 1-in-10 of %d packets", tracked).isBetween(mean - 5 * sd, mean + 5 * sd);
            assertThat(packets).isGreaterThan(tracked); // ARP frames are not tracked
            // flow sampling: the same flows as the reference, every packet of them, about a quarter of flows
            assertThat(k.counter(FlowCounter.SAMPLED_FLOW)).isEqualTo(j.counter(FlowCounter.SAMPLED_FLOW)).isPositive();
            long[] sampledFlows = {0};
            long[] allFlows = {0};
            long[] packetsOfSampled = {0};
            k.forEachFlow((key, s) -> {
                allFlows[0]++;
                if (s.get(ValueLayout.JAVA_BYTE, FlowLayout.SAMPLED) != 0) {
                    sampledFlows[0]++;
                    packetsOfSampled[0] += FlowLayout.u64(s, FlowLayout.dirOffset(0)) + FlowLayout.u64(s, FlowLayout.dirOffset(1));
                    assertThat(hash.sampled(key, 4)).isTrue();
                } else {
                    assertThat(hash.sampled(key, 4)).isFalse();
                }
            });
            assertThat(packetsOfSampled[0]).as("every packet of a sampled flow is sampled").isEqualTo(k.counter(FlowCounter.SAMPLED_FLOW));
            double share = (double) sampledFlows[0] / allFlows[0];
            assertThat(share).as("share of flows sampled 1-in-4").isBetween(0.2, 0.3);
        }
    }
}
