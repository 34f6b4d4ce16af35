package io.xdpml.model.classify;

import static io.xdpml.flow.FlowLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowEngine;
import io.xdpml.flow.FlowFeature;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.FlowReplay;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.KernelClassifyEngine;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What the features of a flow with a cached class mean (docs/flows.md, "Cached flows"), on a real
 * capture with the shipped tree classifying each flow at its 2nd packet: every count, length, flag
 * and time is what tracking every packet in full gives; the timing statistics (intervals and
 * running statistics) are those of the flow's first two packets, where the class was given; the
 * kernel's flow table is the Java reference's, byte for byte.
 */
class CachedFlowsTest {
    private static final int AT = 2;
    /** The features that stop at the cached class: intervals and running statistics. */
    private static final Set<FlowFeature> TIMING = EnumSet.of(FlowFeature.FLOW_IAT_MIN, FlowFeature.FLOW_IAT_MAX,
            FlowFeature.FLOW_IAT_MEAN, FlowFeature.FLOW_IAT_VAR, FlowFeature.FWD_IAT_MIN, FlowFeature.FWD_IAT_MAX,
            FlowFeature.FWD_IAT_MEAN, FlowFeature.FWD_IAT_VAR, FlowFeature.BWD_IAT_MIN, FlowFeature.BWD_IAT_MAX,
            FlowFeature.BWD_IAT_MEAN, FlowFeature.BWD_IAT_VAR, FlowFeature.HS_LEN_MEAN, FlowFeature.HS_LEN_MAD,
            FlowFeature.HS_IAT_MEAN, FlowFeature.HS_IAT_MAD, FlowFeature.HS_DIR_MEAN, FlowFeature.HS_DIR_MAD);

    /** No idle restart within the capture: each key is one flow from start to end. */
    private static final FlowConfig CONFIG = new FlowConfig(1 << 18, 1_000_000_000_000_000L, 4789);

    @Test
    void aCachedFlowKeepsItsCountsExactAndItsTimingAsAtItsClass() throws Exception {
        TestData.assumeBpf();
        Path capture = TestData.capture("benign/lan-trace-2012.pcap");
        Deployment d = Deployment.countOnly(ModelFile.read(Path.of("models/captures-dt.json")).integerModel(),
                ClassifyMode.parse("flow:" + AT));
        int frame = TestRun.maxTestRunFrame();
        try (KernelClassifyEngine kernel = new KernelClassifyEngine(CONFIG, ModelStage.XDP_PASS);
             JavaClassifyEngine cached = new JavaClassifyEngine(CONFIG, frame, ModelStage.XDP_PASS);
             JavaFlowEngine full = new JavaFlowEngine(CONFIG, frame);
             JavaFlowEngine firstTwo = new JavaFlowEngine(CONFIG, frame)) {
            kernel.deploy(d);
            cached.deploy(d);
            FlowReplay.replay(capture, new FirstPackets(kernel, cached, full, firstTwo));

            Map<String, MemorySegment> c = table(cached);
            Map<String, MemorySegment> all = table(full);
            Map<String, MemorySegment> two = table(firstTwo);
            Map<String, String> k = hex(table(kernel));
            Map<String, String> j = hex(c);
            assertThat(k.keySet()).as("the kernel's flows").isEqualTo(j.keySet());
            assertThat(j.keySet().stream().filter(key -> !k.get(key).equals(j.get(key))).limit(3).toList())
                    .as("flows whose state differs in the kernel").isEmpty();

            long flowsCached = 0;
            long untimed = 0;
            for (var e : c.entrySet()) {
                MemorySegment s = e.getValue();
                MemorySegment f = all.get(e.getKey());
                long packets = u64(f, dirOffset(FWD) + D_PACKETS) + u64(f, dirOffset(BWD) + D_PACKETS);
                if (s.get(ValueLayout.JAVA_BYTE, VERDICT) == 0) {
                    assertThat(packets).as("a flow without a class has fewer than %d packets", AT).isLessThan(AT);
                    assertThat(slice(s)).isEqualTo(slice(f));
                    continue;
                }
                flowsCached++;
                untimed += u64(s, UNTIMED);
                assertThat(u64(s, UNTIMED)).as("every packet after the class is untimed").isEqualTo(packets - AT);
                for (FlowFeature x : FlowFeature.values()) {
                    MemorySegment expected = TIMING.contains(x) ? two.get(e.getKey()) : f;
                    assertThat(x.of(s)).as("%s of flow %s", x.columnName(), e.getKey()).isEqualTo(x.of(expected));
                }
            }
            assertThat(flowsCached).as("flows with a cached class").isGreaterThan(1000);
            assertThat(untimed).as("packets counted without timing").isGreaterThan(10_000)
                    .isEqualTo(cached.counter(FlowCounter.CACHED)).isEqualTo(kernel.counter(FlowCounter.CACHED));
            assertThat(cached.stats().counter(ModelCounter.CACHED)).isEqualTo(untimed);
            assertThat(kernel.stats()).isEqualTo(cached.stats());
        }
    }

    private static Map<String, MemorySegment> table(FlowEngine e) {
        Map<String, MemorySegment> t = new TreeMap<>();
        e.forEachFlow((k, v) -> t.put(HexFormat.of().formatHex(k.toArray(ValueLayout.JAVA_BYTE)),
                MemorySegment.ofArray(v.asSlice(0, FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE))));
        return t;
    }

    private static Map<String, String> hex(Map<String, MemorySegment> t) {
        Map<String, String> h = new TreeMap<>();
        t.forEach((k, v) -> h.put(k, HexFormat.of().formatHex(slice(v))));
        return h;
    }

    private static byte[] slice(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Every packet to the kernel, the cached reference and the full tracker; each flow's first AT to the last. */
    private static final class FirstPackets extends ForwardingFlowEngine {
        final FlowEngine cached;
        final FlowEngine full;
        final FlowEngine firstTwo;
        final PacketParser parser = new PacketParser(CONFIG.vxlanPort());
        final ParseSummary summary = new ParseSummary();
        final FlowPacket p = new FlowPacket();
        final Map<String, Integer> seen = new HashMap<>();

        FirstPackets(FlowEngine kernel, FlowEngine cached, FlowEngine full, FlowEngine firstTwo) {
            super(kernel);
            this.cached = cached;
            this.full = full;
            this.firstTwo = firstTwo;
        }

        @Override
        public void packet(MemorySegment frame, int length, long t) {
            super.packet(frame, length, t);
            cached.packet(frame, length, t);
            full.packet(frame, length, t);
            parser.parse(frame, length, summary);
            if (p.of(frame, 0, length, summary)
                    && seen.merge(HexFormat.of().formatHex(p.key().toArray(ValueLayout.JAVA_BYTE)), 1, Integer::sum) <= AT) {
                firstTwo.packet(frame, length, t);
            }
        }
    }
}
