package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The features are defined once: the kernel's xdpml_flow_features (flow.h) and FlowFeature must
 * name the same features in the same order, and give the same value for every packet's flow of
 * every shared capture.
 */
class FlowFeatureKernelTest {
    @Test
    void theKernelsFeatureListIsFlowFeature() throws Exception {
        String h = Files.readString(Path.of("bpf/include/xdpml/flow.h"));
        Matcher block = Pattern.compile("#define XDPML_FLOW_FEATURE_NAMES\\(X\\)(.*?)\\n\\n", Pattern.DOTALL).matcher(h);
        assertThat(block.find()).isTrue();
        List<String> names = new ArrayList<>();
        Matcher x = Pattern.compile("X\\((\\w+)\\)").matcher(block.group(1));
        while (x.find()) {
            names.add(x.group(1));
        }
        assertThat(names).containsExactlyElementsOf(Stream.of(FlowFeature.values()).map(FlowFeature::columnName).toList());
    }

    static Stream<Path> captures() {
        return TestData.captures().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void kernelAndJavaComputeTheSameFeaturesAfterEveryPacket(Path capture) throws Exception {
        TestData.assumeBpf();
        FlowConfig config = new FlowConfig(1 << 18, 1_000_000_000L, 4789);
        FlowFeature[] features = FlowFeature.values();
        long compared = 0;
        List<String> diffs = new ArrayList<>();
        try (KernelFlowEngine k = new KernelFlowEngine(config, FlowRecordListener.NONE, true);
             JavaFlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame());
             CaptureReader r = CaptureReader.open(capture)) {
            EthernetFramer framer = new EthernetFramer();
            MemorySegment kf = k.lastFeatures();
            while (nextOrEnd(r)) {
                int length = framer.frame(r);
                if (length < 14) {
                    continue;
                }
                length = Math.min(length, TestRun.maxTestRunFrame());
                k.packet(framer.frameSegment(), length, r.timestampNanos());
                j.packet(framer.frameSegment(), length, r.timestampNanos());
                MemorySegment state = j.lastUpdated();
                if (state == null) {
                    continue; // not tracked: no features
                }
                compared++;
                for (int i = 0; i < features.length; i++) {
                    long kernel = kf.getAtIndex(ValueLayout.JAVA_LONG, i);
                    long reference = features[i].of(state);
                    if (kernel != reference && diffs.size() < 10) {
                        diffs.add("packet " + r.packetIndex() + " " + features[i].columnName() + ": kernel " + kernel + ", java " + reference);
                    }
                }
            }
        }
        assertThat(diffs).isEmpty();
        if (!capture.toString().contains("fuzz-2021")) { // that file holds no IP packet
            assertThat(compared).isPositive();
        }
    }

    private static boolean nextOrEnd(CaptureReader r) {
        try {
            return r.next();
        } catch (io.xdpml.pcap.PcapFormatException e) {
            return false;
        }
    }
}
