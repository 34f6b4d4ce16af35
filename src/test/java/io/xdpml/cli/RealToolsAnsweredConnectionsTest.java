package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.SamplingSection;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.JavaDataPlane;
import io.xdpml.dataplane.KernelDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stages;
import io.xdpml.flow.FlowConfig;
import io.xdpml.kernel.TestRun;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.xsk.CpuAffinity;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.model.data.LabelRules;
import io.xdpml.replay.CaptureReplay;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: a benign client that opens connections to many listening peers, answered by SYN-ACKs
 * (a peer-to-peer client probing its peers), is no port scan under the example's sampling (1 in 100
 * and flows' first packets), where the agent sees both directions (a gateway; here the replay of a
 * two-way capture). Real traffic, captured both ways: a client namespace opens 120 connections to
 * 120 listening (host, port) pairs (8 hosts of a server namespace, 15 ports each, a Python
 * listener answering each request), then a second source of the client namespace scans 300
 * closed ports of one of the hosts with nmap (SYN scan, answered by RSTs); dumpcap records the
 * client's interface. The capture goes through {@code xdpml replay}'s twin of the agent
 * ({@link CaptureReplay}) with config/xdpml.example.yaml as it ships. Since 2026-12-06 the first
 * packet of each direction of a flow is picked (the SYN-ACK too), so {@code portscan} sees the
 * answers and does not name the client; it still names the scanner. The kernel's program picks
 * the same packets on this capture (every answer the sample did not choose), as its twin does. Before, the client's SYN-ACKs
 * reached Java 1 in 100, its 120 answered probes read as unanswered and it was named and blocked.
 */
class RealToolsAnsweredConnectionsTest {
    private static final String CLIENT = "10.73.0.2";
    private static final String SCANNER = "10.73.0.5";
    private static final int HOSTS = 8;
    private static final int PAIRS = 120;

    private static final String SERVER_PY = """
            import selectors, socket
            sel = selectors.DefaultSelector()
            for p in range(20001, 20001 + %d):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('0.0.0.0', p))
                s.listen(64)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, True)
            print('ready', flush=True)
            while True:
                for k, _ in sel.select(1):
                    if k.data:
                        c, _ = k.fileobj.accept()
                        c.setblocking(False)
                        sel.register(c, selectors.EVENT_READ, False)
                    else:
                        c = k.fileobj
                        try:
                            d = c.recv(64)
                        except OSError:
                            d = b''
                        if d:
                            try:
                                c.send(b'ok\\n')
                            except OSError:
                                pass
                        else:
                            sel.unregister(c)
                            c.close()
            """.formatted(PAIRS);

    /** The client: a connection to each pair in turn, 5 ms apart, a request and its answer. */
    private static final String CLIENT_PY = """
            import socket, time
            ok = 0
            for i in range(%d):
                host = '10.73.0.%%d' %% (10 + i %% %d)
                s = socket.create_connection((host, 20001 + i), timeout=3, source_address=('%s', 0))
                s.sendall(b'hello\\n')
                if s.recv(16):
                    ok += 1
                s.close()
                time.sleep(0.005)
            print('answered', ok, flush=True)
            """.formatted(PAIRS, HOSTS, CLIENT);

    /**
     * The same capture through the kernel's composed program (BPF_PROG_TEST_RUN, its capture times)
     * and its Java twin, as the example samples (flows, 1 in 100 by packet, flows' first packets to the
     * mirror): every packet treated alike, and every SYN-ACK and RST that the sample did not choose
     * picked as the first packet of its direction.
     */
    private static void kernelPicksEveryAnswer(Path capture) throws Exception {
        Stages stages = Stages.none().withFlow(true).withSampling(Stages.Sampling.BY_PACKET, true);
        FlowConfig flows = FlowConfig.defaults().withHashSeed(0x13198a2e03707344L);
        DeliverySettings.Values delivery = new DeliverySettings.Values(100, 0, 0, true, SamplingSection.DEFAULT_FIRST_PACKETS);
        CpuAffinity.callPinned(0, () -> {
            try (KernelDataPlane kernel = new KernelDataPlane(stages, flows, PacketResult.XDP_PASS);
                 CaptureReader r = CaptureReader.open(capture)) {
                JavaDataPlane java = new JavaDataPlane(stages, flows, TestRun.maxTestRunFrame(), PacketResult.XDP_PASS);
                kernel.delivery(delivery);
                java.delivery(delivery);
                EthernetFramer framer = new EthernetFramer();
                long answers = 0;
                long answersPicked = 0;
                long unlike = 0;
                while (r.next()) {
                    int length = Math.min(framer.frame(r), TestRun.maxTestRunFrame());
                    if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                        continue;
                    }
                    MemorySegment f = framer.frameSegment();
                    PacketResult k = kernel.packet(f, length, r.timestampNanos());
                    PacketResult j = java.packet(f, length, r.timestampNanos());
                    unlike += k.sameAs(j) ? 0 : 1;
                    int flags = tcpFlags(f, length);
                    // a SYN-ACK, or a RST-ACK from a scanned port (a closed port's answer)
                    if ((flags == 0x12 || flags == 0x14 && tcpSourcePort(f) <= 300) && !k.sampled()) {
                        answers++;
                        answersPicked += k.firstPick() && k.delivered() ? 1 : 0;
                    }
                }
                System.out.printf("the capture in the kernel: %d SYN-ACKs and RSTs not sampled, %d picked as their direction's first%n",
                        answers, answersPicked);
                assertThat(unlike).as("packets the kernel and the twin treated differently").isZero();
                assertThat(answers).as("the answers: %d SYN-ACKs and 300 RSTs, less the few sampled", PAIRS).isGreaterThan(PAIRS + 250);
                assertThat(answersPicked).as("answers picked").isEqualTo(answers);
                return null;
            }
        });
    }

    /** The TCP source port of an Ethernet/IPv4/TCP frame ({@link #tcpFlags} not -1). */
    private static int tcpSourcePort(MemorySegment f) {
        int ihl = (f.get(ValueLayout.JAVA_BYTE, 14) & 0x0f) * 4;
        return (f.get(ValueLayout.JAVA_BYTE, 14 + ihl) & 0xff) << 8 | f.get(ValueLayout.JAVA_BYTE, 14 + ihl + 1) & 0xff;
    }

    /** The TCP flags of an Ethernet/IPv4/TCP frame, -1 for any other. */
    private static int tcpFlags(MemorySegment f, int length) {
        if (length < 34 || f.get(ValueLayout.JAVA_BYTE, 12) != 0x08 || f.get(ValueLayout.JAVA_BYTE, 13) != 0
                || f.get(ValueLayout.JAVA_BYTE, 23) != 6) {
            return -1;
        }
        int ihl = (f.get(ValueLayout.JAVA_BYTE, 14) & 0x0f) * 4;
        return length >= 14 + ihl + 14 ? f.get(ValueLayout.JAVA_BYTE, 14 + ihl + 13) & 0xff : -1;
    }

    @Test
    void aClientAnsweredByManyPeersIsNoPortScanUnderTheExampleSamplingButAClosedPortScanIs() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("nmap", "dumpcap", "python3");
        Path dir = Files.createTempDirectory("xdpml-answered");
        Path capture = dir.resolve("answered-and-scan.pcap");
        Process server = null;
        try (NetworkNamespace servers = NetworkNamespace.create("xdpml-ansv"); NetworkNamespace client = NetworkNamespace.create("xdpml-ancl")) {
            java.util.List<String> hosts = new java.util.ArrayList<>();
            for (int h = 0; h < HOSTS; h++) {
                hosts.add("10.73.0." + (10 + h));
            }
            RealTools.link(servers, "ans1", hosts.getFirst(), client, "ans0", List.of(CLIENT, SCANNER));
            for (String h : hosts.subList(1, hosts.size())) {
                servers.exec("ip", "addr", "add", h + "/24", "dev", "ans1");
            }
            Files.writeString(dir.resolve("server.py"), SERVER_PY);
            Files.writeString(dir.resolve("client.py"), CLIENT_PY);
            Path serverOut = dir.resolve("server.txt");
            server = RealTools.start(servers, serverOut, "python3", dir.resolve("server.py").toString());
            for (int i = 0; i < 100 && !(Files.exists(serverOut) && Files.readString(serverOut).contains("ready")); i++) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(serverOut)).as("the listeners").contains("ready");
            Process dump = RealTools.start(client, dir.resolve("dumpcap.txt"), "dumpcap", "-q", "-P", "-i", "ans0", "-a", "duration:12",
                    "-w", capture.toString());
            for (int i = 0; i < 100 && !Files.exists(capture); i++) {
                Thread.sleep(100);
            }
            Thread.sleep(1500);
            RealTools.runToEnd(client, dir.resolve("client.txt"), "python3", dir.resolve("client.py").toString());
            assertThat(Files.readString(dir.resolve("client.txt"))).as("the client's connections").contains("answered " + PAIRS);
            Thread.sleep(3000); // the next window, and the first packets' bucket refilled
            RealTools.runToEnd(client, dir.resolve("nmap.txt"), "nmap", "-n", "-Pn", "-sS", "-p", "1-300", "--max-retries", "0", "-T4",
                    "-S", SCANNER, "-e", "ans0", hosts.getFirst());
            assertThat(dump.waitFor(30, TimeUnit.SECONDS)).as("dumpcap ends").isTrue();
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try {
            assertThat(Files.size(capture)).as("the capture").isPositive();
            AgentConfig example = AgentConfigLoader.load(Path.of("config/xdpml.example.yaml"));
            Path labels = dir.resolve("labels.rules");
            Files.writeString(labels, "portscan host=" + SCANNER + "\ndefault benign\n");
            CaptureReplay.Outcome o = CaptureReplay.run(example, capture, LabelRules.read(labels));
            System.out.println("answered connections and a closed-port scan, the example's sampling: detections " + o.detections()
                    + ", blocked " + o.blocked());
            assertThat(o.detections()).as("the scan of closed ports").contains("portscan " + SCANNER);
            assertThat(o.detections()).as("the client answered by its %d peers", PAIRS).doesNotContain("portscan " + CLIENT);
            assertThat(o.blocked()).doesNotContain(CLIENT);
            kernelPicksEveryAnswer(capture);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-answered");
        }
    }
}
