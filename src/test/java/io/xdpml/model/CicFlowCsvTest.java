package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.flow.FlowFeature;
import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CICFlowMeter columns become xdpml's inputs as docs/models.md says. */
class CicFlowCsvTest {
    @TempDir
    Path dir;

    static String header() throws Exception {
        return Files.readAllLines(TestData.dataDir().resolve("flows/cicids2017-sample.csv")).getFirst();
    }

    /** Row 2 of the shared sample: 2 + 2 packets, flow IATs 49, 49, 134 us (sample std 49.07...). */
    static final String ROW = "232,2,2,78,110,39,39,39.0,0.0,55,55,55.0,0.0,810344.8276,17241.37931,77.33333333,49.07477288,134,49,49,49.0,0.0,"
            + "49,49,49,49.0,0.0,49,49,0,0,0,0,40,40,8620.689655,8620.689655,39,55,45.4,8.76356092,76.8,1,2,0,3,4,0,5,6,1,56.75,39.0,"
            + "55.0,40,0,0,0,0,0,0,2,78,2,110,-1,29200,1,20,0.0,0.0,0,0,0.0,0.0,0,0,BENIGN";

    private static long get(Dataset d, FlowFeature f) {
        return d.inputs(0)[f.ordinal()];
    }

    @Test
    void columnsMapOntoTheInputsWithXdpmlsUnitsAndIntegerDefinitions() throws Exception {
        Path f = dir.resolve("one.csv");
        Files.writeString(f, header() + "\n" + ROW + "\n");
        Dataset d = CicFlowCsv.read(f);
        assertThat(d.size()).isEqualTo(1);
        assertThat(get(d, FlowFeature.DURATION_US)).isEqualTo(232);
        assertThat(get(d, FlowFeature.FLOW_IAT_MIN)).isEqualTo(49);
        assertThat(get(d, FlowFeature.FLOW_IAT_MAX)).isEqualTo(134);
        assertThat(get(d, FlowFeature.FLOW_IAT_MEAN)).isEqualTo(77); // floor(232 / 3)
        // xdpml: floor(sum_sq / n) - floor(mean)^2 = floor((49^2 + 49^2 + 134^2) / 3) - 77^2 = 7586 - 5929
        assertThat(get(d, FlowFeature.FLOW_IAT_VAR)).isEqualTo(1657);
        assertThat(get(d, FlowFeature.FWD_IAT_MEAN)).isEqualTo(49);
        assertThat(get(d, FlowFeature.FWD_IAT_VAR)).isZero();
        assertThat(get(d, FlowFeature.FIN_COUNT)).isEqualTo(1);
        assertThat(get(d, FlowFeature.SYN_COUNT)).isEqualTo(2);
        assertThat(get(d, FlowFeature.PSH_COUNT)).isEqualTo(3);
        assertThat(get(d, FlowFeature.ACK_COUNT)).isEqualTo(4);
        assertThat(get(d, FlowFeature.CWR_COUNT)).isEqualTo(5); // "CWE Flag Count"
        assertThat(get(d, FlowFeature.ECE_COUNT)).isEqualTo(6);
        assertThat(get(d, FlowFeature.FWD_INIT_WIN)).isZero(); // -1: no window seen
        assertThat(get(d, FlowFeature.BWD_INIT_WIN)).isEqualTo(29200);
        assertThat(get(d, FlowFeature.FWD_HEADER_BYTES)).isEqualTo(40 + 2 * 20); // + IPv4 header per packet
        assertThat(d.inputs(0)[ModelInputs.index("fwd_packets")]).isEqualTo(2);
        assertThat(get(d, FlowFeature.FWD_PKT_LEN_MAX)).as("payload lengths are not mapped").isZero();
        assertThat(d.classes()).containsExactly("BENIGN");
    }

    @Test
    void badRowsAreReportedWithFileLineAndReason() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, header() + "\n" + ROW + "\n" + ROW.replaceFirst("^232", "abc") + "\n");
        assertThatThrownBy(() -> CicFlowCsv.read(f)).hasMessage(f + ":3: column 'Flow Duration': not a number: 'abc'");
        Files.writeString(f, header() + "\n" + ROW + ",extra\n");
        assertThatThrownBy(() -> CicFlowCsv.read(f)).hasMessageContaining(f + ":2: ").hasMessageContaining("fields, the header has");
        Files.writeString(f, "a,b\n1,2\n");
        assertThatThrownBy(() -> CicFlowCsv.read(f)).hasMessage(f + ":1: missing column 'Flow Duration'");
    }

    @Test
    void theSharedSampleHasTheClassesItsReadmeCounts() {
        Dataset d = CicData.all();
        assertThat(d.size()).isEqualTo(6311);
        assertThat(d.classes()).containsExactly("BENIGN", "Bot", "BruteForce", "DoS", "Infiltration", "PortScan", "WebAttack");
        assertThat(d.classCounts()).containsExactly(227, 1966, 553, 952, 36, 397, 2180);
        Dataset.Split s = d.split(0.3, 1);
        assertThat(s.test().classCounts()).containsExactly(68, 590, 166, 286, 11, 119, 654);
        assertThat(s.train().size() + s.test().size()).isEqualTo(6311);
        assertThat(d.split(0.3, 1).test().inputs(5)).isSameAs(s.test().inputs(5)); // same seed, same split
        assertThat(List.of(d.split(0.3, 2).test().inputs(0))).isNotEqualTo(List.of(s.test().inputs(0)));
    }

    /**
     * CIC-IDS2017 ships a file per day, each with its own labels: several files load together on
     * the union of their labels (sorted, BENIGN first), each file's rows on those classes. Before,
     * "datasets have different classes".
     */
    @Test
    void filesWithDifferentLabelsLoadTogetherOnAllTheirClasses() throws Exception {
        List<String> lines = Files.readAllLines(TestData.dataDir().resolve("flows/cicids2017-sample.csv"));
        String header = lines.getFirst();
        List<String> benign = lines.stream().skip(1).filter(l -> l.endsWith(",BENIGN")).toList();
        List<String> dos = lines.stream().filter(l -> l.endsWith(",DoS")).limit(30).toList();
        List<String> scan = lines.stream().filter(l -> l.endsWith(",PortScan")).limit(20).toList();
        Path a = dir.resolve("tuesday.csv");
        Path b = dir.resolve("wednesday.csv");
        Files.write(a, java.util.stream.Stream.concat(java.util.stream.Stream.of(header),
                java.util.stream.Stream.concat(benign.subList(0, 10).stream(), dos.stream())).toList());
        Files.write(b, java.util.stream.Stream.concat(java.util.stream.Stream.of(header),
                java.util.stream.Stream.concat(scan.stream(), benign.subList(10, 15).stream())).toList());
        assertThat(CicFlowCsv.read(b).classes()).containsExactly("BENIGN", "PortScan");

        Dataset d = io.xdpml.model.data.TrainingData.load(List.of(dir), null, io.xdpml.model.data.SampleMode.EVERY_PACKET, null);
        assertThat(d.classes()).containsExactly("BENIGN", "DoS", "PortScan");
        assertThat(d.classCounts()).containsExactly(15, 30, 20);
        assertThat(d.flowCount()).isEqualTo(65);
        // tuesday's rows first (files sorted), each on its class, its inputs as read alone
        Dataset alone = CicFlowCsv.read(b);
        for (int i = 0; i < alone.size(); i++) {
            assertThat(d.classes().get(d.label(40 + i))).isEqualTo(alone.classes().get(alone.label(i)));
            assertThat(d.inputs(40 + i)).isEqualTo(alone.inputs(i));
            assertThat(d.flowLabel(d.flowOf(40 + i))).isEqualTo(d.label(40 + i));
        }
        // a model's classes: the rows on those
        Dataset asModel = io.xdpml.model.data.TrainingData.load(List.of(b, a), null, io.xdpml.model.data.SampleMode.EVERY_PACKET,
                List.of("BENIGN", "Bot", "DoS", "PortScan"));
        assertThat(asModel.classCounts()).containsExactly(15, 0, 30, 20);
    }
}
