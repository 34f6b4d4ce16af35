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
        assertThat(out).doesNotExist();
        for (String cmd : new String[] {"train", "eval"}) {
            assertThat(CliHarness.run(cmd, "--help").out()).contains("Usage: xdpml " + cmd);
        }
    }
}
