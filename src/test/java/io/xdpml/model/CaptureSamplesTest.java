package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.CaptureSamples;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.LabelRules;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Samples from labeled captures: every packet, or one per flow at its N-th packet. */
class CaptureSamplesTest {
    static final Path RULES = Path.of("models/labels-shared.rules");
    private static final int FWD = ModelInputs.index("fwd_packets");
    private static final int BWD = ModelInputs.index("bwd_packets");

    @Test
    void flowAtNHasOneSampleForEveryFlowOfAtLeastNPacketsAndShorterFlowsAreUnclassified() throws Exception {
        LabelRules rules = LabelRules.read(RULES);
        List<Path> caps = List.of(TestData.capture("benign/ndpi-ftp.pcap"), TestData.capture("attack/ndpi-synscan.pcap"),
                TestData.capture("attack/dns-tunnel-iodine.pcap"));
        Dataset every = CaptureSamples.load(caps, rules, SampleMode.EVERY_PACKET, null);
        int n = 3;
        Dataset atN = CaptureSamples.load(caps, rules, new SampleMode(n), null);
        assertThat(atN.flowCount()).isEqualTo(every.flowCount());
        long[] longest = new long[every.flowCount()];
        for (int i = 0; i < every.size(); i++) {
            long total = every.inputs(i)[FWD] + every.inputs(i)[BWD];
            assertThat(total).as("packets so far grow within a flow").isGreaterThan(longest[every.flowOf(i)]);
            longest[every.flowOf(i)] = total;
        }
        long flowsOfN = java.util.Arrays.stream(longest).filter(t -> t >= n).count();
        assertThat(atN.size()).isEqualTo((int) flowsOfN).isLessThan(every.flowCount());
        for (int i = 0; i < atN.size(); i++) {
            assertThat(atN.inputs(i)[FWD] + atN.inputs(i)[BWD]).isEqualTo(n);
        }
        // every packet of the tunnel capture is labeled, its one flow too
        assertThat(every.classes().getFirst()).isEqualTo("benign");
        int tunnel = every.classes().indexOf("dns-tunnel");
        assertThat(every.classCounts()[tunnel]).isEqualTo(434);
        Evaluation e = Evaluation.of(atN, x -> 0);
        assertThat(e.perFlow().confusion().totalUnclassified()).isEqualTo(every.flowCount() - flowsOfN);
        assertThat(e.perFlow().total()).isEqualTo(every.flowCount());
    }
}
