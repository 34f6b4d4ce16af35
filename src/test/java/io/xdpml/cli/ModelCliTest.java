package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.model.file.ModelFile;
import io.xdpml.testing.TestData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xdpml train} and {@code xdpml eval} end to end on the CIC sample. */
class ModelCliTest {
    @TempDir
    Path dir;

    private static String cic() {
        return TestData.dataDir().resolve("flows/cicids2017-sample.csv").toString();
    }

    @Test
    void trainWritesAModelThatEvalJudgesWithTheDocumentedJson() throws Exception {
        Path model = dir.resolve("dt.json");
        CliHarness.Result t = CliHarness.run("train", "--data", cic(), "--model", "dt", "--depth", "6", "--out", model.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("-- F1 per flow (one sample each)", "float", "quantized", "macro F1",
                "agree with the float trees on 1894 of 1894 held-out samples", "wrote " + model);
        ModelFile m = ModelFile.read(model);
        assertThat(m.provenance().get("split").asText()).contains("seed 1");
        assertThat(m.provenance().get("held_out").get("quantized").get("macro_f1").asDouble()).isGreaterThan(0.8);

        CliHarness.Result e = CliHarness.run("eval", "--model", model.toString(), "--data", cic(), "--json");
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(e.out());
        assertThat(j.fieldNames()).toIterable().contains("macro_f1", "weighted_f1", "accuracy", "per_class", "confusion", "per_flow", "engines");
        assertThat(j.get("engines").fieldNames()).toIterable().containsExactly("float", "quantized");
        assertThat(j.get("per_class").get("Bot").get("support").asInt()).isEqualTo(1966);
        double expected = Evaluation.of(CicFlowCsv.read(Path.of(cic())), m.integerModel()::classify).perSample().macroF1();
        assertThat(j.get("macro_f1").asDouble()).isEqualTo(expected);

        // main() exits right after the command: the report must be flushed by then
        java.io.StringWriter sink = new java.io.StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new java.io.PrintWriter(new java.io.BufferedWriter(sink, 1 << 20)));
        assertThat(cl.execute("eval", "--model", model.toString(), "--data", cic())).isZero();
        assertThat(sink.toString()).contains("-- quantized, per flow (one sample each)", "confusion (rows: true class, columns: predicted)");
    }

    /**
     * {@code eval --confidence} on the shipped binary capture model: the counts behind each rate are
     * recomputed here from the model's own scored classes, and with --kernel the kernel gives every
     * packet the same class and confidence.
     */
    @Test
    void evalAtAConfidenceThresholdReportsPerClassAndPerCapture() throws Exception {
        String ftp = TestData.capture("benign/ndpi-ftp.pcap").toString();
        String scan = TestData.capture("attack/ndpi-synscan.pcap").toString();
        String[] args = {"eval", "--model", "models/captures-rf.json", "--data", ftp, scan, "--labels", "models/labels-shared.rules",
                "--confidence", "0.95", "--json"};
        CliHarness.Result e = CliHarness.run(args);
        assertThat(e.code()).as(e.err()).isZero();
        JsonNode c = new ObjectMapper().readTree(e.out()).get("confidence");
        assertThat(c.get("threshold").asDouble()).isEqualTo(0.95);
        assertThat(c.get("per_file")).hasSize(2);
        ModelFile m = ModelFile.read(Path.of("models/captures-rf.json"));
        io.xdpml.model.data.Dataset d = io.xdpml.model.data.TrainingData.load(java.util.List.of(Path.of(scan)),
                Path.of("models/labels-shared.rules"), io.xdpml.model.data.SampleMode.parse("packet"), null);
        long caught = 0;
        for (int i = 0; i < d.size(); i++) {
            int s = m.integerModel().scored(d.inputs(i));
            if (io.xdpml.model.quantized.IntegerModel.classOf(s) == 1 && io.xdpml.model.quantized.IntegerModel.confidenceOf(s) >= 950) {
                caught++;
            }
        }
        JsonNode scanRow = c.get("per_file").get(1);
        assertThat(scanRow.get("name").asText()).isEqualTo("ndpi-synscan.pcap");
        assertThat(scanRow.get("samples").asLong()).isEqualTo(d.size());
        assertThat(scanRow.get("attack_recall").asDouble()).isEqualTo((double) caught / d.size());
        assertThat(scanRow.get("benign_fpr").isNull()).as("no benign packets in a scan capture").isTrue();
        assertThat(c.get("per_file").get(0).get("attack_recall").isNull()).isTrue();
    }

    /**
     * {@code eval --confidence attack=0.9}, a threshold for one class as the agent's min-confidence
     * sets it: attack recall and benign false positive rate as with 0.9 for every class (both count
     * attack calls only), but no benign call goes to Java; a class the model lacks is refused.
     */
    @Test
    void evalTakesAThresholdPerClass() throws Exception {
        String ftp = TestData.capture("benign/ndpi-ftp.pcap").toString();
        String scan = TestData.capture("attack/ndpi-synscan.pcap").toString();
        JsonNode every = confidenceOf(CliHarness.run("eval", "--model", "models/captures-rf.json", "--data", ftp, scan, "--labels",
                "models/labels-shared.rules", "--confidence", "0.9", "--json"));
        JsonNode attackOnly = confidenceOf(CliHarness.run("eval", "--model", "models/captures-rf.json", "--data", ftp, scan, "--labels",
                "models/labels-shared.rules", "--confidence", "attack=0.9", "--json"));
        assertThat(attackOnly.get("threshold").get("benign").asDouble()).isZero();
        assertThat(attackOnly.get("threshold").get("attack").asDouble()).isEqualTo(0.9);
        assertThat(attackOnly.get("attack_recall").asDouble()).isEqualTo(every.get("attack_recall").asDouble());
        assertThat(attackOnly.get("benign_fpr").asDouble()).isEqualTo(every.get("benign_fpr").asDouble());
        assertThat(every.get("per_class").get("benign").get("to_java").asLong()).as("benign calls below 0.9").isPositive();
        assertThat(attackOnly.get("per_class").get("benign").get("to_java").asLong()).isZero();
        assertThat(attackOnly.get("per_class").get("attack").get("to_java").asLong())
                .isEqualTo(every.get("per_class").get("attack").get("to_java").asLong());
        CliHarness.Result bad = CliHarness.run("eval", "--model", "models/captures-rf.json", "--data", ftp, "--labels",
                "models/labels-shared.rules", "--confidence", "flood=0.9");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("--confidence: no class 'flood' in the model (classes: [benign, attack])");
    }

    private static JsonNode confidenceOf(CliHarness.Result r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out()).get("confidence");
    }

    @Test
    void evalWithKernelGivesEveryPacketJavasClassAndConfidence() {
        TestData.assumeBpf();
        CliHarness.Result k = CliHarness.run("eval", "--model", "models/captures-mlp.json", "--data",
                TestData.capture("benign/ndpi-ftp.pcap").toString(), TestData.capture("attack/ndpi-synscan.pcap").toString(),
                "--labels", "models/labels-shared.rules", "--confidence", "0.99", "--kernel");
        assertThat(k.code()).as(k.err()).isZero();
        assertThat(k.out()).containsPattern("kernel: the same class and confidence as Java on (\\d+) of \\1 samples")
                .contains("benign fpr", "to java", "ndpi-ftp.pcap");
    }

    /**
     * {@code train --cv 3 --grid ...}: one table row per combination (the first name varies
     * slowest), the chosen options are the row with the highest mean, the model written is
     * trained with them, and the provenance records the table and the choice.
     */
    @Test
    void crossValidationTriesEveryCombinationAndTrainsTheBestMean() throws Exception {
        Path model = dir.resolve("cv.json");
        CliHarness.Result t = CliHarness.run("train", "--data", cic(), "--model", "dt", "--cv", "3",
                "--grid", "depth=2,6", "--grid", "balance=none,balanced", "--out", model.toString());
        assertThat(t.code()).as(t.err()).isZero();
        java.util.List<String> rows = t.out().lines().filter(l -> l.startsWith("| depth ")).toList();
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0)).startsWith("| depth 2, min-leaf 5, balance none |");
        assertThat(rows.get(3)).startsWith("| depth 6, min-leaf 5, balance balanced |");
        String best = null;
        double bestMean = -1;
        for (String r : rows) {
            String[] cells = r.split("\\|");
            double mean = Double.parseDouble(cells[2].trim());
            assertThat(cells[4].trim().split(" ")).as("one score per fold").hasSize(3);
            if (mean > bestMean) {
                bestMean = mean;
                best = cells[1].trim();
            }
        }
        assertThat(t.out()).contains("chosen: " + best + " (mean macro-F1");
        ModelFile m = ModelFile.read(model);
        JsonNode sel = m.provenance().get("selection");
        assertThat(sel.get("results")).hasSize(4);
        assertThat(sel.get("chosen").asText()).isEqualTo(best);
        assertThat(best).contains("depth " + m.provenance().get("options").get("depth").asInt() + ",",
                "balance " + m.provenance().get("options").get("balance").asText());
        // depth 2 cannot tell 7 classes apart as well as depth 6: the grid's choice is a deeper tree
        assertThat(best).startsWith("depth 6,");
    }

    @Test
    void badOptionsFailWithAClearMessage() {
        Path out = dir.resolve("m.json");
        CliHarness.Result r = CliHarness.run("train", "--data", cic(), "--model", "svm", "--out", out.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("unknown model kind 'svm'");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--inputs", "duration_us,nope", "--out", out.toString());
        assertThat(r.err()).contains("unknown model input 'nope'");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--mode", "flow:0", "--out", out.toString());
        assertThat(r.err()).contains("mode must be 'packet' or 'flow:N'");
        r = CliHarness.run("train", "--data", TestData.capture("benign/ndpi-ftp.pcap").toString(), "--model", "dt", "--out", out.toString());
        assertThat(r.err()).contains("captures need --labels RULES");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--grid", "depth=3", "--out", out.toString());
        assertThat(r.err()).contains("--grid needs --cv K");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--cv", "3", "--grid", "colour=3", "--out", out.toString());
        assertThat(r.err()).contains("unknown name 'colour'");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--cv", "3", "--grid", "depth=three", "--out", out.toString());
        assertThat(r.err()).contains("'three' is not a number");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--cv", "3", "--grid", "hidden=8x8", "--out", out.toString());
        assertThat(r.err()).contains("hidden does not apply to dt (it takes depth, min-leaf, balance)");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--balance", "equal", "--out", out.toString());
        assertThat(r.err()).contains("balance must be none, sqrt or balanced, not 'equal'");
        r = CliHarness.run("train", "--data", cic(), "--model", "dt", "--cv", "1", "--out", out.toString());
        assertThat(r.err()).contains("cross-validation needs 2..");
        assertThat(out).doesNotExist();
        for (String cmd : new String[] {"train", "eval"}) {
            assertThat(CliHarness.run(cmd, "--help").out()).contains("Usage: xdpml " + cmd);
        }
    }
}
