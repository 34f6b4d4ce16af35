package io.xdpml.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stage;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a quiet link the agent acts on a detection at its window's end, its clock going on without
 * packets (Agent.advance at every poll and second), not at the next packet; the twin
 * ({@code xdpml replay}) does the same. Before 2026-12-06 the twin judged a window only at a
 * packet: a short scan's source was blocked when the next packet came, so that packet passed and
 * the block began (and ended) late. A real nmap scan of 5 ms, then its first frame again after a
 * quiet gap.
 */
class QuietLinkTest {
    private static final long S = 1_000_000_000L;

    @TempDir
    Path dir;

    private AgentConfig config(String early) throws Exception {
        Path f = dir.resolve("twin.yaml");
        Files.writeString(f, """
                interfaces: [eth0]
                blocks: {enabled: true}
                firewall: {enabled: false}
                model: {enabled: false}
                sampling: {every: 1}
                detectors: {enabled: [portscan, sweep], window: 2s, early: %s}
                mitigation: {block: 10s, measures: false}
                """.formatted(early));
        return AgentConfigLoader.load(f);
    }

    /** The capture's packets, then its first frame again {@code gapSeconds} after its last: what became of that late frame. */
    private static String lateFrame(AgentTwin twin, String capture, long gapSeconds) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(TestData.dataDir().resolve("detect").resolve(capture))) {
            while (r.next()) {
                int len = framer.frame(r);
                if (len >= 14) {
                    frames.add(framer.frameSegment().asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
                    times.add(r.timestampNanos());
                }
            }
        }
        frames.add(frames.getFirst());
        times.add(times.getLast() + gapSeconds * S);
        String late = null;
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i).clone(); // the data plane may write into a frame
            PacketResult r = twin.packet(MemorySegment.ofArray(f), f.length, times.get(i));
            late = (r.action() == PacketResult.XDP_DROP ? "dropped by " : "passed at ") + r.stage();
        }
        twin.finish();
        return late;
    }

    /** A 5 ms ACK scan, its report early or at its window's end: its source is blocked by then, and a frame 3 s later is dropped. */
    @Test
    void aShortScanOnAQuietLinkIsBlockedAtItsWindowsEnd() throws Exception {
        assertThat(lateFrame(new AgentTwin(config("200ms"), new AgentTwin.Events() {}, Integer.MAX_VALUE), "nmap-ack-scan.pcap", 3))
                .isEqualTo("dropped by " + Stage.BLOCKS);
    }

    /** A sweep whose block (10 s) began at its window's end has ended 20 s later: the late frame passes. */
    @Test
    void aBlockBegunAtTheWindowsEndHasEndedTwentySecondsLater() throws Exception {
        assertThat(lateFrame(new AgentTwin(config("0"), new AgentTwin.Events() {}, Integer.MAX_VALUE), "nmap-syn-sweep.pcap", 20))
                .startsWith("passed at ");
    }
}
