package io.xdpml.gen;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.cli.Main;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskProgram;
import io.xdpml.xsk.XskSocket;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Both ways of sending on a real veth pair in a namespace the test creates, the peer running the
 * XDP parser (which counts every frame it sees, by protocol): every frame sent arrives, and the
 * peer's TCP/UDP/ICMP counts equal those of the same seeded frames counted in Java; the same
 * through {@code xdpml gen --scenario} for both ways, by count and by duration; and the mix sent
 * by AF_XDP TX and received by AF_XDP on the peer is what the detectors need to name each attack.
 */
class GenVethTest {
    static final String A = "xdpmlg0";
    static final String B = "xdpmlg1";
    /** Paced well below what the peer's 256-frame XDP ring drains, in bursts of 64. */
    static final long RATE = 20_000;

    /** Frames per IP protocol (6, 17, 1) and in total, of the first {@code n} frames of a scenario. */
    static Map<ParseCounter, Long> expected(String scenario, ScenarioSettings settings, long n) {
        Scenario s = Scenarios.create(scenario, settings);
        Map<ParseCounter, Long> m = new EnumMap<>(ParseCounter.class);
        for (ParseCounter c : new ParseCounter[] {ParseCounter.PACKETS, ParseCounter.TCP, ParseCounter.UDP, ParseCounter.ICMP}) {
            m.put(c, 0L);
        }
        for (long i = 0; i < n; i++) {
            s.next();
            m.merge(ParseCounter.PACKETS, 1L, Long::sum);
            switch (s.frame().get(ValueLayout.JAVA_BYTE, 23)) { // the IPv4 protocol field
                case 6 -> m.merge(ParseCounter.TCP, 1L, Long::sum);
                case 17 -> m.merge(ParseCounter.UDP, 1L, Long::sum);
                case 1 -> m.merge(ParseCounter.ICMP, 1L, Long::sum);
                default -> throw new AssertionError("not TCP, UDP or ICMP");
            }
        }
        return m;
    }

    static Map<ParseCounter, Long> delta(ParseCounters before, ParseCounters after) {
        Map<ParseCounter, Long> m = new EnumMap<>(ParseCounter.class);
        for (ParseCounter c : new ParseCounter[] {ParseCounter.PACKETS, ParseCounter.TCP, ParseCounter.UDP, ParseCounter.ICMP}) {
            m.put(c, after.get(c) - before.get(c));
        }
        return m;
    }

    /** The parser's counters once they stop moving (the peer drains its ring in softirq). */
    static ParseCounters settled(ParserProgram parser) throws InterruptedException {
        ParseCounters last = parser.readCounters();
        for (int i = 0; i < 50; i++) {
            Thread.sleep(20);
            ParseCounters now = parser.readCounters();
            if (now.get(ParseCounter.PACKETS) == last.get(ParseCounter.PACKETS)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Test
    void bothWaysDeliverEveryFrameOfTheMixToThePeer() throws Exception {
        TestData.assumeBpf();
        ScenarioSettings settings = ScenarioSettings.defaults().withSeed(11);
        long frames = 20_000;
        Map<ParseCounter, Long> want = expected("mix", settings, frames);
        assertThat(want.get(ParseCounter.ICMP)).as("the mix has all three protocols").isPositive();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-gen")) {
            ns.createVethPair(A, B);
            try (ParserProgram parser = ParserProgram.load(4789, false, ParserProgram.XDP_DROP);
                 XdpAttachment att = ns.run(() -> XdpAttachment.attach(parser.program(), Interfaces.indexOf(B), XdpMode.NATIVE))) {
                for (String way : new String[] {"testrun", "xsk"}) {
                    ParseCounters before = settled(parser);
                    Map<TrafficKind, Long> sent = ns.run(() -> {
                        int ifindex = Interfaces.indexOf(A);
                        try (FrameSink sink = way.equals("xsk") ? XskSink.open(ifindex) : TestRunSink.open(ifindex)) {
                            if (sink instanceof XskSink x) {
                                assertThat(x.socket().zeroCopy()).as("veth: copy mode").isFalse();
                            }
                            ScenarioSender sender = new ScenarioSender(sink);
                            assertThat(sender.run(Scenarios.create("mix", settings), RATE, frames, () -> false)).isEqualTo(frames);
                            if (sink instanceof XskSink x) {
                                sink.flush();
                                assertThat(x.socket().statistics().txInvalidDescs()).isZero();
                            }
                            return sender.sentByKind();
                        }
                    });
                    // the default shares: benign 40, synflood 20, portscan 5, amplification 10, dnstunnel 5, spoofedsyn 20
                    assertThat(sent).as(way).containsEntry(TrafficKind.BENIGN, frames * 2 / 5).containsEntry(TrafficKind.SYNFLOOD, frames / 5)
                            .containsEntry(TrafficKind.PORTSCAN, frames / 20).containsEntry(TrafficKind.AMPLIFICATION, frames / 10)
                            .containsEntry(TrafficKind.DNSTUNNEL, frames / 20).containsEntry(TrafficKind.SPOOFEDSYN, frames / 5);
                    assertThat(delta(before, settled(parser))).as("%s: what the peer's XDP parser counted", way).isEqualTo(want);
                }
            }
        }
    }

    static String gen(NetworkNamespace ns, String... args) {
        return ns.run(() -> {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            assertThat(cl.execute(args)).as("stderr: %s", err).isZero();
            return out.toString();
        });
    }

    @Test
    void theCommandSendsByBothWaysByCountAndByDuration() throws Exception {
        TestData.assumeBpf();
        Pattern sentLine = Pattern.compile("sent (\\d+) frames of (\\w+) \\((.*)\\) out of " + A + " by (testrun|xsk)");
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-gen")) {
            ns.createVethPair(A, B);
            try (ParserProgram parser = ParserProgram.load(4789, false, ParserProgram.XDP_DROP);
                 XdpAttachment att = ns.run(() -> XdpAttachment.attach(parser.program(), Interfaces.indexOf(B), XdpMode.NATIVE))) {
                for (String way : new String[] {"testrun", "xsk"}) {
                    ParseCounters before = settled(parser);
                    String out = gen(ns, "gen", "--scenario", "synflood", "--iface", A, "--way", way, "--count", "5000", "--rate", "20000");
                    assertThat(out).contains("sent 5000 frames of synflood (synflood 5000) out of " + A + " by " + way);
                    Map<ParseCounter, Long> d = delta(before, settled(parser));
                    assertThat(d.get(ParseCounter.PACKETS)).as(way).isEqualTo(5000);
                    assertThat(d.get(ParseCounter.TCP)).as(way).isEqualTo(5000);

                    before = settled(parser);
                    out = gen(ns, "gen", "--scenario", "spoofedsyn", "--iface", A, "--way", way, "--count", "3000", "--rate", "20000");
                    assertThat(out).contains("sent 3000 frames of spoofedsyn (spoofedsyn 3000) out of " + A + " by " + way);
                    d = delta(before, settled(parser));
                    assertThat(d.get(ParseCounter.PACKETS)).as(way).isEqualTo(3000);
                    assertThat(d.get(ParseCounter.TCP)).as(way).isEqualTo(3000);

                    before = settled(parser);
                    out = gen(ns, "gen", "--scenario", "benign", "--iface", A, "--way", way, "--duration", "0.5", "--rate", "10000");
                    Matcher m = sentLine.matcher(out);
                    assertThat(m.find()).as(out).isTrue();
                    long n = Long.parseLong(m.group(1));
                    assertThat(n).as("half a second at 10,000/s").isBetween(1000L, 5001L);
                    assertThat(delta(before, settled(parser)).get(ParseCounter.PACKETS)).as(way).isEqualTo(n);
                }
                // the old way still works beside the new ones
                ParseCounters before = settled(parser);
                assertThat(gen(ns, "gen", "--iface", A, "--count", "100000", "--frame", "udp4")).contains("sent 100000 frames");
                assertThat(delta(before, settled(parser)).get(ParseCounter.UDP)).isEqualTo(100_000);
            }
        }
    }

    @Test
    void theMixSentByAfXdpAndReceivedByAfXdpShowsTheDetectorsEachAttack() throws Exception {
        TestData.assumeBpf();
        long frames = 9000;
        long rate = 3000; // 3 s, under the volumetric detector's 5000 packets/s
        DetectorSet detectors = new DetectorSet(Detectors.create("all"));
        ObservationBuilder builder = new ObservationBuilder(detectors.needsFlows());
        long[] received = new long[1];
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-gen")) {
            ns.createVethPair(A, B);
            // declared before the program: closed after it has detached
            try (XskSocket rx = ns.run(() -> XskSocket.open(Interfaces.indexOf(B), 0, XskConfig.receiveOnly()));
                 XskSink tx = ns.run(() -> XskSink.open(Interfaces.indexOf(A)));
                 XskProgram program = XskProgram.load()) {
                program.register(rx);
                ns.run(() -> program.attach(Interfaces.indexOf(B), XdpMode.NATIVE));
                ScenarioSender sender = new ScenarioSender(tx);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                // the socket is bound: it sends from any thread
                Thread sending = Thread.ofPlatform().name("xdpml-gen-sender").start(() -> {
                    try {
                        sender.run(Scenarios.create("mix", ScenarioSettings.defaults()), rate, frames, () -> false);
                        tx.flush();
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (received[0] < frames && System.nanoTime() < deadline && (sending.isAlive() || rx.rxPending() > 0)) {
                    rx.receive(f -> {
                        detectors.observe(builder.observe(f.umem(), f.offset(), f.length(), System.nanoTime()));
                        received[0]++;
                    }, 100);
                }
                sending.join();
                assertThat(failed.get()).isNull();
                assertThat(sender.sent()).isEqualTo(frames);
                assertThat(rx.statistics().rxDropped()).isZero();
            }
        }
        assertThat(received[0]).isEqualTo(frames);
        detectors.finish();
        Set<String> found = detectors.detections().stream().map(d -> d.detector() + " " + d.subject())
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(found).containsExactlyInAnyOrder("synflood 10.99.0.1", "portscan 10.77.0.7", "amplification 10.99.0.1",
                "dnstunnel 10.55.0.9");
    }
}
