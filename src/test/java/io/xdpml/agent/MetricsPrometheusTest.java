package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.Stage;
import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's {@code /metrics} read by the real Prometheus: an agent on a veth pair of the test's
 * own namespace serves {@code outputs.metrics}; {@code /usr/bin/prometheus} runs in the same
 * namespace (its own port, a temporary TSDB) and scrapes it every second. Known traffic is sent
 * and PromQL over Prometheus's HTTP API must give exactly the counts it implies: frames in, those
 * a firewall rule dropped, those the model's "high" class dropped, those of a blocked source, new
 * flows, packets mirrored to Java; then a port scan is detected and blocked. Every panel query of
 * the Grafana dashboard returns data; {@code promtool check metrics} finds nothing to say about
 * the endpoint's output; a second agent wanting the same port fails before it attaches anything.
 */
class MetricsPrometheusTest {
    static final String SCANNER = "10.77.0.9";
    static final String BLOCKED = "10.77.0.8";
    static final int METRICS_PORT = 9464;
    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private final ObjectMapper json = new ObjectMapper();

    static String config(String iface) {
        return """
                interfaces: [%s]
                blocks:
                  enabled: true
                firewall:
                  rules: |
                    default pass
                    rule drop udp port 19
                flows:
                  max-flows: 4096
                model:
                  file: model.json
                  mode: packet
                  actions: {low: pass, high: drop}
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan, synflood]
                  window: 1s
                mitigation:
                  block: 60s
                outputs:
                  status: 0
                  metrics:
                    listen: 127.0.0.1:%d
                  eve: {file: eve.json}
                  ipfix: {file: flows.ipfix}
                """.formatted(iface, METRICS_PORT);
    }

    @Test
    void prometheusScrapesWhatTheTrafficImplies(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Requirements.require(Files.isExecutable(PROMETHEUS), "prometheus not installed (scripts/setup installs it)");
        Requirements.require(Files.isExecutable(PROMTOOL), "promtool not installed (scripts/setup installs prometheus)");
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("amp")) {
            Files.writeString(file, config(rig.rx));
            rig.start(file);
            OptionalInt program = rig.attachedProgram();
            assertThat(program).isPresent();
            String metricsUrl = "http://127.0.0.1:" + METRICS_PORT + "/metrics";
            assertThat(get(rig, metricsUrl)).contains("xdpml_build_info{").contains("xdpml_packets_total{iface=\"" + rig.rx + "\"} 0")
                    .contains("jvm_memory_used_bytes");

            // the port is taken: a second agent (the same file) fails on it, before it claims or attaches anything
            assertThatThrownBy(() -> rig.ns.run(() -> new Agent(AgentConfigLoader.load(file), UnaryOperator.identity(), true,
                    AgentRig.extras(rig.blocksPins.resolveSibling(rig.blocksPins.getFileName() + "-second")), rig.out)))
                    .hasMessageContaining("outputs.metrics: cannot serve http://127.0.0.1:" + METRICS_PORT + "/metrics")
                    .hasMessageContaining("another process");
            assertThat(rig.attachedProgram()).isEqualTo(program);
            assertThat(rig.info().pid()).isEqualTo(ProcessHandle.current().pid());

            Process prometheus = startPrometheus(rig, dir);
            try {
                String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/";
                waitForTargetUp(rig, api);
                String i = "iface=\"" + rig.rx + "\"";

                // 1: 200 frames a firewall rule drops, 300 the model's class "high" drops, 100 through every stage to Java; Java
                // gets a copy of the model's drops too (sampling.dropped, on by default with mirror delivery: every: 1 here)
                rig.send(AgentRig.udp("10.77.0.6", 19), 200);
                rig.send(AgentRig.udp("10.77.0.5", 3000), 300);
                rig.send(AgentRig.udp("10.77.0.7", 53), 100);
                Map<String, Double> want = new LinkedHashMap<>();
                want.put("xdpml_packets_total{" + i + "}", 600.0);
                want.put("xdpml_parse_packets_total{" + i + ",protocol=\"udp\"}", 600.0);
                want.put("xdpml_stage_dropped_packets_total{" + i + ",stage=\"firewall\"}", 200.0);
                want.put("xdpml_firewall_packets_total{" + i + ",verdict=\"drop\",reason=\"rule\"}", 200.0);
                want.put("xdpml_firewall_rule_hits_total{" + i + ",rule=\"0\"}", 200.0);
                want.put("sum(xdpml_firewall_packets_total{" + i + ",verdict=\"pass\"})", 400.0);
                want.put("xdpml_stage_dropped_packets_total{" + i + ",stage=\"model\"}", 300.0);
                want.put("xdpml_model_packets_total{" + i + ",class=\"high\"}", 300.0);
                want.put("xdpml_model_packets_total{" + i + ",class=\"low\"}", 100.0);
                want.put("xdpml_exit_packets_total{" + i + ",action=\"drop\"}", 500.0);
                want.put("xdpml_exit_packets_total{" + i + ",action=\"pass\"}", 100.0);
                want.put("xdpml_flows_new_total{" + i + "}", 2.0); // port 19 is dropped before the flow stage
                want.put("xdpml_flow_table_entries{" + i + "}", 2.0);
                want.put("xdpml_delivered_packets_total{" + i + ",way=\"mirror\"}", 400.0);
                want.put("xdpml_java_processed_packets_total{" + i + "}", 400.0);
                want.put("xdpml_java_packet_latency_seconds_count{" + i + "}", 400.0);
                want.put("xdpml_xdp_to_java_latency_seconds_count{" + i + "}", 400.0);
                want.put("sum(xdpml_not_delivered_packets_total{" + i + "})", 0.0);
                Map<String, Double> got = awaitValues(rig, api, want);
                System.out.println("metrics test, phase 1 (600 frames): " + got);
                assertThat(got).isEqualTo(want);

                // 2: a source blocked by hand (as 'xdpml blocks add' does): its 150 frames are dropped in the blocks stage
                rig.agent().processors().get(0).mitigation().block(InetAddress.ofLiteral(BLOCKED), Duration.ofSeconds(120));
                rig.send(AgentRig.udp(BLOCKED, 53), 150);
                want.clear();
                want.put("xdpml_packets_total{" + i + "}", 750.0);
                want.put("xdpml_stage_dropped_packets_total{" + i + ",stage=\"blocks\"}", 150.0);
                want.put("xdpml_blocks_active{" + i + ",kind=\"source\"}", 1.0);
                want.put("xdpml_exit_packets_total{" + i + ",action=\"drop\"}", 650.0);
                want.put("xdpml_exit_packets_total{" + i + ",action=\"pass\"}", 100.0);
                want.put("sum(xdpml_stage_dropped_packets_total{" + i + "})", 650.0);
                got = awaitValues(rig, api, want);
                System.out.println("metrics test, phase 2 (150 frames of a blocked source): " + got);
                assertThat(got).isEqualTo(want);

                // 3: a SYN scan, repeated until the agent detects and blocks the scanner, then once more (all dropped)
                long scanSent = 0;
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!rig.output().contains("BLOCKED " + SCANNER) && System.nanoTime() < deadline) {
                    scanSent += AgentVethTest.scan(rig);
                    Thread.sleep(700);
                }
                assertThat(rig.output()).contains("BLOCKED " + SCANNER);
                long blockedBefore = rig.counters().dropped(Stage.BLOCKS);
                scanSent += AgentVethTest.scan(rig);
                long total = 750 + scanSent;
                want.clear();
                want.put("xdpml_packets_total{" + i + "}", (double) total);
                want.put("xdpml_blocks_active{" + i + ",kind=\"source\"}", 2.0);
                want.put("sum(xdpml_mitigation_blocks_total)", 1.0); // the scanner, once (by portscan, or synflood if it named it first)
                want.put("sum(xdpml_exit_packets_total{" + i + "})", (double) total);
                want.put("xdpml_stage_dropped_packets_total{" + i + ",stage=\"blocks\"}", (double) (blockedBefore + 400));
                got = awaitValues(rig, api, want);
                System.out.println("metrics test, phase 3 (scan " + scanSent + " frames, " + blockedBefore + " blocked before the last 400): " + got);
                assertThat(got).isEqualTo(want);
                assertThat(blockedBefore).as("blocked before the last scan").isGreaterThanOrEqualTo(150);
                double detections = value(rig, api, "xdpml_detections_total{detector=\"portscan\"}");
                assertThat(detections).as("portscan detections").isGreaterThanOrEqualTo(1);
                assertThat(value(rig, api, "xdpml_detections_total{detector=\"synflood\"}")).as("synflood: present, 0").isZero();
                assertThat(value(rig, api, "xdpml_detector_untracked_total{detector=\"synflood\"}")).as("no table full: present, 0").isZero();
                assertThat(value(rig, api, "xdpml_detector_evicted_total{detector=\"portscan\"}")).as("no table full: present, 0").isZero();
                assertThat(value(rig, api, "xdpml_stage_dropped_packets_total{" + i + ",stage=\"firewall\"}")).isEqualTo(200);

                // the dashboard: with traffic flowing, every panel query (template variables filled in) returns data
                try (AgentRig.Traffic t = rig.traffic(AgentRig.udp("10.77.0.7", 53), AgentRig.udp("10.77.0.6", 19), 8, 200)) {
                    Thread.sleep(16_000); // a 15 s rate window full of samples
                    List<String> empty = new ArrayList<>();
                    int queries = 0;
                    JsonNode dash = json.readTree(Path.of("dashboards/xdpml-grafana.json").toFile());
                    for (JsonNode panel : dash.get("panels")) {
                        for (JsonNode target : panel.get("targets")) {
                            if (target.get("expr").asText().contains("xdpml_cpumap_")) {
                                continue; // the CPU spread's: theCpuSpreadsCountersReachPrometheus
                            }
                            String expr = target.get("expr").asText().replace("$__rate_interval", "15s").replace("$iface", rig.rx)
                                    .replace("$job", "xdpml").replace("$instance", ".*");
                            JsonNode r = query(rig, api, expr);
                            queries++;
                            boolean data = r.get("status").asText().equals("success") && !r.get("data").get("result").isEmpty()
                                    && hasNumber(r.get("data").get("result"));
                            if (!data) {
                                empty.add(panel.get("title").asText() + ": " + expr + " -> " + r);
                            }
                        }
                    }
                    System.out.println("metrics test: " + queries + " dashboard queries in " + dash.get("panels").size() + " panels, "
                            + empty.size() + " without data");
                    assertThat(empty).as("dashboard queries without data").isEmpty();
                    assertThat(queries).isGreaterThanOrEqualTo(30);
                }

                // promtool's lint on what the endpoint serves
                String exposition = get(rig, metricsUrl);
                Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
                try (var in = promtool.getOutputStream()) {
                    in.write(exposition.getBytes(StandardCharsets.UTF_8));
                }
                String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
                System.out.println("metrics test: promtool check metrics on " + exposition.lines().count() + " lines: exit "
                        + promtool.exitValue() + (lint.isBlank() ? ", nothing to say" : ":\n" + lint));
                assertThat(lint).as("promtool check metrics").isBlank();
                assertThat(promtool.exitValue()).isZero();
                assertThat(exposition).doesNotContain("10.77.0."); // never an address as a label
                // docs/metrics.md names every family served, and serves every family it names (AF_XDP's: AgentMetricsAfXdpTest;
                // the CPU spread's: theCpuSpreadsCountersReachPrometheus)
                java.util.Set<String> served = families(exposition);
                assertThat(documented()).containsAll(served);
                assertThat(served).containsAll(documented().stream().filter(n -> !n.startsWith("xdpml_xsk_") && !n.startsWith("xdpml_cpumap_"))
                        .toList());
                assertThat(served).as("no spread, none of its metrics").noneMatch(n -> n.startsWith("xdpml_cpumap_"));
                Files.writeString(Path.of("target", "metrics-exposition.txt"), exposition); // for a look after the run
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            assertThat(rig.stop()).isZero();
            // closed: the port is free again
            rig.ns.run(() -> {
                try (ServerSocket s = new ServerSocket(METRICS_PORT, 1, InetAddress.getLoopbackAddress())) {
                    return s.getLocalPort();
                }
            });
        }
    }

    /**
     * With the CPU spread on ({@code cpumap: {cpus: [0, 1]}}), its counters reach Prometheus (until
     * 2026-12-06 only {@code xdpml status} showed them, and the picker's failures no metric; found
     * by review): UDP from 8 hosts (hashed on the addresses alone), TCP of 8 ports, ARP (not IP);
     * each CPU's pipeline packets as the twin predicts them. Then CPU 1's entry is taken out of the
     * running program's xdpml_cpumap: the frames of a flow hashed to it are the picker's failures.
     * The dashboard's spread panel has data, promtool has nothing to say, and every xdpml_cpumap_
     * family docs/metrics.md names is served.
     */
    @Test
    void theCpuSpreadsCountersReachPrometheus(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Requirements.require(Files.isExecutable(PROMETHEUS), "prometheus not installed (scripts/setup installs it)");
        Requirements.require(Files.isExecutable(PROMTOOL), "promtool not installed (scripts/setup installs prometheus)");
        Requirements.require(io.xdpml.kernel.BpfMap.possibleCpus() >= 2, "the spread needs two CPUs");
        Path file = dir.resolve("spread.yaml");
        try (AgentRig rig = new AgentRig("amc")) {
            Files.writeString(file, """
                    interfaces: [%s]
                    cpumap: {cpus: [0, 1]}
                    firewall:
                      rules: |
                        default pass
                    flows:
                      max-flows: 4096
                    detectors:
                      enabled: none
                    outputs:
                      status: 0
                      metrics:
                        listen: 127.0.0.1:%d
                    """.formatted(rig.rx, METRICS_PORT));
            rig.start(file);
            Process prometheus = startPrometheus(rig, dir);
            try {
                String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/";
                waitForTargetUp(rig, api);
                String i = "iface=\"" + rig.rx + "\"";
                io.xdpml.dataplane.CpuSpread twin = new io.xdpml.dataplane.CpuSpread(List.of(0, 1), 2048);
                long[] perCpu = new long[2];
                List<byte[]> udp = new ArrayList<>();
                List<byte[]> tcp = new ArrayList<>();
                for (int k = 1; k <= 8; k++) {
                    udp.add(AgentRig.udp("10.77.3." + k, 53));
                    tcp.add(new io.xdpml.packet.FrameBuilder().ethernet().ipv4("10.77.4.1", "10.77.0.2").tcp(41000 + k, 443, 0x10).build());
                }
                byte[] arp = new io.xdpml.packet.FrameBuilder().ethernet().etherType(0x0806).payload(28).build();
                for (byte[] f : udp) {
                    rig.send(f, 20);
                    perCpu[twin.cpuOf(f)] += 20;
                }
                for (byte[] f : tcp) {
                    rig.send(f, 20);
                    perCpu[twin.cpuOf(f)] += 20;
                }
                rig.send(arp, 30);
                perCpu[0] += 30;
                Map<String, Double> want = new LinkedHashMap<>();
                want.put("xdpml_packets_total{" + i + "}", 350.0);
                want.put("xdpml_cpumap_redirected_total{" + i + "}", 350.0);
                want.put("xdpml_cpumap_failed_total{" + i + "}", 0.0);
                want.put("xdpml_cpumap_addresses_only_total{" + i + "}", 160.0);
                want.put("xdpml_cpumap_not_ip_total{" + i + "}", 30.0);
                want.put("xdpml_cpumap_pipeline_packets_total{" + i + ",cpu=\"0\"}", (double) perCpu[0]);
                want.put("xdpml_cpumap_pipeline_packets_total{" + i + ",cpu=\"1\"}", (double) perCpu[1]);
                Map<String, Double> got = awaitValues(rig, api, want);
                System.out.println("metrics test, the spread (350 frames, the twin's CPUs " + java.util.Arrays.toString(perCpu) + "): " + got);
                assertThat(got).isEqualTo(want);
                assertThat(perCpu).as("both CPUs got flows").doesNotContain(0L);

                // CPU 1's entry gone from the running program: what the hash sends there is dropped by the picker, and counted
                try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
                    assertThat(o.map("xdpml_cpumap").delete(1)).isTrue();
                }
                byte[] toOne = udp.stream().filter(f -> twin.cpuOf(f) == 1).findFirst().orElseThrow();
                rig.send(toOne, 40);
                want.clear();
                want.put("xdpml_cpumap_failed_total{" + i + "}", 40.0);
                want.put("xdpml_cpumap_redirected_total{" + i + "}", 350.0);
                want.put("xdpml_packets_total{" + i + "}", 350.0);
                want.put("xdpml_cpumap_pipeline_packets_total{" + i + ",cpu=\"0\"}", (double) perCpu[0]);
                got = awaitValues(rig, api, want);
                System.out.println("metrics test, the spread without CPU 1's entry (40 frames to it): " + got);
                assertThat(got).isEqualTo(want);

                // the dashboard's spread panel, with traffic flowing
                byte[] toZero = udp.stream().filter(f -> twin.cpuOf(f) == 0).findFirst().orElseThrow();
                try (AgentRig.Traffic t = rig.traffic(toZero, toOne, 8, 200)) {
                    Thread.sleep(16_000);
                    List<String> empty = new ArrayList<>();
                    int queries = 0;
                    JsonNode dash = json.readTree(Path.of("dashboards/xdpml-grafana.json").toFile());
                    for (JsonNode panel : dash.get("panels")) {
                        for (JsonNode target : panel.get("targets")) {
                            if (!target.get("expr").asText().contains("xdpml_cpumap_")) {
                                continue;
                            }
                            String expr = target.get("expr").asText().replace("$__rate_interval", "15s").replace("$iface", rig.rx);
                            JsonNode r = query(rig, api, expr);
                            queries++;
                            if (!r.get("status").asText().equals("success") || r.get("data").get("result").isEmpty()
                                    || !hasNumber(r.get("data").get("result"))) {
                                empty.add(panel.get("title").asText() + ": " + expr + " -> " + r);
                            }
                        }
                    }
                    System.out.println("metrics test: " + queries + " dashboard queries of the spread, " + empty.size() + " without data");
                    assertThat(empty).as("the spread's dashboard queries without data").isEmpty();
                    assertThat(queries).isEqualTo(4);
                }

                String exposition = get(rig, "http://127.0.0.1:" + METRICS_PORT + "/metrics");
                Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
                try (var in = promtool.getOutputStream()) {
                    in.write(exposition.getBytes(StandardCharsets.UTF_8));
                }
                String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
                System.out.println("metrics test, the spread: promtool check metrics on " + exposition.lines().count() + " lines: exit "
                        + promtool.exitValue() + (lint.isBlank() ? ", nothing to say" : ":\n" + lint));
                assertThat(lint).as("promtool check metrics").isBlank();
                assertThat(promtool.exitValue()).isZero();
                java.util.Set<String> served = families(exposition);
                assertThat(documented()).containsAll(served);
                assertThat(served).containsAll(documented().stream().filter(n -> n.startsWith("xdpml_cpumap_")).toList());
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            assertThat(rig.stop()).isZero();
        }
    }

    private int prometheusPort;

    /** Prometheus in the rig's namespace at a free port of it, scraping the agent every second. */
    private Process startPrometheus(AgentRig rig, Path dir) throws IOException {
        prometheusPort = rig.ns.run(() -> {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        });
        Path cfg = dir.resolve("prometheus.yml");
        Files.writeString(cfg, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: xdpml
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(METRICS_PORT));
        Path data = Files.createDirectories(dir.resolve("tsdb"));
        return new ProcessBuilder("ip", "netns", "exec", rig.ns.name(), PROMETHEUS.toString(), "--config.file=" + cfg,
                "--storage.tsdb.path=" + data, "--web.listen-address=127.0.0.1:" + prometheusPort, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    private void waitForTargetUp(AgentRig rig, String api) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = get(rig, api + "targets");
                JsonNode active = json.readTree(last).get("data").get("activeTargets");
                if (active != null && !active.isEmpty() && active.get(0).get("health").asText().equals("up")) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                last = e.toString(); // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the agent's target never came up in Prometheus: " + last);
    }

    /** Queries every expression until all give the wanted values (or 20 s pass); returns what they gave last. */
    private Map<String, Double> awaitValues(AgentRig rig, String api, Map<String, Double> want) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        Map<String, Double> got = new LinkedHashMap<>();
        while (true) {
            got.clear();
            for (String q : want.keySet()) {
                got.put(q, value(rig, api, q));
            }
            if (got.equals(want) || System.nanoTime() > deadline) {
                return got;
            }
            Thread.sleep(500);
        }
    }

    /** The single value of an instant query, NaN when it has none. */
    private double value(AgentRig rig, String api, String promql) throws Exception {
        JsonNode result = query(rig, api, promql).get("data").get("result");
        return result.size() == 1 ? result.get(0).get("value").get(1).asDouble() : Double.NaN;
    }

    private JsonNode query(AgentRig rig, String api, String promql) throws Exception {
        return json.readTree(get(rig, api + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    }

    private static boolean hasNumber(JsonNode result) {
        for (JsonNode series : result) {
            String v = series.get("value").get(1).asText();
            if (!v.equals("NaN")) {
                return true;
            }
        }
        return false;
    }

    /** The xdpml metric families of an exposition (their # TYPE names: counters with _total, histograms without suffix). */
    static java.util.Set<String> families(String exposition) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^# TYPE (xdpml_\\w+) ").matcher(exposition);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The metrics docs/metrics.md's tables name (the first column of each row). */
    static java.util.Set<String> documented() throws IOException {
        java.util.Set<String> names = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `(xdpml_\\w+)` \\|").matcher(Files.readString(Path.of("docs/metrics.md")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** GET from inside the rig's namespace (where the agent and Prometheus listen). */
    static String get(AgentRig rig, String url) throws IOException {
        try {
            return rig.ns.run(() -> {
                HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
                c.setConnectTimeout(2000);
                c.setReadTimeout(10_000);
                c.setRequestProperty("Connection", "close");
                try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
                    String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    if (c.getResponseCode() >= 400) {
                        throw new IOException("GET " + url + ": " + c.getResponseCode() + " " + body);
                    }
                    return body;
                } finally {
                    c.disconnect();
                }
            });
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }
}
