package io.xdpml.demo;

import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.gen.PcapSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TrafficKind;
import io.xdpml.pcap.CaptureReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The demo without root or BPF: the same mix written to a capture (timestamps at the asked rate),
 * read back in capture time through the same detectors; a source they name is blocked from then
 * on, for the block's seconds of capture time, by the Java reference of the XDP check (exact /32
 * match: its later packets are counted as dropped and never reach the detectors, as in the kernel).
 */
public final class OfflineDemo {
    private OfflineDemo() {}

    /** Runs the story on the mix written to {@code capture}; returns whether it held. */
    public static boolean run(PrintWriter out, DemoOptions o, Path capture) throws Exception {
        DemoParts parts = DemoParts.of(out, o);
        ScenarioSettings settings = parts.settings();
        SourceKinds kinds = parts.kinds();
        KindTally tally = parts.tally();
        DemoReport report = parts.report();
        DetectorSet set = parts.set();
        NewDetections news = parts.news();
        ObservationBuilder observations = parts.observations();
        ScenarioSender sender;
        try (PcapSink sink = PcapSink.open(capture)) {
            sender = new ScenarioSender(sink);
            sender.run(Scenarios.create("mix", settings), o.ratePps(), o.ratePps() * o.seconds(), () -> false);
        }
        Map<TrafficKind, Long> sent = sender.sentByKind();
        out.printf("wrote %d frames of the mix (%d s at %d frames/s) to %s; reading it back in capture time%n%n", sender.sent(), o.seconds(),
                o.ratePps(), capture);
        Map<Integer, Long> blocked = new HashMap<>(); // source -> capture time its block ends
        long[] droppedPerSecond = new long[o.seconds()];
        long[] sentPerSecond = new long[o.seconds()];
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
                    endSecond(current++, news, report, blocked, t0 + current * 1_000_000_000L, o.blockSeconds(), sentPerSecond, droppedPerSecond);
                }
                sentPerSecond[second]++;
                int source = Frames.ipv4Source(r.data(), 0, r.capturedLength());
                int kind = kinds.kindOf(source);
                Long until = source != 0 ? blocked.get(source) : null;
                if (until != null && t <= until) {
                    tally.dropped(kind, second);
                    droppedPerSecond[second]++;
                    continue;
                }
                tally.reached(kind, second);
                set.observe(observations.observe(r.data(), r.capturedLength(), t));
            }
            endSecond(current, news, report, blocked, t0 + (current + 1) * 1_000_000_000L, o.blockSeconds(), sentPerSecond, droppedPerSecond);
        }
        news.poll(true, report::detected);
        return report.summary(sent, o.seconds());
    }

    /** At the end of demo second {@code s} (capture time {@code now}): new detections, their sources blocked until now + blockSeconds. */
    private static void endSecond(int s, NewDetections news, DemoReport report, Map<Integer, Long> blocked, long now, long blockSeconds,
            long[] sent, long[] dropped) {
        news.poll(false, d -> {
            report.detected(d);
            for (String source : d.sources()) {
                try {
                    blocked.put(io.xdpml.gen.Ipv4Range.address(source), now + blockSeconds * 1_000_000_000L);
                } catch (IllegalArgumentException e) {
                    continue; // IPv6: not in the demo's mix
                }
                report.blocked(source, d.detector(), s);
            }
        });
        report.second(s, sent[s], dropped[s]);
    }

    /** A temporary capture path, for callers that keep none. */
}
