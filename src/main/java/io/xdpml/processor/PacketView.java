package io.xdpml.processor;

import io.xdpml.flow.FlowPacket;
import io.xdpml.model.ModelInputs;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.PayloadEntropy;
import io.xdpml.xsk.XskMetadata;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One packet as the callback sees it: a flyweight over the frame in the AF_XDP memory (no copy),
 * its parse, the XDP program's metadata, and, with flow tracking on, its flow's state and the 48
 * model inputs ({@link ModelInputs}, computed on first use). Reused for every packet of a queue:
 * valid only during the callback.
 */
public final class PacketView {
    /** The input name of {@link #payloadEntropyQ16()} for {@link #input(String)}. */
    public static final String PAYLOAD_ENTROPY = "payload_entropy";
    private MemorySegment memory;
    private long offset;
    private int length;
    private int wireLength;
    private int queue;
    private long timestampNanos;
    private ParseSummary summary;
    private XskMetadata metadata;
    private MemorySegment flowState;
    private FlowPacket flowPacket;
    private final long[] inputs = new long[ModelInputs.COUNT];
    private boolean inputsReady;
    private final PayloadEntropy entropy = new PayloadEntropy();
    private int entropyQ16 = -1;

    void wrap(MemorySegment memory, long offset, int length, int wireLength, int queue, long timestampNanos, ParseSummary summary,
            XskMetadata metadata, MemorySegment flowState, FlowPacket flowPacket) {
        this.memory = memory;
        this.offset = offset;
        this.length = length;
        this.wireLength = wireLength;
        this.queue = queue;
        this.timestampNanos = timestampNanos;
        this.summary = summary;
        this.metadata = metadata;
        this.flowState = flowState;
        this.flowPacket = flowPacket;
        this.inputsReady = false;
        this.entropyQ16 = -1;
    }

    /** Bytes of the frame in {@link #memory()}: the packet, or its first 1,536 bytes with mirror delivery. */
    public int length() {
        return length;
    }

    /**
     * The packet's length as it arrived at XDP: {@link #length()}, or more when mirror delivery
     * copied only its first 1,536 bytes (XDPML_MIRROR_SNAP, a frame over an Ethernet MTU).
     */
    public int wireLength() {
        return wireLength;
    }

    /** The receive queue it came on. */
    public int queue() {
        return queue;
    }

    /** Arrival time in Java, wall clock in nanoseconds since the epoch. */
    public long timestampNanos() {
        return timestampNanos;
    }

    /** The memory the frame is in (the AF_XDP UMEM) and its offset there, for parsers that read in place. */
    public MemorySegment memory() {
        return memory;
    }

    public long offset() {
        return offset;
    }

    /** Byte {@code i} of the frame (0-based; bounds-checked against the frame). */
    public int byteAt(int i) {
        if (i < 0 || i >= length) {
            throw new IndexOutOfBoundsException("byte " + i + " of a " + length + "-byte frame");
        }
        return memory.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff;
    }

    /** Copies the frame out (allocates: for packets worth keeping). */
    public byte[] toByteArray() {
        byte[] b = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return b;
    }

    /** The parse: protocols, offsets, ports, errors ({@link ParseSummary}). */
    public ParseSummary summary() {
        return summary;
    }

    /** The XDP program's metadata in front of the frame (flow hash, parse flags). */
    public XskMetadata metadata() {
        return metadata;
    }

    /** Whether the packet updated a flow (flow tracking on and an IP header). */
    public boolean hasFlow() {
        return flowState != null;
    }

    /** The flow's state after this packet ({@link io.xdpml.flow.FlowLayout}), or null. */
    public MemorySegment flowState() {
        return flowState;
    }

    /** The model inputs of this packet and its flow (48 values, {@link ModelInputs} order); null without a flow. */
    public long[] inputs() {
        if (flowState == null) {
            return null;
        }
        if (!inputsReady) {
            ModelInputs.compute(flowState, flowPacket.key(), flowPacket.normLength(), flowPacket.fromA(), inputs);
            inputsReady = true;
        }
        return inputs;
    }

    /**
     * The Shannon entropy of the payload's first 64 bytes in bits per byte (0 to 6; 0 without a
     * payload): {@link PayloadEntropy}, the same number the XDP program's {@code entropy.h} computes.
     * Computed on first use (a pass over at most 64 bytes, no allocation); needs no flow.
     */
    public double payloadEntropy() {
        return PayloadEntropy.bits(payloadEntropyQ16());
    }

    /** {@link #payloadEntropy()} in the kernel's fixed point (1/65536 bits per byte); also {@code input("payload_entropy")}. */
    public int payloadEntropyQ16() {
        if (entropyQ16 < 0) {
            entropyQ16 = entropy.ofPacket(memory, offset, length, summary);
        }
        return entropyQ16;
    }

    /**
     * One model input by name (e.g. "syn_flag_count"); 0 without a flow. Besides the 48 of
     * {@link ModelInputs}, {@code "payload_entropy"} gives {@link #payloadEntropyQ16()} (with or
     * without a flow; not a kernel model input yet).
     */
    public long input(String name) {
        if (PAYLOAD_ENTROPY.equals(name)) {
            return payloadEntropyQ16();
        }
        long[] x = inputs();
        return x == null ? 0 : x[ModelInputs.index(name)];
    }
}
