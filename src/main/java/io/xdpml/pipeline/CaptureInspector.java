package io.xdpml.pipeline;

import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Runs every packet of a capture through a {@link ParseEngine}, as XDP would see it: as an
 * Ethernet frame (other link types framed, docs/pcap.md), at most
 * {@link ParseEngine#maxFrameLength()} bytes long. A damaged capture is parsed up to the damage,
 * which the result reports.
 */
public final class CaptureInspector {
    /** Per packet: its index, the frame the engine saw, and the engine's summary. */
    @FunctionalInterface
    public interface PacketListener {
        void onPacket(long index, MemorySegment frame, int length, ParseSummary summary);
    }

    /**
     * What the walk saw besides the counters.
     *
     * @param damage null, or where the capture was corrupt or truncated: every packet before it
     *               was parsed, nothing after it
     */
    public record Result(long packets, long framed, long cut, long runts, long unframeable, PcapFormatException damage) {}

    /** Frames shorter than an Ethernet header never reach XDP (and BPF_PROG_TEST_RUN refuses them). */
    public static final int MIN_FRAME = 14;

    private CaptureInspector() {}

    public static Result inspect(Path capture, ParseEngine engine, PacketListener listener) throws IOException {
        ParseSummary summary = new ParseSummary();
        EthernetFramer framer = new EthernetFramer();
        long packets = 0;
        long framed = 0;
        long cut = 0;
        long runts = 0;
        long unframeable = 0;
        try (CaptureReader reader = CaptureReader.open(capture)) {
            try {
                while (reader.next()) {
                    packets++;
                    int length = framer.frame(reader);
                    if (length < 0) {
                        unframeable++;
                        continue;
                    }
                    MemorySegment frame = framer.frameSegment();
                    if (reader.linkType() != io.xdpml.pcap.LinkType.ETHERNET) {
                        framed++;
                    }
                    if (length < MIN_FRAME) {
                        runts++;
                        continue;
                    }
                    if (length > engine.maxFrameLength()) {
                        length = engine.maxFrameLength();
                        cut++;
                    }
                    engine.parse(frame, length, summary);
                    if (listener != null) {
                        listener.onPacket(reader.packetIndex(), frame, length, summary);
                    }
                }
            } catch (InternalError e) {
                throw reader.shrinkDamage(e); // the file shrank under the mapping
            }
        } catch (PcapFormatException e) {
            return new Result(packets, framed, cut, runts, unframeable, e);
        }
        return new Result(packets, framed, cut, runts, unframeable, null);
    }
}
