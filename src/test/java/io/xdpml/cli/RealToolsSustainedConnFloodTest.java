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
 * An HTTP flood below {@code connflood}'s window floors (100 new connections at 50/s within the
 * agent's 2 s window), live, against {@code xdpml run} with the example configuration as shipped
 * (but for its interface and output file) and the sustained rule turned on ({@code --set
 * connflood.sustainedConnections=300}; off by default): {@code curl --rate 20/s} from 10.81.0.1 opening a new
 * connection with a GET for each of 600 URLs ({@code python3 -m http.server} answers HTTP/1.0 and
 * closes each), 40 in a 2 s window, for 30 s; a web client (10.81.0.3, a new connection and a GET
 * every 0.25 s, some 4/s) beside it. What reaches the victim's stack is counted by a packet socket
 * on its interface (it sees what XDP passed).
 *
 * <p>Shown: connflood's sustained rule (300 new completed connections within 60 s) names curl's
 * address some 15 s in, and it is blocked (listed by {@code xdpml blocks list}); its SYNs at the
 * victim stop within the horizon while curl keeps trying; the web client is answered and not
 * blocked. With the rule off (as by default, the revert check) nothing is blocked.
 */
class RealToolsSustainedConnFloodTest {
    static final String VICTIM = "10.81.0.2";
    static final String CURL = "10.81.0.1";
    static final String WEB = "10.81.0.3";

    @Test
    void curlAtTwentyConnectionsASecondIsBlockedWithinTheHorizonAndAWebClientIsNot() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("curl", "python3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-sustained-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-sustained");
        Path www = Files.createTempDirectory("xdpml-sustained-www");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-ssv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-sso");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rss1", VICTIM, outside, "rss0", List.of(CURL, WEB));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rss1", dir));
            Files.createDirectories(www);
            Files.writeString(www.resolve("index.html"), "hello\n");
            Files.writeString(dir.resolve("web.py"), RealToolsConnFloodTest.WEB_CLIENT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            // the sustained rule is off by default: turned on at the floor the docs suggest, as an operator would
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rss1", out, err, "run", "--config", config.toString(),
                    "--set", "connflood.sustainedConnections=300", "--duration", "36", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rss1", null);
            Process http = RealTools.start(victim, dir.resolve("http-server.txt"), "python3", "-m", "http.server", "80", "--bind", VICTIM,
                    "--directory", www.toString());
            Thread.sleep(1000);
            Process web = RealTools.start(outside, dir.resolve("web.txt"), "python3", dir.resolve("web.py").toString(), VICTIM, WEB, "32");
            Thread.sleep(500);
            // 600 URLs at 20 a second, each a new connection (HTTP/1.0: the server closes it); once blocked each attempt
            // times out after 0.3 s and curl goes on to the next; stopped after 30 s whatever is left
            long curlStart = System.nanoTime();
            Process curl = RealTools.start(outside, dir.resolve("curl.txt"), "timeout", "30", "stdbuf", "-oL", "curl", "-s", "-o", "/dev/null", "-w",
                    "%{http_code}\\n", "--rate", "20/s", "--connect-timeout", "0.3", "-m", "2", "--interface", CURL,
                    "http://" + VICTIM + "/?[1-600]");
            assertThat(curl.waitFor(40, TimeUnit.SECONDS)).as("curl ends").isTrue();
            long curlEnd = System.nanoTime();
            String listed = RealTools.blocksList(pins);
            assertThat(web.waitFor(30, TimeUnit.SECONDS)).as("web client ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            http.destroy();
            tap.stop();
            String text = out.toString();
            List<String> codes = Files.readAllLines(dir.resolve("curl.txt"));
            long answered = codes.stream().filter("200"::equals).count();
            String webOut = Files.readString(dir.resolve("web.txt"));
            List<Long> syns = tap.synsFrom(CURL);
            long first = syns.isEmpty() ? 0 : syns.getFirst();
            long last = syns.isEmpty() ? 0 : syns.getLast();
            long firstTen = syns.stream().filter(t -> t < first + 10_000_000_000L).count();
            long maxTwo = 0;
            for (int i = 0, j = 0; i < syns.size(); i++) {
                while (syns.get(i) - syns.get(j) >= 2_000_000_000L) {
                    j++;
                }
                maxTwo = Math.max(maxTwo, i - j + 1);
            }
            long lastFive = syns.stream().filter(t -> t >= curlEnd - 5_000_000_000L).count();
            String summary = "curl " + answered + " answered of " + codes.size() + " tried in " + (curlEnd - curlStart) / 1_000_000 + " ms; its SYNs at"
                    + " the victim: " + syns.size() + " over " + (last - first) / 1_000_000 + " ms, " + firstTen + " in the first 10 s, at most "
                    + maxTwo + " in 2 s, " + lastFive + " in curl's last 5 s; web client " + webOut.strip();
            Files.writeString(dir.resolve("run.txt"), text + "\n--- blocks\n" + listed + "\n--- " + summary + "\n");
            System.out.println("connflood sustained live: " + summary);

            // curl's rate: 10/s or more (the floor's 300 within 60 s is 5/s), and under the window's floors (100 within 2 s)
            assertThat(firstTen).as("curl's SYNs at the victim in its first 10 s").isGreaterThanOrEqualTo(100);
            assertThat(maxTwo).as("curl's SYNs at the victim in any 2 s").isLessThan(100);
            // detected by the sustained rule and blocked; the web client not
            assertThat(text).containsPattern("DETECTED .*connflood +" + Pattern.quote(CURL) + ".*sustained; at least 300 within 60 s")
                    .contains("BLOCKED " + CURL).doesNotContain("BLOCKED " + WEB);
            assertThat(listed).as("xdpml blocks list during the run").contains(CURL + "/32").doesNotContain(WEB);
            // within the horizon: its SYNs got through for less than 60 s, then stopped while curl kept trying
            assertThat(last - first).as("span of curl's SYNs that reached the victim").isLessThan(60_000_000_000L);
            assertThat(syns.size()).as("curl's SYNs that reached the victim").isLessThan(450);
            assertThat(lastFive).as("curl's SYNs at the victim in its last 5 s").isLessThanOrEqualTo(2);
            assertThat(codes.size() - answered).as("curl's attempts after the block").isGreaterThan(10);
            // the web client: answered (about 4 a second for 32 s), at most one lost on a loaded machine
            Matcher w = Pattern.compile("ok (\\d+) failed (\\d+)").matcher(webOut);
            assertThat(w.find()).as(webOut).isTrue();
            assertThat(Integer.parseInt(w.group(1))).as("web client's answered requests").isGreaterThanOrEqualTo(60);
            assertThat(Integer.parseInt(w.group(2))).as("web client's failed requests: %s", webOut).isLessThanOrEqualTo(1);
        } finally {
            Files.deleteIfExists(www.resolve("index.html"));
            Files.deleteIfExists(www);
            RealTools.keepOutputs(dir, "real-tools-sustained");
        }
    }
}
