package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowLayout;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cached verdict's path on the real clock, and the bench pipelines that cut it short.
 * <ul>
 * <li>A flow whose class is cached reads its time from the coarse clock once per tick on each CPU
 * (clock.h, xdpml_now_coarse_tick: the value kept with the jiffies it was read at): its last time
 * still follows the clock from tick to tick, a tick or two behind at most, never ahead. (Every parity
 * test runs on the test clock, which this per-CPU copy never touches: this is its only test.)</li>
 * <li>{@code cached-to-*} (cfg_bench_flow_cut 6-10) stop where their rows say: after the cache
 * check, nothing of the flow is written; after the time, nothing either; after the update, the flow
 * is counted in its state but not in the counters; after the counters, the model has not counted
 * the cached class; after the outcome, it has.</li>
 * </ul>
 */
class CachedPathTest {
    /** The tick here is 4 ms (HZ 250); the coarse clock may lag one, the per-CPU copy rarely two. */
    private static final long SLACK_NS = 12_000_000L;

    private static final byte[] FRAME = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000)
            .payload(18).build();

    @Test
    void aCachedFlowsLastTimeFollowsTheClockFromTickToTick() throws Exception {
        TestData.assumeBpf();
        try (PipelineLoader.Loaded p = PipelineLoader.load("dt-cached", ParserProgram.XDP_DROP);
             Arena arena = Arena.ofConfined(); TestRun run = p.program().testRun()) {
            MemorySegment pkt = arena.allocate(FRAME.length);
            pkt.copyFrom(MemorySegment.ofArray(FRAME));
            run.run(pkt, FRAME.length, 1); // the flow's first packet: classified, its class cached
            BpfMap flows = p.object().map("xdpml_flows");
            long previous = 0;
            for (int i = 0; i < 6; i++) {
                Thread.sleep(25);
                long before = System.nanoTime(); // CLOCK_MONOTONIC, the clock of bpf_ktime_get(_coarse)_ns
                run.run(pkt, FRAME.length, 1000);
                long after = System.nanoTime();
                long last = lastNs(flows);
                assertThat(last).as("round %d: the last time is not ahead of the clock", i).isLessThanOrEqualTo(after);
                assertThat(last).as("round %d: the last time at most a tick or two behind (was %d)", i, previous)
                        .isGreaterThanOrEqualTo(before - SLACK_NS);
                assertThat(last).as("round %d: moved on since the round before", i).isGreaterThan(previous);
                previous = last;
            }
            assertThat(p.object().map("xdpml_flow_counters").sumPerCpuLongs(FlowCounter.CACHED.id())[0])
                    .as("packets updated as a cached flow's").isEqualTo(6 * 1000);
        }
    }

    @Test
    void theCachedCutsStopWhereTheirRowsSay() throws Exception {
        TestData.assumeBpf();
        int repeat = 1000;
        List<String> cuts = PipelineLoader.CACHED_CUTS;
        for (int i = 0; i < cuts.size(); i++) {
            String name = cuts.get(i);
            try (PipelineLoader.Loaded p = PipelineLoader.load(name, ParserProgram.XDP_DROP);
                 Arena arena = Arena.ofConfined(); TestRun run = p.program().testRun()) {
                MemorySegment pkt = arena.allocate(FRAME.length);
                pkt.copyFrom(MemorySegment.ofArray(FRAME));
                run.run(pkt, FRAME.length, 1); // in full: the class cached
                run.run(pkt, FRAME.length, repeat); // the cached path, cut
                long packets = flowPackets(p.object().map("xdpml_flows"));
                long flowCached = p.object().map("xdpml_flow_counters").sumPerCpuLongs(FlowCounter.CACHED.id())[0];
                long modelCached = p.object().map("xdpml_model_stats").sumPerCpuLongs(0)[ModelCounter.CACHED.ordinal()];
                // 0 check, 1 clock, 2 update, 3 counted, 4 outcome
                assertThat(packets).as(name + ": packets in the flow's state").isEqualTo(i >= 2 ? 1 + repeat : 1);
                assertThat(flowCached).as(name + ": the flow counter cached").isEqualTo(i >= 3 ? repeat : 0);
                assertThat(modelCached).as(name + ": the model counter cached").isEqualTo(i >= 4 ? repeat : 0);
            }
        }
    }

    private static MemorySegment onlyFlow(BpfMap flows, Arena arena) {
        List<byte[]> keys = flows.keys();
        assertThat(keys).as("one flow").hasSize(1);
        MemorySegment key = arena.allocate(flows.keySize());
        key.copyFrom(MemorySegment.ofArray(keys.get(0)));
        MemorySegment value = arena.allocate(flows.valueSize());
        assertThat(flows.lookup(key, value)).isTrue();
        return value;
    }

    private static long lastNs(BpfMap flows) {
        try (Arena arena = Arena.ofConfined()) {
            return onlyFlow(flows, arena).get(ValueLayout.JAVA_LONG_UNALIGNED, FlowLayout.LAST_NS);
        }
    }

    private static long flowPackets(BpfMap flows) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = onlyFlow(flows, arena);
            return FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS)
                    + FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
        }
    }
}
