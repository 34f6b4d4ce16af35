package io.xdpml.flow;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Feeds a capture to a {@link FlowEngine} with each packet's own timestamp, framed as Ethernet
 * and cut to the engine's limit like {@code CaptureInspector} (the same frame for both engines:
 * a cut frame counts with the cut length; the result says how many were cut).
 */
public final class FlowReplay {
    /**
     * @param replayed packets given to the engine
     * @param cut      of those, frames longer than the engine takes, given cut to its limit
     * @param runts    packets shorter than an Ethernet header, not given (XDP never sees them)
     * @param damage   null, or where the capture was damaged (packets before it were replayed)
     */
    public record Result(long packets, long replayed, long cut, long runts, PcapFormatException damage) {}

    private FlowReplay() {}

    public static Result replay(Path capture, FlowEngine engine) throws IOException {
        return replay(capture, engine, 0);
    }

    /** Replays with every timestamp shifted by {@code timeOffsetNanos} (to loop a capture). */
    public static Result replay(Path capture, FlowEngine engine, long timeOffsetNanos) throws IOException {
        EthernetFramer framer = new EthernetFramer();
        long packets = 0;
        long replayed = 0;
        long cut = 0;
        long runts = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            try {
                while (r.next()) {
                    packets++;
                    int length = framer.frame(r);
                    if (length < 14) {
                        runts++;
                        continue;
                    }
                    if (length > engine.maxFrameLength()) {
                        cut++;
                        length = engine.maxFrameLength();
                    }
                    engine.packet(framer.frameSegment(), length, r.timestampNanos() + timeOffsetNanos);
                    replayed++;
                }
            } catch (PcapFormatException e) {
                return new Result(packets, replayed, cut, runts, e);
            } catch (InternalError e) {
                return new Result(packets, replayed, cut, runts, r.shrinkDamage(e)); // the file shrank under the mapping
            }
        }
        return new Result(packets, replayed, cut, runts, null);
    }
}
