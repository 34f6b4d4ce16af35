package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowCounter;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The bench pipelines that measure the promotion budget's cost (flow_stage.h, cfg_bench_new_flows
 * 2 of the benchmark build) do what their rows claim: one frame repeated, every key new and seen
 * twice, so half the packets are parked and the other half promote a new flow; with the budget on,
 * every promotion is allowed (none deferred), so each ran the budget's compare-and-swap.
 */
class BenchPromotePipelinesTest {
    @Test
    void everyOtherPacketPromotesANewFlowWithAndWithoutTheBudget() throws Exception {
        TestData.assumeBpf();
        byte[] frame = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(18).build();
        int repeat = 10_000;
        for (String name : new String[] {"flow-new-promote", "flow-new-promote-budget"}) {
            try (PipelineLoader.Loaded p = PipelineLoader.load(name, ParserProgram.XDP_DROP);
                 Arena arena = Arena.ofConfined(); TestRun run = p.program().testRun()) {
                MemorySegment pkt = arena.allocate(frame.length);
                pkt.copyFrom(MemorySegment.ofArray(frame));
                run.run(pkt, frame.length, repeat);
                BpfMap c = p.object().map("xdpml_flow_counters");
                assertThat(c.sumPerCpuLongs(FlowCounter.PARKED.id())[0]).as(name + ": parked").isEqualTo(repeat / 2);
                assertThat(c.sumPerCpuLongs(FlowCounter.PROMOTED.id())[0]).as(name + ": promoted").isEqualTo(repeat / 2);
                assertThat(c.sumPerCpuLongs(FlowCounter.NEW.id())[0]).as(name + ": new flows").isEqualTo(repeat / 2);
                assertThat(c.sumPerCpuLongs(FlowCounter.DEFERRED.id())[0]).as(name + ": deferred").isZero();
                long tat = p.object().variable("xdpml_promote_tat").get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
                assertThat(tat != 0).as(name + ": the budget's time taken").isEqualTo(name.endsWith("-budget"));
            }
        }
    }
}
