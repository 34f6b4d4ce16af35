package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code xdpml classify}: the kernel and Java engines print the same verdicts for a capture. */
class ClassifyCommandTest {
    static String run(String... args) {
        CliHarness.Result r = CliHarness.run(args);
        assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
        return r.out();
    }

    static java.util.List<String> sorted(JsonNode flows) {
        java.util.List<String> out = new java.util.ArrayList<>();
        flows.forEach(f -> out.add(f.toString()));
        java.util.Collections.sort(out);
        return out;
    }

    @Test
    void kernelAndJavaGiveTheSameVerdicts() throws Exception {
        TestData.assumeBpf();
        String capture = TestData.capture("attack/synack-reflection.pcap").toString();
        for (String mode : new String[] {"packet", "flow:2"}) {
            String kernel = run("classify", capture, "--model", "models/captures-rf.json", "--engine", "kernel", "--mode", mode, "--json");
            String java = run("classify", capture, "--model", "models/captures-rf.json", "--engine", "java", "--mode", mode, "--json");
            JsonNode k = new ObjectMapper().readTree(kernel);
            JsonNode j = new ObjectMapper().readTree(java);
            assertThat(k.get("engine").asText()).isEqualTo("kernel");
            assertThat(k.get("flows").size()).isPositive();
            // the kernel lists flows in hash order, Java in arrival order: compare them sorted
            assertThat(sorted(k.get("flows"))).as("mode %s: flows and their classes", mode).isEqualTo(sorted(j.get("flows")));
            for (String f : new String[] {"engine", "flows"}) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) k).remove(f);
                ((com.fasterxml.jackson.databind.node.ObjectNode) j).remove(f);
            }
            assertThat(k.toString()).as("mode %s: counters and per-class totals", mode).isEqualTo(j.toString());
        }
        String packets = run("classify", capture, "--model", "models/captures-dt.json", "--engine", "java", "--packets");
        assertThat(packets.lines().skip(1).filter(l -> !l.isBlank()).count()).isEqualTo(TestData.packetCount(TestData.capture("attack/synack-reflection.pcap")));
    }
}
