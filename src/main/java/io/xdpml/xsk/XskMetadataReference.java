package io.xdpml.xsk;

import io.xdpml.flow.FlowHash;
import io.xdpml.flow.FlowPacket;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;

/**
 * The Java reference of the metadata {@code xdp_xsk.bpf.c} writes before a frame: the same parse
 * ({@link PacketParser}) and the same flow key hash ({@link FlowPacket}, {@link FlowHash}).
 * Reusable, one per thread; {@link #compute} allocates nothing. Tests hold the kernel to it; an
 * offline path (a capture instead of a live socket) can use it to produce the same values.
 */
public final class XskMetadataReference {
    private final PacketParser parser;
    private final ParseSummary summary = new ParseSummary();
    private final FlowPacket flow = new FlowPacket();
    private int flowHash;

    public XskMetadataReference() {
        this(new PacketParser());
    }

    /** @param parser configured like the program ({@code cfg_vxlan_port}) */
    public XskMetadataReference(PacketParser parser) {
        this.parser = parser;
    }

    /** Computes the metadata of the {@code length}-byte frame at {@code offset} of {@code buffer}. */
    public XskMetadataReference compute(MemorySegment buffer, long offset, int length) {
        parser.parse(buffer, offset, length, summary);
        flowHash = flow.of(buffer, offset, length, summary) ? FlowHash.metadata(flow.key()) : 0;
        return this;
    }

    /** The flow key's hash, 0 when the frame has no IP header. */
    public int flowHash() { return flowHash; }

    /** The parse flags as the 16-bit metadata field holds them. */
    public int parseFlags() { return summary.flags() & 0xffff; }

    /** The parse error reason, 0 when none. */
    public int parseError() { return summary.error(); }

    /** Whether {@code m} holds what this reference computed (verdict and queue are not compared). */
    public boolean matches(XskMetadata m) {
        return m.present() && m.flowHash() == flowHash && m.parseFlags() == parseFlags() && m.parseError() == parseError();
    }
}
