package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.StatusReport;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client whose connection died unseen comes back from the same port, live, through {@code xdpml run} with the example
 * configuration (conntrack on): a victim (10.75.0.2) serving HTTP/1.1 (Python's threaded server, kept-alive connections); a
 * client (10.75.0.1, Python sockets) opens a connection from port 40123, gets an answer, then loses it without a FIN or RST
 * reaching the victim (what a NAT whose mapping expired, or a rebooted client,
 * leaves behind: its link down while it aborts the socket), and connects again from the same port. The victim's stack still holds the old connection and answers the
 * new SYN with a challenge ACK (RFC 5961); the client's RST to it closes the old one, and the SYN it sends again at once
 * (12 ms later here) opens the new one. Until 2026-12-07 the agent's conntrack, its entry still {@code established}, dropped every SYN of
 * the port ({@code drop_ct_invalid}) until {@code tcp-established} (2 h) expired: the client could not connect.
 */
class RealToolsPortReuseTest {
    static final String VICTIM = "10.75.0.2";
    static final String CLIENT = "10.75.0.1";

    /** The client: a request on a connection from PORT, the connection aborted unseen, then PORT again; prints what happened. */
    private static final String CLIENT_SCRIPT = """
            import socket, struct, subprocess, sys, time
            dst, src, port, link = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
            def request(s):
                s.sendall(b"GET / HTTP/1.1\\r\\nHost: v\\r\\n\\r\\n")
                data = b""
                while b"hello" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return data.split(b"\\r\\n", 1)[0].decode()
            def connect():
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((src, port))
                s.settimeout(10)
                s.connect((dst, 80))
                return s
            s = connect()
            print("first:", request(s), flush=True)
            subprocess.run(["ip", "link", "set", link, "down"], check=True)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # a RST, with the link down: the victim never hears of it
            time.sleep(0.5)
            subprocess.run(["ip", "link", "set", link, "up"], check=True)
            time.sleep(1)
            t = time.time()
            try:
                s = connect()
                print("again: connected in %.1f s: %s" % (time.time() - t, request(s)), flush=True)
                s.close()
            except OSError as e:
                print("again: failed after %.1f s: %r" % (time.time() - t, e), flush=True)
            """;

    @Test
    void aClientWhoseConnectionDiedUnseenConnectsAgainFromItsPort() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("python3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-portreuse-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-portreuse");
        Path www = Files.createTempDirectory("xdpml-portreuse-www");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-prv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-pro");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rpr1", VICTIM, outside, "rpr0", List.of(CLIENT));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rpr1", dir));
            Files.writeString(www.resolve("index.html"), "hello\n");
            Files.writeString(dir.resolve("client.py"), CLIENT_SCRIPT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rpr1", out, err, "run", "--config", config.toString(),
                    "--duration", "25", "--pin-dir", pins.toString(), "--quiet-status");
            // HTTP/1.1 keeps the connection open after its answer (the handler waits for the next request)
            Process http = RealTools.start(victim, dir.resolve("http-server.txt"), "python3", "-c",
                    "import http.server, functools; http.server.SimpleHTTPRequestHandler.protocol_version = 'HTTP/1.1'; "
                            + "http.server.ThreadingHTTPServer(('" + VICTIM + "', 80), functools.partial("
                            + "http.server.SimpleHTTPRequestHandler, directory='" + www + "')).serve_forever()");
            Thread.sleep(1000);
            RealTools.runToEnd(outside, dir.resolve("client.txt"), "python3", dir.resolve("client.py").toString(), VICTIM, CLIENT, "40123",
                    "rpr0");
            Map<String, Object> firewall = RealToolsSlowConnTest.stage(StatusReport.of("rpr1"), "firewall");
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            http.destroy();
            String client = Files.readString(dir.resolve("client.txt"));
            Files.writeString(dir.resolve("run.txt"), out + "\n--- firewall (xdpml status)\n" + firewall + "\n--- client\n" + client);
            System.out.println("port reuse live: " + client.strip().replace('\n', ';') + "; firewall " + firewall);

            assertThat(client).contains("first: HTTP/1.1 200 OK");
            // the SYN reaches the victim, whose challenge ACK the client resets; its SYN again opens the new connection: within
            // 5 s, not the 10 s timeout (with the change undone: failed after 10 s, drop_ct_invalid 7)
            assertThat(client).containsPattern("again: connected in [0-4]\\.\\d s: HTTP/1\\.1 200 OK");
            assertThat(firewall).as("the firewall stage (xdpml status)").containsEntry("dropped", 0L);
        } finally {
            Files.deleteIfExists(www.resolve("index.html"));
            Files.deleteIfExists(www);
            RealTools.keepOutputs(dir, "real-tools-portreuse");
        }
    }
}
