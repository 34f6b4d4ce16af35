package io.xdpml.flow;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/** The Java reference: {@link PacketParser}, {@link FlowPacket}, {@link FlowTable}. */
public final class JavaFlowEngine implements FlowEngine {
    private final PacketParser parser;
    private final ParseSummary summary = new ParseSummary();
    private final ParseCounters parseCounters = new ParseCounters();
    private final FlowPacket packet = new FlowPacket();
    private final FlowTable table;
    private final int maxFrameLength;

    public JavaFlowEngine(FlowConfig config, int maxFrameLength) {
        this(config, maxFrameLength, FlowRecordListener.NONE);
    }

    public JavaFlowEngine(FlowConfig config, int maxFrameLength, FlowRecordListener listener) {
        this.parser = new PacketParser(config.vxlanPort());
        this.table = new FlowTable(config, listener);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        packet(frame, 0, length, timestampNanos);
    }

    /** A frame at {@code offset} in {@code memory} (e.g. in an AF_XDP UMEM, read in place). */
    public void packet(MemorySegment memory, long offset, int length, long timestampNanos) {
        packet(memory, offset, length, length, timestampNanos);
    }

    /**
     * A frame holding the first {@code length} bytes of a packet of {@code wireLength} (mirror
     * delivery's copy): parsed over what is there, counted at the packet's length, as the kernel's
     * flow stage counts it.
     */
    public void packet(MemorySegment memory, long offset, int length, int wireLength, long timestampNanos) {
        parser.parse(memory, offset, length, summary);
        parseCounters.count(summary);
        if (packet.of(memory, offset, Math.max(length, wireLength), summary)) {
            table.add(packet, timestampNanos);
        } else {
            table.notTracked();
        }
    }

    /** The model stage's cache ({@link FlowTable#cachedClass}). */
    public void cachedClass(CachedClass c) {
        table.cachedClass(c);
    }

    @Override
    public void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action) {
        table.forEach(action);
    }

    @Override
    public long counter(FlowCounter c) {
        return table.counter(c);
    }

    /** Whether the last packet was the first of its direction of its flow ({@link FlowTable#lastFirst()}). */
    public boolean lastFirst() {
        return table.lastFirst();
    }

    /** The flow state the last packet updated, or null when it was not tracked. */
    public MemorySegment lastUpdated() {
        return table.lastUpdated();
    }

    /** The parse of the last packet (valid until the next). */
    public ParseSummary lastSummary() {
        return summary;
    }

    /** The key and contribution of the last packet (valid when {@link #lastUpdated()} is not null). */
    public FlowPacket lastPacket() {
        return packet;
    }

    @Override
    public long evictions() {
        return 0;
    }

    @Override
    public int sweep(long nowNanos, long lingerNanos) {
        return table.sweep(nowNanos, lingerNanos);
    }

    @Override
    public ParseCounters parseCounters() {
        return parseCounters;
    }

    @Override
    public int maxFrameLength() {
        return maxFrameLength;
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void close() {}
}
