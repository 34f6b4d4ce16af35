package io.xdpml.demo;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.ModelAction;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.JavaDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stages;
import io.xdpml.demo.KindTally.Series;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.firewall.Measure;
import io.xdpml.firewall.MeasureSettings;
import io.xdpml.firewall.Measures;
import io.xdpml.flow.FlowConfig;
import io.xdpml.gen.PcapSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TrafficKind;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.Deployment;
import io.xdpml.pcap.CaptureReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo without root or BPF: the same mix written to a capture (timestamps at the asked rate)
 * and replayed, in capture time, through the Java twin of the agent's XDP program
 * ({@link JavaDataPlane}: parse, blocks, firewall, flows, the tree, sampling, the mirror copy) set
 * up from the same configuration file as the live demo; the copies go through the same detectors,
 * and their detections become what the agent makes of them: the sources they name blocked in the
 * twin's blocks stage, firewall measures (port-drop, syn-limit) put into the twin's firewall,
 * renewed while the detection goes on. What differs from live: no kernel, no veth pair and no tap
 * ("reached" is what the twin passed), no copy is ever lost, and the detections are polled at each
 * second of capture time (live: the agent's loop, every second of wall time).
 */
public final class OfflineDemo {
    /** The interface the configuration names (nothing is attached offline). */
    static final String IFACE = "xdpml-victim";

    private OfflineDemo() {}

    /** Runs the story on the mix written to {@code capture}; returns whether it held. */
    public static boolean run(PrintWriter out, DemoOptions o, Path capture) throws Exception {
        ScenarioSettings settings = ScenarioSettings.defaults();
        SourceKinds kinds = new SourceKinds(settings);
        KindTally tally = new KindTally(o.seconds());
        DemoReport report = new DemoReport(out, kinds, settings, tally);
        Path dir = Files.createTempDirectory("xdpml-demo");
        AgentConfig config;
        try {
            Path file = DemoConfig.write(dir, IFACE, o, settings);
            config = DemoConfig.load(file);
            report.print("the agent's configuration (the live demo's; offline its Java twin runs it):");
            report.print("");
            Files.readAllLines(file).forEach(l -> report.print("    " + l));
        } finally {
            Files.deleteIfExists(dir.resolve(DemoConfig.FILE));
            Files.deleteIfExists(dir.resolve(DemoConfig.MODEL));
            Files.deleteIfExists(dir);
        }
        ScenarioSender sender;
        try (PcapSink sink = PcapSink.open(capture)) {
            sender = new ScenarioSender(sink);
            sender.run(Scenarios.create("mix", settings), o.ratePps(), o.ratePps() * o.seconds(), () -> false);
        }
        Map<TrafficKind, Long> sent = sender.sentByKind();
        report.print(String.format("wrote %d frames of the mix (%s; %d s at %d frames/s) to %s; replaying them in capture time through the"
                + " Java twin of the XDP program", sender.sent(), DemoOptions.shares(settings), o.seconds(), o.ratePps(), capture));
        report.print("");

        JavaDataPlane plane = plane(config);
        DetectorSet set = new DetectorSet(config.detectors().create());
        NewDetections news = new NewDetections(set);
        ObservationBuilder observations = new ObservationBuilder(set.needsFlows());
        Mitigating mitigating = new Mitigating(config, plane, news, report);
        int attack = config.model().model().classes().indexOf("attack");
        try (CaptureReader r = CaptureReader.open(capture)) {
            long t0 = -1;
            int current = 0;
            while (r.next()) {
                long t = r.timestampNanos();
                if (t0 < 0) {
                    t0 = t;
                }
                int second = (int) Math.min(o.seconds() - 1, (t - t0) / 1_000_000_000L);
                while (current < second) {
                    mitigating.endOf(current++, t0 + current * 1_000_000_000L);
                }
                int kind = kinds.kindOf(Frames.ipv4Source(r.data(), 0, r.capturedLength()));
                tally.add(Series.SENT, kind, second);
                PacketResult res = plane.packet(r.data(), r.capturedLength(), t);
                if (res.action() == PacketResult.XDP_PASS) {
                    tally.add(Series.REACHED, kind, second);
                }
                if (res.delivered()) {
                    tally.add(Series.COPIES, kind, second);
                    if (res.cls() >= 0) {
                        tally.add(Series.MODEL_CLASSIFIED, kind, second);
                        if (res.cls() == attack) {
                            tally.add(Series.MODEL_ATTACK, kind, second);
                        }
                    }
                    set.observe(observations.observe(r.data(), r.capturedLength(), t));
                }
            }
            mitigating.endOf(current, t0 + (current + 1) * 1_000_000_000L);
        }
        news.poll(true, report::detected);
        return report.summary(sent, o.seconds(), List.of("offline: 'reached' is what the Java twin passed (no kernel, no tap), every copy"
                + " reached the detectors, detections were acted on at each second of capture time"));
    }

    /** The twin set up as the agent sets up its program: the same stages, rules, model, sampling. */
    static JavaDataPlane plane(AgentConfig c) {
        Stages stages = Stages.none().withBlocks(c.blocks().enabled()).withFirewall(c.firewall().enabled()).withFlow(c.flows().enabled())
                .withModel(c.model().enabled()).withSampling(Stages.Sampling.BY_PACKET, true);
        FlowConfig flows = new FlowConfig(c.flows().maxFlows(), c.flows().idleTimeout().toNanos(), c.parse().vxlanPort())
                .withActiveTimeout(c.flows().activeTimeout().toNanos()).withProbation(c.flows().probationSlots());
        JavaDataPlane plane = new JavaDataPlane(stages, flows, io.xdpml.kernel.TestRun.maxTestRunFrame(), PacketResult.XDP_PASS);
        plane.install(c.firewall().rules());
        plane.deploy(c.model().deployment());
        plane.delivery(new DeliverySettings.Values(c.sampling().every(), c.delivery().rateCap(), 0));
        return plane;
    }

    /** What the agent does with detections, done on the twin in capture time, with its lines. */
    private static final class Mitigating {
        private final AgentConfig config;
        private final JavaDataPlane plane;
        private final NewDetections news;
        private final DemoReport report;
        private final MeasureSettings measureSettings;
        private final Map<String, Long> blockedUntil = new HashMap<>();
        private final Map<String, Long> measuredUntil = new HashMap<>();

        Mitigating(AgentConfig config, JavaDataPlane plane, NewDetections news, DemoReport report) {
            this.config = config;
            this.plane = plane;
            this.news = news;
            this.report = report;
            this.measureSettings = config.mitigation().measureSettings();
        }

        /** At the end of demo second {@code s}, capture time {@code now}: new detections acted on, going ones renewed. */
        void endOf(int s, long now) {
            report.now(s);
            long block = config.mitigation().block().toNanos();
            news.poll(false, d -> {
                report.detected(d);
                report.print("DETECTED " + d.toLine());
                act(d, now, block);
            });
            // detections still going on: their measures renewed, their sources blocked again once the block expired
            long since = now - 2 * config.detectors().window().toNanos() - 1_000_000_000L;
            for (Detection d : news.recent(since)) {
                act(d, now, block);
            }
            plane.blocks().sweep(now);
            plane.firewall().sweepMeasures(now);
            report.second(s);
        }

        private void act(Detection d, long now, long block) {
            if (block > 0) {
                for (String source : d.sources()) {
                    Long until = blockedUntil.get(source);
                    if (until != null && now <= until) {
                        continue;
                    }
                    plane.blocks().blockSource(InetAddress.ofLiteral(source), 32, now + block);
                    blockedUntil.put(source, now + block);
                    report.blocked(source, d.detector());
                    report.print("BLOCKED " + source + " for " + block / 1_000_000_000L + " s (" + d.detector()
                            + (until != null ? ", again" : "") + "; the twin's blocks stage drops its packets)");
                }
            }
            if (!config.mitigation().measures()) {
                return;
            }
            for (Measure m : Measures.forDetection(d, measureSettings, now)) {
                Long until = measuredUntil.get(m.entry());
                plane.firewall().putMeasure(m);
                measuredUntil.put(m.entry(), m.expiresNanos());
                if (until == null || now > until) {
                    report.measured(m, d);
                    report.print("MEASURE " + m.entry() + (m.kind() == Measure.Kind.SYN_LIMIT ? " " + m.rate() : "") + " for "
                            + config.mitigation().measureTime().toSeconds() + " s (" + d.detector() + "; the twin's firewall enforces it)");
                }
            }
        }
    }
}
