package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line as a user sees it: help, version, errors, the JSON contract. */
class CliTest {
    static CliHarness.Result run(String... args) {
        return CliHarness.run(args);
    }

    @Test
    void everyCommandHasHelp() {
        for (List<String> cmd : List.<List<String>>of(List.of(), List.of("inspect"), List.of("flows"), List.of("bench"), List.of("bench", "testrun"), List.of("bench", "veth"),
                List.of("demo"), List.of("selftest"), List.of("run"), List.of("blocks"), List.of("blocks", "list"), List.of("gen"))) {
            String[] args = java.util.stream.Stream.concat(cmd.stream(), java.util.stream.Stream.of("--help")).toArray(String[]::new);
            CliHarness.Result r = run(args);
            assertThat(r.code()).as("%s --help", cmd).isZero();
            assertThat(r.out()).as("%s --help", cmd).contains("Usage: xdpml");
        }
        assertThat(run("--version").out()).startsWith("xdpml ");
    }

    @Test
    void inspectJsonIsTheDocumentedObject() throws Exception {
        CliHarness.Result r = run("inspect", "--engine", "java", "--json", TestData.capture("tunnel/ndpi-vxlan.pcap").toString());
        assertThat(r.code()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.fieldNames()).toIterable().containsExactly("packets", "ethernet", "vlan", "ipv4", "ipv6", "tcp",
                "udp", "icmp", "icmpv6", "vxlan", "fragments", "errors");
        assertThat(j.get("packets").asLong()).isEqualTo(127);
        assertThat(j.get("vxlan").asLong()).isEqualTo(127);
        assertThat(j.get("errors").isObject()).isTrue();
    }

    @Test
    void errorsNameTheProblem() {
        CliHarness.Result missing = run("inspect", "--engine", "java", "/nonexistent/file.pcap");
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("no such file: /nonexistent/file.pcap");
        CliHarness.Result notACapture = run("inspect", "--engine", "java", "pom.xml");
        assertThat(notACapture.code()).isEqualTo(2);
        assertThat(notACapture.out()).isEmpty();
        assertThat(notACapture.err()).contains("unknown magic number");
        CliHarness.Result flowsOfNothing = run("flows", "--engine", "java", "pom.xml");
        assertThat(flowsOfNothing.code()).isEqualTo(2);
        assertThat(flowsOfNothing.err()).contains("unknown magic number");
        CliHarness.Result badEngine = run("inspect", "--engine", "gpu", "x.pcap");
        assertThat(badEngine.code()).isNotZero();
        assertThat(badEngine.err()).contains("--engine");
    }

    @Test
    void damagedCaptureIsCountedUpToTheDamage() {
        CliHarness.Result r = run("inspect", "--engine", "java", "--json", TestData.capture("malformed/ndpi-fuzz-2021-10-13.pcap").toString());
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).contains("\"packets\" : 1");
        assertThat(r.err()).contains("offset 237");
    }

    @Test
    void flowsCsvHasTheStableColumnsAndOneRowPerFlow() {
        CliHarness.Result r = run("flows", "--engine", "java", "--csv", TestData.capture("tunnel/zeek-vlan-qinqinq.pcap").toString());
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).startsWith("src_addr,src_port,dst_addr,dst_port,protocol,first_ns,last_ns,"
                + "fwd_packets,bwd_packets,fwd_bytes,bwd_bytes,duration_us,");
        assertThat(lines).hasSize(2); // one TCP conversation
        String[] row = lines.get(1).split(",");
        assertThat(row).hasSize(lines.get(0).split(",").length);
        assertThat(row[0]).isEqualTo("141.142.228.5"); // the initiator
        assertThat(row[4]).isEqualTo("6");
        assertThat(Long.parseLong(row[7]) + Long.parseLong(row[8])).isEqualTo(14);
        assertThat(lines.get(0)).endsWith(",ip_version,vlan,vni,end_reason");
        assertThat(row[row.length - 1]).isEqualTo("tcp_close");
    }

    @Test
    void flowsRecordsAreJsonLinesWithAReason() throws Exception {
        CliHarness.Result r = run("flows", "--engine", "java", "--records", TestData.capture("benign/ndpi-ftp.pcap").toString());
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        // three TCP connections, each closed with FIN both ways; then the final sweep reports each
        // once more with its final state (tail: the last ACK it absorbed after the close)
        assertThat(lines).hasSize(6);
        for (int i = 0; i < lines.size(); i++) {
            JsonNode j = new ObjectMapper().readTree(lines.get(i));
            assertThat(j.get("reason").asText()).isEqualTo(i < 3 ? "tcp_close" : "tail");
            assertThat(j.get("protocol").asInt()).isEqualTo(6);
        }
    }

    /**
     * Both engines print the same listing, in CSV and in text (but for the engine's name); every
     * tracked packet is in a listed flow; the end reasons are there.
     */
    @Test
    void flowsListingIsTheSameFromTheKernelAndJava() {
        TestData.assumeBpf();
        String lan = TestData.capture("benign/lan-trace-2012.pcap").toString();
        for (List<String> options : List.<List<String>>of(List.of("--csv"), List.of("--csv", "--idle-timeout", "5", "--active-timeout", "3"),
                List.of())) {
            List<String> kernel = new java.util.ArrayList<>(List.of("flows", "--engine", "kernel", lan));
            List<String> java = new java.util.ArrayList<>(List.of("flows", "--engine", "java", lan));
            kernel.addAll(options);
            java.addAll(options);
            CliHarness.Result k = run(kernel.toArray(String[]::new));
            CliHarness.Result j = run(java.toArray(String[]::new));
            assertThat(k.code()).as(k.err()).isZero();
            assertThat(j.code()).as(j.err()).isZero();
            assertThat(k.out().replace("engine: kernel", "engine: java")).as("listing %s", options).isEqualTo(j.out());
            if (options.isEmpty()) {
                assertThat(j.out().lines().toList().get(1)).isEqualTo("ended by: 5959 tcp_close, 187 idle, 149 end; 5959 closed"
                        + " flow(s) absorbed 5983 packet(s) after the close; 62038 packets in the flows");
                continue;
            }
            List<String> rows = j.out().lines().skip(1).toList();
            long packets = rows.stream().map(l -> l.split(",")).mapToLong(r -> Long.parseLong(r[7]) + Long.parseLong(r[8])).sum();
            assertThat(packets).as("packets over the listed flows %s: 62,781 frames, 743 not IP", options).isEqualTo(62_038);
            assertThat(rows).as("flows %s", options).hasSize(options.size() == 1 ? 6_295 : 6_472);
            assertThat(rows.stream().map(l -> l.substring(l.lastIndexOf(',') + 1)).distinct().sorted().toList())
                    .containsExactly("end", "idle", "tcp_close");
        }
    }

    /** gen --capture of a file that is no capture is an error (it printed 'sent 0 frames', exit 0); checked before BPF is needed. */
    @Test
    void genRefusesAFileThatIsNotACapture(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path notes = dir.resolve("notes.txt");
        java.nio.file.Files.writeString(notes, "not a capture\n");
        CliHarness.Result r = CliHarness.run("gen", "--iface", "lo", "--capture", notes.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("xdpml gen: " + notes + ": file header at offset 0: unknown magic number");
        assertThat(r.out()).doesNotContain("sent");
    }
}
