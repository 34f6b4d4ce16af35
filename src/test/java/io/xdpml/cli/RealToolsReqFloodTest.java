package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An HTTP request flood over kept-alive connections, live, against {@code xdpml run} with the
 * example configuration ({@code config/xdpml.example.yaml} as shipped, but for its interface and
 * output file): a victim (10.73.0.2) serving HTTP/1.1 with keep-alive ({@link #SERVER}, 20 ms a
 * request), ApacheBench from an outside namespace ({@code ab -k -c 16}: about 220 requests a second
 * over 16 connections it keeps open, so that {@code connflood}, which counts new connections, sees
 * 16), and a web client (10.73.0.3: a new connection and a GET every 0.25 s). The server counts what
 * reaches it, per client and second.
 *
 * <p>Shown: reqflood names the flooder within seconds and it is blocked (listed by {@code xdpml
 * blocks list}); the requests that reach the server from it fall to zero while ab keeps going; the
 * web client's requests are answered, and it is not blocked. Without reqflood in the example's list
 * no detector blocks the flood (the revert check: the server counted its requests to the end).
 */
class RealToolsReqFloodTest {
    static final String VICTIM = "10.73.0.2";
    static final String FLOODER = "10.73.0.1";
    static final String WEB = "10.73.0.3";

    /**
     * HTTP/1.1 with keep-alive, answering each GET after {@code delay} seconds, saying {@code Connection: keep-alive}
     * when asked (ApacheBench's HTTP/1.0 keep-alive waits forever on a server that keeps the connection without saying
     * so); prints each client's requests per second of its clock when it ends (SIGTERM).
     */
    static final String SERVER = """
            import collections, signal, sys, threading, time
            from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
            addr, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
            counts = collections.Counter()
            lock = threading.Lock()
            class Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    with lock:
                        counts[(self.client_address[0], int(time.time()))] += 1
                    time.sleep(delay)
                    body = b"hello\\n"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    if self.headers.get("Connection", "").lower() == "keep-alive":
                        self.send_header("Connection", "keep-alive")
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            class Server(ThreadingHTTPServer):
                daemon_threads = True
                def handle_error(self, request, address):
                    pass
            def stop(*args):
                with lock:
                    for (client, second), n in sorted(counts.items()):
                        print(client, second, n)
                sys.stdout.flush()
                sys.exit(0)
            signal.signal(signal.SIGTERM, stop)
            Server((addr, port), Handler).serve_forever()
            """;

    @Test
    void aKeepAliveFloodFromOneSourceIsBlockedWhileAWebClientGoesOn() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("ab", "python3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-reqflood-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-reqflood");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-rqv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-rqo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rrq1", VICTIM, outside, "rrq0", List.of(FLOODER, WEB));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rrq1", dir));
            Files.writeString(dir.resolve("server.py"), SERVER);
            Files.writeString(dir.resolve("web.py"), RealToolsConnFloodTest.WEB_CLIENT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rrq1", out, err, "run", "--config", config.toString(),
                    "--duration", "20", "--pin-dir", pins.toString(), "--quiet-status");
            Process http = RealTools.start(victim, dir.resolve("server.txt"), "python3", dir.resolve("server.py").toString(), VICTIM, "80", "0.02");
            Thread.sleep(1000);
            Process web = RealTools.start(outside, dir.resolve("web.txt"), "python3", dir.resolve("web.py").toString(), VICTIM, WEB, "15");
            Thread.sleep(1000);
            long floodStart = System.currentTimeMillis() / 1000;
            // -s 2: a request unanswered for 2 s ends ab (what the block does)
            Process flood = RealTools.start(outside, dir.resolve("ab.txt"), "ab", "-k", "-c", "16", "-t", "12", "-n", "1000000", "-s", "2",
                    "-B", FLOODER, "http://" + VICTIM + "/");
            long t0 = System.nanoTime();
            while (!out.toString().contains("BLOCKED " + FLOODER) && System.nanoTime() - t0 < 12_000_000_000L) {
                Thread.sleep(20);
            }
            double blockedAfter = (System.nanoTime() - t0) / 1e9;
            String listed = RealTools.blocksList(pins);
            Thread.sleep(4000); // ab's connections hang on the block; it ends at its 2 s timeout
            long checkedTo = System.currentTimeMillis() / 1000;
            assertThat(flood.waitFor(20, TimeUnit.SECONDS)).as("ab ends").isTrue();
            assertThat(web.waitFor(30, TimeUnit.SECONDS)).as("web client ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            http.destroy(); // SIGTERM: the server prints its counts
            assertThat(http.waitFor(10, TimeUnit.SECONDS)).as("server ends").isTrue();
            String agent = out.toString();
            String served = Files.readString(dir.resolve("server.txt"));
            String abOut = Files.readString(dir.resolve("ab.txt"));
            String webOut = Files.readString(dir.resolve("web.txt"));
            long[] perSecond = new long[64];
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(FLOODER) + " (\\d+) (\\d+)$").matcher(served);
            while (m.find()) {
                int at = (int) (Long.parseLong(m.group(1)) - floodStart);
                if (at >= 0 && at < perSecond.length) {
                    perSecond[at] += Long.parseLong(m.group(2));
                }
            }
            long blockedSecond = floodStart + (long) Math.ceil(blockedAfter) + 1; // a second after the block's
            long after = 0;
            for (long s = blockedSecond; s <= checkedTo; s++) {
                after += perSecond[(int) (s - floodStart)];
            }
            String summary = String.format("blocked %.1f s after ab began; the flooder's requests at the server per second from its start %s;"
                    + " %d from %d s after the block to the check; web client %s", blockedAfter,
                    java.util.Arrays.toString(java.util.Arrays.copyOf(perSecond, 16)), after, blockedSecond - floodStart, webOut.strip());
            Files.writeString(dir.resolve("run.txt"), agent + "\n--- blocks\n" + listed + "\n--- " + summary + "\n--- ab\n" + abOut);
            System.out.println("reqflood live: " + summary);

            assertThat(agent).containsPattern("DETECTED .*reqflood +" + Pattern.quote(FLOODER) + " .*requests \\(the client's data segments\\) to "
                    + Pattern.quote(VICTIM) + ":80").contains("BLOCKED " + FLOODER).doesNotContain("BLOCKED " + WEB);
            assertThat(listed).as("xdpml blocks list during the run").contains(FLOODER + "/32").doesNotContain(WEB);
            // three censuses a second apart at 100/s or more, and the agent's next tick
            assertThat(blockedAfter).as("blocked after ab began").isBetween(2.5, 7.0);
            assertThat(perSecond[1] + perSecond[2]).as("the flood's requests at the server in its 2nd and 3rd seconds (~220/s)").isGreaterThanOrEqualTo(200);
            assertThat(after).as("the flood's requests at the server from a second after its block").isZero();
            Matcher w = Pattern.compile("ok (\\d+) failed (\\d+)").matcher(webOut);
            assertThat(w.find()).as(webOut).isTrue();
            assertThat(Integer.parseInt(w.group(1))).as("web client's answered requests").isGreaterThanOrEqualTo(40);
            assertThat(Integer.parseInt(w.group(2))).as("web client's failed requests: %s", webOut).isLessThanOrEqualTo(1);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-reqflood");
        }
    }
}
