package io.xdpml.cli;

import static io.xdpml.cli.ClassifyCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code xdpml classify --onnx} and {@code xdpml export-onnx}: the shipped forest exported to ONNX
 * (models/onnx/captures-rf.onnx, made by export-onnx from models/captures-rf.json) gives every packet of
 * real captures the class the Java integer model gives it, per packet and cached per flow.
 */
class ClassifyOnnxCommandTest {
    @Test
    void onnxForestGivesEveryPacketTheClassOfTheJavaModel() throws Exception {
        for (String name : new String[] {"attack/cicddos2019-synflood.pcap", "attack/portscan-1-10000.pcapng", "benign/ndpi-tor.pcap"}) {
            String capture = TestData.capture(name).toString();
            String java = run("classify", capture, "--model", "models/captures-rf.json", "--engine", "java", "--packets");
            String onnx = run("classify", capture, "--onnx", "models/onnx/captures-rf.onnx", "--packets");
            assertThat(onnx.lines().count()).as(name).isEqualTo(TestData.packetCount(TestData.capture(name)) + 1);
            assertThat(onnx).as("%s: index,time_ns,class per packet", name).isEqualTo(java);
        }
        String capture = TestData.capture("attack/synack-reflection.pcap").toString();
        for (String mode : new String[] {"packet", "flow:2"}) {
            JsonNode j = new ObjectMapper().readTree(run("classify", capture, "--model", "models/captures-rf.json", "--engine", "java",
                    "--mode", mode, "--json"));
            JsonNode o = new ObjectMapper().readTree(run("classify", capture, "--onnx", "models/onnx/captures-rf.onnx", "--mode", mode, "--json"));
            assertThat(o.get("engine").asText()).isEqualTo("onnx");
            assertThat(o.get("flows").size()).isPositive();
            ((ObjectNode) j).remove("engine");
            ((ObjectNode) o).remove("engine");
            assertThat(o.toString()).as("mode %s: counters, per-class totals and flows", mode).isEqualTo(j.toString());
        }
    }

    @Test
    void exportWritesAModelAndSidecarThatClassifyReads(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("dt.onnx");
        String said = run("export-onnx", "--model", "models/captures-dt.json", "--out", out.toString(), "--zipmap");
        assertThat(said).contains("wrote " + out).contains("label 'output_label'").contains("probability map 'output_probability'");
        assertThat(Files.readString(dir.resolve("dt.onnx.json"))).contains("\"inputs\"").contains("\"classes\"");
        String capture = TestData.capture("attack/synack-reflection.pcap").toString();
        assertThat(run("classify", capture, "--onnx", out.toString(), "--packets"))
                .isEqualTo(run("classify", capture, "--model", "models/captures-dt.json", "--engine", "java", "--packets"));
    }

    @Test
    void badUseIsAnErrorThatSaysWhy(@TempDir Path dir) throws Exception {
        String capture = TestData.capture("attack/synack-reflection.pcap").toString();
        assertThat(fail("classify", capture)).contains("give a model: --model M.json or --onnx M.onnx");
        assertThat(fail("classify", capture, "--onnx", "models/onnx/captures-rf.onnx", "--engine", "kernel")).contains("--onnx runs in Java");
        Path bad = dir.resolve("bad.onnx");
        Files.write(bad, Files.readAllBytes(Path.of("models/onnx/captures-rf.onnx")));
        Files.writeString(dir.resolve("bad.onnx.json"), "{\"inputs\": [\"protocol\"], \"classes\": [\"benign\", \"attack\"]}");
        assertThat(fail("classify", capture, "--onnx", bad.toString()))
                .contains("xdpml classify: " + bad + ": input 'input' has 11 columns but the sidecar names 1 inputs [protocol]");
    }

    private static String fail(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as("exit code; stdout: %s", out).isEqualTo(2);
        return err.toString();
    }
}
