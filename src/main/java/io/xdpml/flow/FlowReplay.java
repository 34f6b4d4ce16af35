package io.xdpml.flow;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Feeds a capture to a {@link FlowEngine} with each packet's own timestamp, framed as Ethernet
 * and cut to the engine's limit like {@code CaptureInspector}.
 */
public final class FlowReplay {
    /** @param damage null, or where the capture was damaged (packets before it were replayed) */
    public record Result(long packets, long replayed, PcapFormatException damage) {}

    private FlowReplay() {}

    public static Result replay(Path capture, FlowEngine engine) throws IOException {
        return replay(capture, engine, 0);
    }

    /** Replays with every timestamp shifted by {@code timeOffsetNanos} (to loop a capture). */
    public static Result replay(Path capture, FlowEngine engine, long timeOffsetNanos) throws IOException {
        EthernetFramer framer = new EthernetFramer();
        long packets = 0;
        long replayed = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            try {
                while (r.next()) {
                    packets++;
                    int length = framer.frame(r);
                    if (length < 14) {
                        continue;
                    }
                    MemorySegment frame = framer.frameSegment();
                    engine.packet(frame, Math.min(length, engine.maxFrameLength()), r.timestampNanos() + timeOffsetNanos);
                    replayed++;
                }
            } catch (PcapFormatException e) {
                return new Result(packets, replayed, e);
            }
        }
        return new Result(packets, replayed, null);
    }
}
