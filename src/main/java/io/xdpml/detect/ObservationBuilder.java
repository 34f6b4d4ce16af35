package io.xdpml.detect;

import static io.xdpml.packet.Bytes.u8;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.FlowTable;
import io.xdpml.packet.Bytes;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Fills a {@link PacketObservation} from a frame: parses it once with the reference
 * {@link PacketParser}, reads addresses, ports, TCP flags and the payload bounds, and (when asked)
 * updates the reference flow table so detectors see the flow's state. One per thread; nothing is
 * allocated per packet (a new flow costs the flow table its entry).
 */
public final class ObservationBuilder {
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final PacketParser parser;
    private final PacketObservation o = new PacketObservation();
    private final FlowPacket flowPacket;
    private final FlowTable flows;

    /** @param trackFlows whether to keep a flow table and give detectors the flow state */
    public ObservationBuilder(boolean trackFlows) {
        this(trackFlows ? FlowConfig.defaults() : null);
    }

    /**
     * @param trackFlows whether to keep a flow table and give detectors the flow state
     * @param vxlanPort  the UDP port decoded as VXLAN (0: none): the data plane's, so that the
     *                   detectors name the addresses the kernel's blocks key
     */
    public ObservationBuilder(boolean trackFlows, int vxlanPort) {
        this(trackFlows ? new FlowConfig(FlowConfig.defaults().maxFlows(), FlowConfig.defaults().idleTimeoutNanos(), vxlanPort) : null,
                vxlanPort);
    }

    /** @param flowConfig the flow table's settings, or null to track no flows */
    public ObservationBuilder(FlowConfig flowConfig) {
        this(flowConfig, flowConfig == null ? io.xdpml.packet.TransportHeaders.VXLAN_DEFAULT_PORT : flowConfig.vxlanPort());
    }

    private ObservationBuilder(FlowConfig flowConfig, int vxlanPort) {
        this.parser = new PacketParser(vxlanPort);
        this.flows = flowConfig == null ? null : new FlowTable(flowConfig, FlowRecordListener.NONE);
        this.flowPacket = flowConfig == null ? null : new FlowPacket();
    }

    /** The live flows of its flow table (packet time is their clock); null when it keeps none. */
    public FlowWalk flows() {
        return flows == null ? null : flows::forEach;
    }

    /** Observes the frame of {@code length} bytes at time {@code timeNanos}; the result is reused by the next call. */
    public PacketObservation observe(MemorySegment frame, int length, long timeNanos) {
        return observe(frame, 0, length, timeNanos);
    }

    /**
     * Observes the frame at {@code base} in {@code frame} (e.g. in place in an AF_XDP UMEM, no
     * slice per packet); {@link PacketObservation#payloadOffset()} is then counted from the start
     * of {@code frame}, where {@link PacketObservation#frame()} reads.
     */
    public PacketObservation observe(MemorySegment frame, long base, int length, long timeNanos) {
        return observe(frame, base, length, timeNanos, 1);
    }

    /**
     * As {@link #observe(MemorySegment, long, int, long)}, for a packet that stands for {@code weight}
     * packets of the traffic (sampled 1 in {@code weight}; 0: copied besides the sample, standing for
     * no other: {@link PacketObservation#weight()}).
     */
    public PacketObservation observe(MemorySegment frame, long base, int length, long timeNanos, int weight) {
        return observe(frame, base, length, length, timeNanos, weight);
    }

    /**
     * As {@link #observe(MemorySegment, long, int, long, int)}, for a frame that holds the first
     * {@code length} bytes of a packet of {@code wireLength} bytes (mirror delivery's copy): the
     * detectors count the packet's bytes ({@link PacketObservation#wireLength()}).
     */
    public PacketObservation observe(MemorySegment frame, long base, int length, int wireLength, long timeNanos, int weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("a packet's weight must not be negative: " + weight);
        }
        PacketObservation p = o;
        p.weight = weight;
        parser.parse(frame, base, length, p.summary);
        p.frame = frame;
        p.length = length;
        p.wireLength = Math.max(length, wireLength);
        p.base = base;
        p.entropyQ16 = -1;
        p.timeNanos = timeNanos;
        p.flowState = null;
        p.flowPacket = null;
        p.tcpFlags = 0;
        p.tcpSequence = 0;
        p.tcpHeaderLength = 0;
        p.icmpType = -1;
        p.icmpCode = -1;
        p.payloadOffset = 0;
        p.payloadLength = 0;
        int flags = p.summary.flags();
        p.ip = (flags & (ParseFlags.IPV4 | ParseFlags.IPV6)) != 0;
        if (!p.ip) {
            p.ipVersion = 0;
            p.protocol = 0;
            p.sourcePort = 0;
            p.destinationPort = 0;
            p.srcHi = p.srcLo = p.dstHi = p.dstLo = 0;
            p.sourceKey = p.destinationKey = 0;
            return p;
        }
        long l3 = base + p.summary.l3Offset();
        int ipEnd;
        if ((u8(frame, l3) >>> 4) == 4) {
            p.ipVersion = 4;
            p.srcHi = 0;
            p.dstHi = 0;
            p.srcLo = Addresses.V4_MAPPED | Bytes.be32(frame, l3 + 12);
            p.dstLo = Addresses.V4_MAPPED | Bytes.be32(frame, l3 + 16);
            p.protocol = u8(frame, l3 + 9);
            ipEnd = p.summary.l3Offset() + Bytes.be16(frame, l3 + 2);
        } else {
            p.ipVersion = 6;
            p.srcHi = frame.get(BE64, l3 + 8);
            p.srcLo = frame.get(BE64, l3 + 16);
            p.dstHi = frame.get(BE64, l3 + 24);
            p.dstLo = frame.get(BE64, l3 + 32);
            p.protocol = u8(frame, l3 + 6);
            int payload = Bytes.be16(frame, l3 + 4);
            ipEnd = payload == 0 ? length : p.summary.l3Offset() + 40 + payload;
        }
        if (p.summary.l4Protocol() != 0) {
            p.protocol = p.summary.l4Protocol();
        }
        p.sourceKey = Addresses.key(p.srcHi, p.srcLo);
        p.destinationKey = Addresses.key(p.dstHi, p.dstLo);
        p.sourcePort = p.summary.sourcePort();
        p.destinationPort = p.summary.destinationPort();
        int l4 = p.summary.l4Offset();
        long at = base + l4;
        // under VXLAN the summary's L3 and L4 offsets are the inner packet's (docs/parser.md), as are the
        // addresses and ports above: its flags, ICMP type and payload are read there too (until 2026-12-06
        // they were not, and every TCP segment in a tunnel looked flagless)
        if (l4 != 0) {
            int end = Math.min(length, ipEnd);
            int start = -1;
            if ((flags & ParseFlags.TCP) != 0 && p.protocol == 6) {
                p.tcpFlags = u8(frame, at + 13);
                p.tcpSequence = (u8(frame, at + 4) << 24) | (u8(frame, at + 5) << 16) | (u8(frame, at + 6) << 8) | u8(frame, at + 7);
                p.tcpHeaderLength = (u8(frame, at + 12) >>> 4) * 4;
                start = l4 + p.tcpHeaderLength;
            } else if ((flags & ParseFlags.UDP) != 0 && p.protocol == 17) {
                start = l4 + 8;
            } else if (((flags & ParseFlags.ICMP) != 0 && p.protocol == 1) || ((flags & ParseFlags.ICMPV6) != 0 && p.protocol == 58)) {
                p.icmpType = u8(frame, at);
                p.icmpCode = u8(frame, at + 1);
            }
            if (start > 0 && start < end) {
                p.payloadOffset = (int) (base + start);
                p.payloadLength = end - start;
            }
        }
        if (flows != null && flowPacket.of(frame, base, length, p.summary)) {
            flows.add(flowPacket, timeNanos);
            p.flowState = flows.lastUpdated();
            p.flowPacket = flowPacket;
        }
        return p;
    }

    /** Packets of the flow the last observation updated (both directions), or 0 without flows. */
    public static long flowPackets(PacketObservation p) {
        MemorySegment f = p.flowState();
        if (f == null) {
            return 0;
        }
        return FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS)
                + FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
    }
}
