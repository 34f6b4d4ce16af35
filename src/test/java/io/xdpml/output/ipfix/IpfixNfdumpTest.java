package io.xdpml.output.ipfix;

import static io.xdpml.testing.Requirements.require;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowRecord;
import io.xdpml.output.Endpoint;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exporter over UDP to a real collector: nfcapd (nfdump 1.7) receives, nfdump reads its file
 * back, and every flow must come out once with its packets and bytes per direction and its
 * times to the ms.
 */
class IpfixNfdumpTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap", "attack/cicddos2019-synflood.pcap",
        "benign/ndpi-tor.pcap", "tunnel/zeek-vlan-qinqinq.pcap"})
    void nfdumpReadsEveryFlowOnce(String capture) throws Exception {
        requireNfdump();
        everyFlowOnce(capture, "127.0.0.1");
    }

    /** The same to a collector on an IPv6 address (nfcapd -6), with IPv4 and IPv6 flows. */
    @Test
    void collectorOnIpv6() throws Exception {
        requireNfdump();
        require(NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
                .anyMatch(a -> a.isLoopbackAddress() && a instanceof Inet6Address), "IPv6 on the loopback (::1)");
        List<JsonNode> read = everyFlowOnce("benign/ndpi-tor.pcap", "::1");
        assertTrue(read.stream().allMatch(n -> "::1".equals(n.path("ip6_router").asText())), read.toString());
    }

    private List<JsonNode> everyFlowOnce(String capture, String collector) throws Exception {
        List<EndedFlow> flows = IpfixTestFlows.endedFlows(TestData.capture(capture));
        Exported e = export(flows, collector);
        List<String> expected = new ArrayList<>();
        for (EndedFlow f : flows) {
            FlowRecord r = f.view();
            expected.add(line(r.protocol(), r.sourceAddress(), r.sourcePort(), r.destinationAddress(), r.destinationPort(), r.vlan(),
                    Math.floorDiv(f.firstNanos(), 1_000_000L), Math.floorDiv(f.lastNanos(), 1_000_000L), r.packets(FlowLayout.FWD),
                    r.bytes(FlowLayout.FWD), r.packets(FlowLayout.BWD), r.bytes(FlowLayout.BWD),
                    r.protocol() == 6 ? flags(FlowLayout.tcpFlagsSeen(r.state())) : "-"));
        }
        List<String> got = e.nfdump().stream().map(IpfixNfdumpTest::line).toList();
        long v6 = flows.stream().filter(f -> f.view().ipVersion() == 6).count();
        long vlan = flows.stream().filter(f -> f.view().vlan() != 0).count();
        System.out.printf("%s: %d flows (%d IPv6, %d VLAN), %d packets; exported in %s; nfdump read %d flows%n", capture, flows.size(), v6,
                vlan, flows.stream().mapToLong(EndedFlow::packets).sum(), e.udp(), got.size());
        assertEquals(0, e.udp().errors(), "send errors");
        assertEquals(flows.size(), e.udp().records());
        assertSameFlows(expected, got);
        Map<String, Integer> reasons = new java.util.TreeMap<>();
        flows.forEach(f -> reasons.merge(IpfixEncoder.endReason(f.reason()) + " 1", 1, Integer::sum));
        assertEquals(reasons, e.endReasons(), "end reasons (idle 1, end of flow 3, forced end 4), source = initiator");
        assertTrue(e.log().contains("Flows: " + flows.size() + ",") && e.log().contains("Sequence Errors: 0,"), e.log());
        return e.nfdump();
    }

    /**
     * Active-timeout reports carry deltas: the records nfdump holds for one flow (same 5-tuple and
     * start) sum to the flow's totals at its last report, per direction.
     */
    @ParameterizedTest
    @ValueSource(strings = {"benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap"})
    void activeReportsSumToTheFlowTotals(String capture) throws Exception {
        requireNfdump();
        List<EndedFlow> reports = IpfixTestFlows.reports(TestData.capture(capture), 200_000_000L);
        Map<String, long[]> last = new HashMap<>();
        long active = 0;
        for (EndedFlow f : reports) {
            FlowRecord r = f.view();
            String id = line(r.protocol(), r.sourceAddress(), r.sourcePort(), r.destinationAddress(), r.destinationPort(), r.vlan(),
                    Math.floorDiv(f.firstNanos(), 1_000_000L), 0, 0, 0, 0, 0, "");
            last.put(id, new long[] {r.packets(FlowLayout.FWD), r.bytes(FlowLayout.FWD), r.packets(FlowLayout.BWD), r.bytes(FlowLayout.BWD)});
            active += f.ended() ? 0 : 1;
        }
        Exported e = export(reports, "127.0.0.1");
        Map<String, Integer> reasons = new TreeMap<>();
        reports.forEach(f -> reasons.merge(IpfixEncoder.endReason(f.reason()) + " 1", 1, Integer::sum));
        assertEquals(reasons, e.endReasons());
        System.out.println("  flowEndReason and biflowDirection as nfdump shows them: " + e.endReasons());
        Map<String, long[]> sums = new HashMap<>();
        for (JsonNode n : e.nfdump()) {
            String id = line(n.get("proto").asInt(), address(n, "src"), n.path("src_port").asInt(), address(n, "dst"),
                    n.path("dst_port").asInt(), n.path("src_vlan").asInt(), millis(n.get("first").asText()), 0, 0, 0, 0, 0, "");
            long[] s = sums.computeIfAbsent(id, k -> new long[4]);
            s[0] += n.get("in_packets").asLong();
            s[1] += n.get("in_bytes").asLong();
            s[2] += n.path("out_packets").asLong();
            s[3] += n.path("out_bytes").asLong();
        }
        System.out.printf("%s, active timeout 0.2 s: %d reports (%d active) of %d flows; nfdump read %d records, -a: %d%n", capture,
                reports.size(), active, last.size(), e.nfdump().size(), e.aggregated().size());
        assertTrue(active > 0, "no active reports");
        assertEquals(reports.size(), e.nfdump().size());
        assertEquals(last.keySet(), sums.keySet());
        for (var x : last.entrySet()) {
            assertEquals(Arrays.toString(x.getValue()), Arrays.toString(sums.get(x.getKey())), x.getKey());
        }
        // nfdump -a (aggregated by 5-tuple) adds the deltas up to the flows' totals by itself
        Map<String, long[]> byTuple = new HashMap<>();
        for (var x : last.entrySet()) {
            long[] t = byTuple.computeIfAbsent(x.getKey().substring(0, x.getKey().indexOf(" vlan ")), k -> new long[4]);
            for (int i = 0; i < 4; i++) {
                t[i] += x.getValue()[i];
            }
        }
        assertEquals(byTuple.size(), e.aggregated().size());
        for (JsonNode n : e.aggregated()) {
            String tuple = line(n.get("proto").asInt(), address(n, "src"), n.path("src_port").asInt(), address(n, "dst"),
                    n.path("dst_port").asInt(), 0, 0, 0, 0, 0, 0, 0, "");
            tuple = tuple.substring(0, tuple.indexOf(" vlan "));
            long[] got = {n.get("in_packets").asLong(), n.get("in_bytes").asLong(), n.path("out_packets").asLong(), n.path("out_bytes").asLong()};
            assertEquals(Arrays.toString(byTuple.get(tuple)), Arrays.toString(got), tuple);
        }
    }

    private static void requireNfdump() {
        require(Tool.installed("nfcapd", "-V") && Tool.installed("nfdump", "-V"), "nfcapd and nfdump (apt-get install nfdump)");
    }

    /** What was sent, what nfdump lists (-o json), the same aggregated by 5-tuple (-a), what nfcapd logged. */
    record Exported(IpfixExporter.Counters udp, List<JsonNode> nfdump, List<JsonNode> aggregated, Map<String, Integer> endReasons, String log) {}

    /** Sends the flows to a fresh nfcapd, stops it, and reads its files with nfdump -o json. */
    private Exported export(List<EndedFlow> flows, String host) throws Exception {
        Path flowDir = Files.createDirectories(dir.resolve("flows"));
        Nfcapd nfcapd = Nfcapd.start(flowDir, host);
        IpfixExporter.Counters counters;
        String log;
        Path file = dir.resolve("flows.ipfix"); // both transports at once: the file holds the same records
        try (IpfixExporter exporter = IpfixExporter.open(new Endpoint(host, nfcapd.port), file, Duration.ofMinutes(1), 7,
                IpfixExporter.captureTime())) {
            int n = 0;
            for (EndedFlow f : flows) {
                exporter.flow(f);
                if (++n % 1000 == 0) { // a collector's socket buffer is finite: let it read
                    exporter.flush();
                    Thread.sleep(5);
                }
            }
            exporter.close();
            counters = exporter.udp();
            assertEquals(flows.size(), exporter.file().records());
            assertEquals(0, exporter.file().errors());
            List<IpfixReader.Message> inFile = new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file)));
            assertEquals(flows.size(), inFile.stream().mapToInt(m -> m.records().size()).sum());
        } finally {
            log = nfcapd.stop();
        }
        Tool.Result r = Tool.run(dir, List.of("nfdump", "-R", flowDir.toString(), "-o", "json"));
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err().strip());
        List<JsonNode> records = new ArrayList<>();
        JSON.readTree(r.out()).forEach(records::add);
        Tool.Result a = Tool.run(dir, List.of("nfdump", "-R", flowDir.toString(), "-a", "-o", "json"));
        assertEquals(0, a.exit(), a.err());
        List<JsonNode> aggregated = new ArrayList<>();
        JSON.readTree(a.out()).forEach(aggregated::add);
        // flowEndReason and biflowDirection: not in the JSON, but %end and %bfd (and -o raw) show them
        Tool.Result end = Tool.run(dir, List.of("nfdump", "-q", "-R", flowDir.toString(), "-o", "fmt:%end %bfd"));
        assertEquals(0, end.exit(), end.err());
        Map<String, Integer> reasons = new TreeMap<>();
        for (String l : end.out().split("\n")) {
            if (!l.isBlank()) {
                reasons.merge(l.strip().replaceAll("\\s+", " "), 1, Integer::sum);
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return new Exported(counters, records, aggregated, reasons, log);
    }

    private static void assertSameFlows(List<String> expected, List<String> got) {
        List<String> e = new ArrayList<>(expected);
        List<String> g = new ArrayList<>(got);
        e.sort(null);
        g.sort(null);
        if (!e.equals(g)) {
            List<String> missing = new ArrayList<>(e);
            g.forEach(missing::remove);
            List<String> extra = new ArrayList<>(g);
            e.forEach(extra::remove);
            throw new AssertionError(missing.size() + " flows not read back, e.g. " + missing.stream().limit(5).toList() + "; "
                    + extra.size() + " unexpected, e.g. " + extra.stream().limit(5).toList());
        }
    }

    private static String line(JsonNode n) {
        return line(n.get("proto").asInt(), address(n, "src"), n.path("src_port").asInt(), address(n, "dst"), n.path("dst_port").asInt(),
                n.path("src_vlan").asInt(), millis(n.get("first").asText()), millis(n.get("last").asText()), n.get("in_packets").asLong(),
                n.get("in_bytes").asLong(), n.path("out_packets").asLong(), n.path("out_bytes").asLong(),
                n.has("tcp_flags") && n.get("proto").asInt() == 6 ? n.get("tcp_flags").asText() : "-");
    }

    private static String line(int proto, InetAddress src, int sport, InetAddress dst, int dport, int vlan, long first, long last, long inP,
            long inB, long outP, long outB, String flags) {
        return proto + " " + src.getHostAddress() + ":" + sport + " > " + dst.getHostAddress() + ":" + dport + " vlan " + vlan + " "
                + first + ".." + last + " in " + inP + "/" + inB + " out " + outP + "/" + outB + " " + flags;
    }

    private static InetAddress address(JsonNode n, String side) {
        JsonNode a = n.has(side + "4_addr") ? n.get(side + "4_addr") : n.get(side + "6_addr");
        try {
            return InetAddress.getByName(a.asText()); // a literal: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** nfdump's local time (TZ=UTC) with ms. */
    private static long millis(String text) {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /** nfdump's flag string: CEUAPRSF, '.' where unset. */
    private static String flags(int bits) {
        String names = "CEUAPRSF";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            b.append((bits & (0x80 >> i)) != 0 ? names.charAt(i) : '.');
        }
        return b.toString();
    }

    /** nfcapd in the foreground on 127.0.0.1 at a free port, writing into one directory. */
    static final class Nfcapd {
        final Process process;
        final int port;
        final Path log;

        private Nfcapd(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static Nfcapd start(Path flowDir, String host) throws IOException, InterruptedException {
            for (int attempt = 1; ; attempt++) {
                try {
                    return startOnce(flowDir, host);
                } catch (PortTaken e) {
                    if (attempt == 3) {
                        throw new IllegalStateException(e.getMessage());
                    }
                }
            }
        }

        /** nfcapd could not bind the port chosen for it: another socket took it after it was found free. */
        private static final class PortTaken extends Exception {
            PortTaken(String message) {
                super(message);
            }
        }

        private static Nfcapd startOnce(Path flowDir, String host) throws IOException, InterruptedException, PortTaken {
            int port;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(host, 0))) {
                port = s.getLocalPort();
            }
            Path log = flowDir.resolveSibling("nfcapd.log");
            List<String> cmd = new ArrayList<>(List.of("nfcapd", "-w", flowDir.toString(), "-b", host, "-p", String.valueOf(port), "-t", "3600",
                    "-B", "4194304"));
            if (host.contains(":")) {
                cmd.add("-6");
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // listening once the kernel lists a UDP socket on the port; read from /proc, not by binding the port, which
            // would race nfcapd's own bind (and made it fail with "Address already in use")
            while (!udpPortBound(port)) {
                if (!p.isAlive()) {
                    String text = Files.readString(log);
                    if (text.contains("Address already in use")) {
                        throw new PortTaken("nfcapd could not bind port " + port + ": " + text);
                    }
                    throw new IllegalStateException("nfcapd exited: " + text);
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("nfcapd did not listen on " + port + ": " + Files.readString(log));
                }
                Thread.sleep(50);
            }
            return new Nfcapd(p, port, log);
        }

        /** Whether a UDP socket (IPv4 or IPv6) is bound to {@code port}: /proc/net/udp{,6}, local_address ADDR:PORT in hex. */
        private static boolean udpPortBound(int port) throws IOException {
            String hexPort = String.format(java.util.Locale.ROOT, ":%04X", port);
            for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
                Path t = Path.of(table);
                if (!Files.exists(t)) {
                    continue;
                }
                for (String line : Files.readAllLines(t)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 1 && f[1].endsWith(hexPort)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** SIGTERM: nfcapd writes and closes its file, then exits; returns what it logged. */
        String stop() throws IOException, InterruptedException {
            Thread.sleep(500); // what was sent is read before the signal
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("nfcapd did not stop: " + Files.readString(log));
            }
            String text = Files.readString(log);
            Files.delete(log);
            return text;
        }
    }
}
