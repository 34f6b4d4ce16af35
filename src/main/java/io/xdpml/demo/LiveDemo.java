package io.xdpml.demo;

import io.xdpml.agent.Agent;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.demo.KindTally.Series;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.Measure;
import io.xdpml.gen.FrameSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TestRunSink;
import io.xdpml.gen.TrafficKind;
import io.xdpml.gen.XskSink;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.processor.PacketView;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.xsk.XskMetadata;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The demo on the real kernel: a namespace of its own with a veth pair ({@code xdpml-gen} sends,
 * {@code xdpml-victim} receives, with the victim's address and MAC), and on the victim's end the
 * agent ({@link Agent}) with the demo's configuration ({@link DemoConfig}): one composed XDP
 * program (parse, blocks, firewall, flows, the shipped tree, sampling of every packet to the
 * mirror ring), the detectors in Java, blocks and firewall measures from their detections. The mix
 * is sent from another thread at the asked rate; a packet socket on the victim's interface
 * ({@link VictimTap}) counts what reached the victim, kind by kind. Closing the agent detaches the
 * program and removes its pins; closing the namespace removes the interfaces.
 */
public final class LiveDemo {
    static final String GEN = "xdpml-gen";
    static final String VICTIM = "xdpml-victim";

    private LiveDemo() {}

    /** Runs the story; returns whether it held. Needs root and BPF. */
    public static boolean run(PrintWriter out, DemoOptions o) throws Exception {
        ScenarioSettings settings = ScenarioSettings.defaults();
        SourceKinds kinds = new SourceKinds(settings);
        KindTally tally = new KindTally(o.seconds());
        DemoReport report = new DemoReport(out, kinds, settings, tally);
        Path dir = Files.createTempDirectory("xdpml-demo");
        dir.toFile().deleteOnExit(); // if the demo is interrupted (its files are registered after it, so they go first)
        dir.resolve(DemoConfig.FILE).toFile().deleteOnExit();
        dir.resolve(DemoConfig.MODEL).toFile().deleteOnExit();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-demo")) {
            ns.createVethPair(GEN, VICTIM);
            ns.exec("ip", "link", "set", VICTIM, "address", HexFormat.ofDelimiter(":").formatHex(settings.victimMac()));
            ns.exec("ip", "addr", "add", settings.victimText() + "/8", "dev", VICTIM);
            Path file = DemoConfig.write(dir, VICTIM, o, settings);
            AgentConfig config = DemoConfig.load(file);
            report.print(String.format("namespace %s: veth %s -> %s (victim %s); the mix (%s) at %d frames/s for %d s, sent by %s",
                    ns.name(), GEN, VICTIM, settings.victimText(), DemoOptions.shares(settings), o.ratePps(), o.seconds(),
                    o.way().equals("xsk") ? "AF_XDP TX" : "BPF_PROG_TEST_RUN live frames"));
            report.print("the agent's configuration, " + file + " (loaded as 'xdpml run --config' loads it):");
            report.print("");
            Files.readAllLines(file).forEach(l -> report.print("    " + l));
            Agent agent = ns.run(() -> new Agent(config, c -> c, true, Agent.Extras.none().withQuietStatus(true), out));
            try {
                return run(out, o, ns, agent, config, settings, kinds, tally, report);
            } finally {
                ns.run(() -> {
                    agent.close();
                    return null;
                });
            }
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
            out.println("removed the namespace, its veth pair, the agent's XDP program and pins, and " + dir);
            out.flush();
        }
    }

    private static boolean run(PrintWriter out, DemoOptions o, NetworkNamespace ns, Agent agent, AgentConfig config, ScenarioSettings settings,
            SourceKinds kinds, KindTally tally, DemoReport report) throws Exception {
        // the demo's clock starts when the sender is ready (its sink open), not while it warms up
        AtomicLong clock = new AtomicLong(Long.MAX_VALUE);
        int seconds = o.seconds();
        int attackVerdict = config.model().model().classes().indexOf("attack") + 1; // the metadata's verdict: class + 1
        agent.observe(new Agent.Observer() {
            @Override
            public void packet(String iface, PacketView view) {
                long since = System.nanoTime() - clock.get();
                if (since < 0) {
                    return;
                }
                int second = (int) Math.min(seconds - 1, since / 1_000_000_000L);
                int kind = kinds.kindOf(Frames.ipv4Source(view.memory(), view.offset(), view.length()));
                tally.add(Series.COPIES, kind, second);
                XskMetadata m = view.metadata();
                int verdict = m != null && m.present() ? m.verdict() : 0;
                if (verdict > 0) {
                    tally.add(Series.MODEL_CLASSIFIED, kind, second);
                    if (verdict == attackVerdict) {
                        tally.add(Series.MODEL_ATTACK, kind, second);
                    }
                }
            }

            @Override
            public void detected(Detection d) {
                report.detected(d);
            }

            @Override
            public void blocked(String source, String detector) {
                report.blocked(source, detector);
            }

            @Override
            public void measured(Measure measure, Detection detection) {
                report.measured(measure, detection);
            }
        });
        report.print("");
        CompletableFuture<Integer> agentExit = new CompletableFuture<>();
        CountDownLatch agentStarted = new CountDownLatch(1);
        Thread.ofPlatform().name("xdpml-demo-agent").start(() -> {
            try {
                agentExit.complete(ns.callOnThisThread(() -> {
                    agentStarted.countDown();
                    return agent.run(); // in the namespace: it watches its interface there
                }));
            } catch (Throwable t) {
                agentExit.completeExceptionally(t);
            } finally {
                agentStarted.countDown();
            }
        });
        agentStarted.await();
        Thread.sleep(200); // its start line, its ring reader running
        try (VictimTap tap = new VictimTap(ns, VICTIM, kinds, tally, clock)) {
            report.print(String.format("tap: a packet socket on %s (with a receive ring) counts what reached the victim, after XDP;"
                    + " the line per second below is its count", VICTIM));
            report.print("");
            AtomicBoolean stop = new AtomicBoolean();
            int genIndex = ns.run(() -> Interfaces.indexOf(GEN));
            ScenarioSender[] sender = new ScenarioSender[1];
            CompletableFuture<Long> sending = new CompletableFuture<>();
            CountDownLatch ready = new CountDownLatch(1);
            Thread.ofPlatform().name("xdpml-demo-gen").start(() -> {
                try {
                    sending.complete(ns.callOnThisThread(() -> {
                        // warm the frame builders up (JIT) on a copy of the mix, so the first second runs at the rate
                        io.xdpml.gen.Scenario warm = Scenarios.create("mix", settings.withSeed(settings.seed() + 1), o.ratePps());
                        for (int i = 0; i < 400_000; i++) {
                            warm.next();
                        }
                        try (FrameSink sink = o.way().equals("xsk") ? XskSink.open(genIndex) : TestRunSink.open(genIndex)) {
                            ScenarioSender s = new ScenarioSender(sink);
                            synchronized (sender) {
                                sender[0] = s;
                            }
                            clock.set(System.nanoTime());
                            ready.countDown();
                            return s.run(Scenarios.create("mix", settings, o.ratePps()), o.ratePps(), Long.MAX_VALUE, stop::get);
                        }
                    }));
                } catch (Throwable t) {
                    sending.completeExceptionally(t);
                } finally {
                    ready.countDown();
                }
            });
            ready.await();
            if (sending.isCompletedExceptionally()) {
                sending.join();
            }
            long start = clock.get();
            Map<TrafficKind, Long> before = new EnumMap<>(TrafficKind.class);
            for (int s = 0; s < seconds; s++) {
                report.now(s);
                long wait = start + (s + 1) * 1_000_000_000L - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (sending.isCompletedExceptionally()) {
                    sending.join();
                }
                if (agentExit.isDone()) {
                    throw new IllegalStateException("the agent stopped: " + agentExit.get());
                }
                if (s == seconds - 1) {
                    stop.set(true);
                    sending.join();
                }
                Map<TrafficKind, Long> now = sender[0].sentByKind();
                for (TrafficKind k : TrafficKind.values()) {
                    tally.add(Series.SENT, k.ordinal(), s, now.getOrDefault(k, 0L) - before.getOrDefault(k, 0L));
                }
                before = now;
                if (s < seconds - 1) {
                    Thread.sleep(100); // what is on its way
                    report.second(s);
                }
            }
            Thread.sleep(400); // the last frames in flight, their copies
            report.second(seconds - 1);
            agent.requestStop();
            agentExit.get();
            List<String> notes = new ArrayList<>();
            tap.close();
            if (tap.drops() > 0) {
                notes.add("the tap's socket dropped " + tap.drops() + " frames (its buffer full): 'reached' is low by up to that many");
            }
            ProcessorStats st = agent.processors().getFirst().stats();
            notes.add(String.format("%d copies reached Java, %d were lost on the way (mirror ring full); a lost copy is no packet lost:"
                    + " 'reached' is the tap's count", st.received(), st.deliveryLost()));
            Map<TrafficKind, Long> sent = sender[0].sentByKind();
            return report.summary(sent, seconds, notes);
        }
    }
}
