package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.CaptureSamples;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.DefaultInputs;
import io.xdpml.model.data.LabelRules;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.model.eval.Metrics;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.train.ModelTraining;
import io.xdpml.model.train.TrainOptions;
import io.xdpml.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Trained on some shared captures, tested on others (docs/models.md, "Captures"): benign LAN, web
 * and Teams traffic, the CIC-DDoS2019 SYN flood, a 1-10000 port scan, SYN-ACK reflection, BACnet
 * amplification and the iodine DNS tunnel for training; FTP and Tor traffic, a spoofed-source SYN
 * flood and nDPI's SYN scan for testing. Binary (benign / attack), every packet classified, the
 * flow's verdict its last packet's class.
 */
class CaptureTrainingTest {
    static final List<String> TRAIN = List.of("benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap", "benign/ndpi-teams.pcap",
            "attack/cicddos2019-synflood.pcap", "attack/portscan-1-10000.pcapng", "attack/synack-reflection.pcap",
            "attack/bacnet-amplification.pcapng", "attack/dns-tunnel-iodine.pcap");
    static final List<String> TEST = List.of("benign/ndpi-ftp.pcap", "benign/ndpi-tor.pcap",
            "attack/synflood-spoofed.pcap", "attack/ndpi-synscan.pcap");

    static Dataset load(List<String> names) throws Exception {
        LabelRules rules = LabelRules.read(CaptureSamplesTest.RULES);
        List<Path> files = names.stream().map(TestData::capture).toList();
        return CaptureSamples.load(files, rules, SampleMode.EVERY_PACKET, null).binary("benign");
    }

    @Test
    void attackFlowsOfCapturesNotTrainedOnAreFoundWithF1AtLeast095() throws Exception {
        Dataset train = load(TRAIN);
        Dataset test = load(TEST);
        ModelFile m = ModelTraining.train(train, TrainOptions.defaults(ModelKind.DT, DefaultInputs.CAPTURES, 1));
        for (int i = 0; i < test.size(); i++) {
            assertThat(m.integerModel().classify(test.inputs(i))).isEqualTo(m.floatModel().classify(test.inputs(i)));
        }
        Evaluation e = Evaluation.of(test, m.integerModel()::classify);
        Metrics flows = e.perFlow();
        assertThat(flows.of("attack").support()).isGreaterThan(39_000);
        assertThat(flows.of("attack").f1()).isGreaterThanOrEqualTo(0.95);
        assertThat(e.perSample().of("attack").f1()).isGreaterThanOrEqualTo(0.95);
        assertThat(flows.of("benign").support()).isEqualTo(16);
        assertThat(flows.of("benign").recall()).isGreaterThanOrEqualTo(0.8);
    }
}
