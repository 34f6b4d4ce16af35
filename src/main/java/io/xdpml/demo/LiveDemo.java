package io.xdpml.demo;

import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.gen.FrameSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TestRunSink;
import io.xdpml.gen.XskSink;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.processor.Delivery;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorConfig;
import io.xdpml.processor.Verdict;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The demo on the real kernel: a namespace of its own with a veth pair ({@code xdpml-gen} sends,
 * {@code xdpml-victim} receives, with the victim's address and MAC), the processor on the victim's
 * end (mirror delivery: the stack keeps every packet passed), the detectors, and blocks in XDP for
 * the sources they name. The mix is sent from another thread at the asked rate. Closing the
 * namespace removes the interfaces; the processor's BPF link goes with its close (or the process).
 */
public final class LiveDemo {
    static final String GEN = "xdpml-gen";
    static final String VICTIM = "xdpml-victim";

    private LiveDemo() {}

    /** Runs the story; returns whether it held. Needs root and BPF. */
    public static boolean run(PrintWriter out, DemoOptions o) throws Exception {
        DemoParts parts = DemoParts.of(out, o);
        ScenarioSettings settings = parts.settings();
        SourceKinds kinds = parts.kinds();
        KindTally tally = parts.tally();
        DemoReport report = parts.report();
        DetectorSet set = parts.set();
        NewDetections news = parts.news();
        ObservationBuilder observations = parts.observations();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-demo")) {
            ns.createVethPair(GEN, VICTIM);
            ns.exec("ip", "link", "set", VICTIM, "address", HexFormat.ofDelimiter(":").formatHex(settings.victimMac()));
            ns.exec("ip", "addr", "add", settings.victimText() + "/8", "dev", VICTIM);
            out.printf("namespace %s: veth %s -> %s (victim %s); the mix (%s) at %d frames/s for %d s, sent by %s%n", ns.name(), GEN, VICTIM,
                    settings.victimText(), "benign 50, synflood 20, portscan 10, amplification 10, dnstunnel 10", o.ratePps(), o.seconds(),
                    o.way().equals("xsk") ? "AF_XDP TX" : "BPF_PROG_TEST_RUN live frames");
            out.flush();
            return ns.run(() -> {
                // the demo's clock starts when the sender is ready (its sink open), not while it warms up
                java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
                ProcessorConfig config = ProcessorConfig.forInterface(VICTIM).withDelivery(Delivery.MIRROR).withFlowTracking(false, 1, 1);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, view -> {
                    long since = System.nanoTime() - clock.get();
                    int second = since < 0 ? -1 : (int) (since / 1_000_000_000L);
                    tally.reached(kinds.kindOf(Frames.ipv4Source(view.memory(), view.offset(), view.length())), second);
                    synchronized (set) {
                        set.observe(observations.observe(view.memory(), view.offset(), view.length(), view.timestampNanos()));
                    }
                    return Verdict.NORMAL;
                })) {
                    out.printf("attached to %s (XDP, BPF link; sampled packets mirrored to Java and passed on); detectors %s, %s s windows%n%n",
                            VICTIM, DemoOptions.DETECTORS, o.windowSeconds());
                    out.flush();
                    p.start();
                    AtomicBoolean stop = new AtomicBoolean();
                    int genIndex = Interfaces.indexOf(GEN);
                    ScenarioSender[] sender = new ScenarioSender[1];
                    CompletableFuture<Long> sending = new CompletableFuture<>();
                    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
                    Thread.ofPlatform().name("xdpml-demo-gen").start(() -> {
                        try {
                            sending.complete(ns.callOnThisThread(() -> {
                                // warm the frame builders up (JIT) on a copy of the mix, so the first second runs at the rate
                                io.xdpml.gen.Scenario warm = Scenarios.create("mix", settings.withSeed(settings.seed() + 1));
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
                                    return s.run(Scenarios.create("mix", settings), o.ratePps(), Long.MAX_VALUE, stop::get);
                                }
                            }));
                        } catch (Throwable t) {
                            sending.completeExceptionally(t);
                        } finally {
                            ready.countDown();
                        }
                    });
                    ready.await();
                    long start = clock.get();
                    long lastSent = 0;
                    long lastBlocked = 0;
                    for (int s = 0; s < o.seconds(); s++) {
                        long wait = start + (s + 1) * 1_000_000_000L - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        if (sending.isCompletedExceptionally()) {
                            sending.join();
                        }
                        int second = s;
                        news.poll(false, d -> {
                            report.detected(d);
                            for (String source : d.sources()) {
                                try {
                                    p.mitigation().block(InetAddress.ofLiteral(source), Duration.ofSeconds(o.blockSeconds()));
                                } catch (IllegalArgumentException e) {
                                    continue;
                                }
                                report.blocked(source, d.detector(), second);
                            }
                        });
                        long sent;
                        synchronized (sender) {
                            sent = sender[0] == null ? 0 : sender[0].sent();
                        }
                        long blocked = p.blockedPackets();
                        report.second(s, sent - lastSent, blocked - lastBlocked);
                        lastSent = sent;
                        lastBlocked = blocked;
                    }
                    stop.set(true);
                    sending.join();
                    Thread.sleep(200);
                    p.stop();
                    news.poll(true, report::detected);
                    out.printf("%nkernel: %d packets seen by XDP, %d dropped by blocks; Java: %d mirrored, %d lost on the way%n",
                            p.stats().seen(), p.stats().blocked(), p.stats().received(), p.stats().deliveryLost());
                    return report.summary(sender[0].sentByKind(), o.seconds(), p.stats().deliveryLost());
                }
            });
        } finally {
            out.println("removed the namespace, its veth pair and the XDP program");
            out.flush();
        }
    }
}
