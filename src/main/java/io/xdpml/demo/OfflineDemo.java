package io.xdpml.demo;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.dataplane.JavaDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.demo.KindTally.Series;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.Measure;
import io.xdpml.gen.PcapSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TrafficKind;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.replay.AgentTwin;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * ("reached" is what the twin passed), no copy is ever lost, and new detections are polled every
 * 0.1 s of capture time (live: the agent's loop, the same in wall time).
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
            sender.run(Scenarios.create("mix", settings, o.ratePps()), o.ratePps(), o.ratePps() * o.seconds(), () -> false);
        }
        Map<TrafficKind, Long> sent = sender.sentByKind();
        report.print(String.format("wrote %d frames of the mix (%s; %d s at %d frames/s) to %s; replaying them in capture time through the"
                + " Java twin of the XDP program", sender.sent(), DemoOptions.shares(settings), o.seconds(), o.ratePps(), capture));
        report.print("");

        AgentTwin twin = new AgentTwin(config, new Reporting(report, config), o.seconds() - 1);
        int attack = config.model().model().classes().indexOf("attack");
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                long t = r.timestampNanos();
                PacketResult res = twin.packet(r.data(), r.capturedLength(), t);
                int second = twin.secondOf(t);
                int kind = kinds.kindOf(Frames.ipv4Source(r.data(), 0, r.capturedLength()));
                tally.add(Series.SENT, kind, second);
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
                }
            }
        }
        twin.finish();
        return report.summary(sent, o.seconds(), List.of("offline: 'reached' is what the Java twin passed (no kernel, no tap), every copy"
                + " reached the detectors, new detections were acted on every 0.1 s of capture time"));
    }

    /** The agent twin's actions as the demo's lines. */
    private record Reporting(DemoReport report, AgentConfig config) implements AgentTwin.Events {
        @Override
        public void secondEnding(int s) {
            report.now(s);
        }

        @Override
        public void polling(int s) {
            report.now(s);
        }

        @Override
        public void detected(Detection d) {
            report.detected(d);
            report.print("DETECTED " + d.toLine());
        }

        @Override
        public void detectedAtEnd(Detection d) {
            report.detected(d);
        }

        @Override
        public void blocked(String source, Detection d, boolean again) {
            report.blocked(source, d.detector());
            report.print("BLOCKED " + source + " for " + config.mitigation().block().toSeconds() + " s (" + d.detector()
                    + (again ? ", again" : "") + "; the twin's blocks stage drops its packets)");
        }

        @Override
        public void measured(Measure m, Detection d) {
            report.measured(m, d);
            report.print("MEASURE " + m.toString() + " for "
                    + config.mitigation().measureTime().toSeconds() + " s (" + d.detector() + "; the twin's firewall enforces it)");
        }

        @Override
        public void secondEnded(int s) {
            report.second(s);
        }
    }
}
