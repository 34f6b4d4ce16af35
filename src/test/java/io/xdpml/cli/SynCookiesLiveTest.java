package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.testing.TestData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SYN cookies from XDP, live: {@code xdpml run --config} on a victim whose firewall lets 100 SYNs a
 * second through ({@code syn-flood 100/s}, strict conntrack), while hping3 sends a spoofed SYN flood
 * of ~10,000 a second to its listening port. A real client connects 20 times during the flood and
 * talks over each connection (1.2 s to connect, so a SYN the firewall drops is a failure). With {@code syn-cookies on} every connection is made at once (the
 * client's SYN, over the limit like the flood's, is answered from XDP with the host's cookie, its ACK
 * passes strict conntrack, the host's TCP accepts the cookie); with it off, the same firewall drops
 * nearly every client SYN and the connections wait for retransmissions or fail. The flood's SYNs at
 * the host stay at the limit either way.
 */
class SynCookiesLiveTest {
    static final String VICTIM = "10.69.0.2";
    static final String CLIENT = "10.69.0.3";
    static final int PORT = 8080;
    static final int ATTEMPTS = 20;

    record Outcome(List<Long> connectMillis, int failed, String agentOut) {}

    /** The firewall of the first test: SYNs of all sources limited to 100 a second. */
    static String staticLimit(boolean cookies) {
        return """
                interfaces: [rsc1]
                firewall:
                  rules: |
                    conntrack on strict
                    syn-flood 100/s burst 100
                    syn-cookies %s
                flows: {enabled: false}
                model: {enabled: false}
                sampling: {enabled: false}
                detectors: {enabled: none}
                """.formatted(cookies ? "on" : "off");
    }

    @Test
    void aSpoofedSynFloodOverTheLimitDoesNotStopRealClientsWithCookies() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3");
        Outcome on = run("on", staticLimit(true), 8);
        Outcome off = run("off", staticLimit(false), 32);
        System.out.printf("syn-cookies on: %d of %d connected, %d failed, connect ms %s%n", on.connectMillis().size(), ATTEMPTS,
                on.failed(), on.connectMillis());
        System.out.printf("syn-cookies off: %d of %d connected, %d failed, connect ms %s%n", off.connectMillis().size(), ATTEMPTS,
                off.failed(), off.connectMillis());
        assertThat(on.failed()).as("connections that failed with cookies").isZero();
        assertThat(on.connectMillis()).as("every connection at once (no SYN retransmitted: 1 s)").allMatch(ms -> ms < 500);
        long slowOff = off.connectMillis().stream().filter(ms -> ms >= 900).count() + off.failed();
        assertThat(slowOff).as("without cookies, connections that waited for a retransmission or failed (of %d)", ATTEMPTS)
                .isGreaterThanOrEqualTo(ATTEMPTS * 3 / 4);
    }

    /**
     * The agent's own loop: no static limit; synflood (every packet to Java) detects the spoofed flood
     * and puts a syn-limit measure of 100/s on the victim's port, over which the firewall answers with
     * cookies. The client connects at once before the detection (no limit yet) and after it (answered).
     */
    @Test
    void theMeasureADetectionPutsOnTheVictimsPortAnswersWithCookies() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3");
        Outcome o = run("measure", """
                interfaces: [rsc1]
                firewall:
                  rules: |
                    syn-cookies on
                flows: {enabled: false}
                model: {enabled: false}
                sampling: {every: 1}
                detectors: {enabled: [synflood], window: 1s}
                mitigation: {measures: true, measure-time: 60s, syn-limit: 100/s, bare-syn-drop: false}
                """, 8); // hping3's SYNs carry no options: a bare-syn-drop would take them all before the syn-limit's cookies
        System.out.printf("measure and cookies: %d of %d connected, %d failed, connect ms %s%n", o.connectMillis().size(), ATTEMPTS,
                o.failed(), o.connectMillis());
        assertThat(o.agentOut()).as(o.agentOut()).containsPattern("DETECTED .*synflood")
                .contains("MEASURE syn-limit tcp->" + VICTIM + ":" + PORT + " 100/s");
        assertThat(o.failed()).as("connections that failed").isZero();
        assertThat(o.connectMillis()).as("every connection at once").allMatch(ms -> ms < 500);
    }

    private Outcome run(String label, String yaml, int seconds) throws Exception {
        Path dir = Files.createTempDirectory("xdpml-cookies");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-cvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-cout")) {
            RealTools.link(victim, "rsc1", VICTIM, outside, "rsc0", List.of(CLIENT));
            victim.exec("sysctl", "-q", "-w", "net.ipv4.tcp_syncookies=2");
            victim.exec("sysctl", "-q", "-w", "net.ipv4.tcp_max_syn_backlog=128");
            // the client's end receives what XDP sends back (XDP_TX) only with NAPI on: an XDP program of its own
            BpfObject pass = outside.run(() -> {
                BpfObject o = BpfObject.openResource("/bpf/xdp_parse.bpf.o");
                o.load();
                return o;
            });
            XdpAttachment passAtt = outside.run(() -> XdpAttachment.attach(pass.program("xdpml_parse"), Interfaces.indexOf("rsc0"), XdpMode.NATIVE));
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, yaml);
            // a server that answers each line
            ServerSocket server = victim.run(() -> {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getByName(VICTIM), PORT), 4096);
                return s;
            });
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket c = server.accept();
                        Thread.ofPlatform().daemon().start(() -> echo(c));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> agent = RealTools.startAgent(victim, "rsc1", out, err, "run", "--config", config.toString(),
                    "--duration", Integer.toString(seconds));
            Process flood = RealTools.start(outside, dir.resolve("hping3.txt"), "timeout", "-s", "INT", "40", "hping3", "-q", "-S",
                    "--rand-source", "-p", Integer.toString(PORT), "-i", "u50", VICTIM);
            Thread.sleep(1500);
            List<Long> millis = new ArrayList<>();
            int failed = 0;
            for (int i = 0; i < ATTEMPTS; i++) {
                long t0 = System.nanoTime();
                boolean ok = outside.run(() -> {
                    try (Socket s = new Socket()) {
                        s.bind(new InetSocketAddress(InetAddress.getByName(CLIENT), 0));
                        s.connect(new InetSocketAddress(InetAddress.getByName(VICTIM), PORT), 1200);
                        s.setSoTimeout(3000);
                        PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.US_ASCII);
                        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                        w.println("hello " + s.getLocalPort());
                        return ("hello " + s.getLocalPort()).equals(r.readLine());
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (ok) {
                    millis.add(ms);
                } else {
                    failed++;
                }
                Thread.sleep(100);
            }
            assertThat(flood.isAlive()).as("the flood lasted while the client connected").isTrue();
            flood.destroy();
            assertThat(flood.waitFor(10, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
            assertThat(agent.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            server.close();
            acceptor.join(2000);
            passAtt.close();
            pass.close();
            String text = out.toString();
            Files.writeString(Path.of("target", "syn-cookies-" + label + "-run.txt"), text);
            return new Outcome(millis, failed, text);
        } finally {
            RealTools.keepOutputs(dir, "syn-cookies-" + label);
        }
    }

    private static void echo(Socket c) {
        try (c; BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII));
             PrintWriter w = new PrintWriter(c.getOutputStream(), true, StandardCharsets.US_ASCII)) {
            String line;
            while ((line = r.readLine()) != null) {
                w.println(line);
            }
        } catch (Exception e) {
            // the client went away
        }
    }
}
