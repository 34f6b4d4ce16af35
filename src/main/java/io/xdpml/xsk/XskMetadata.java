package io.xdpml.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Flyweight over {@code struct xdpml_xsk_meta} (bpf/include/xdpml/xsk.h), the 16 bytes that
 * the deliver stage (deliver.h) writes with {@code bpf_xdp_adjust_meta} immediately before the
 * frame, or, on kernels that refuse that helper, in front of the packet inside the frame
 * ({@link MetadataLayout#IN_FRAME}; {@link XskFrame} points this flyweight for either).
 * Host byte order (the BPF program stores native integers).
 *
 * <pre>
 *  0          4           8            10           12        14         16
 *  +----------+-----------+------------+------------+---------+----------+
 *  |  magic   | flow_hash | parse_flags| parse_error| verdict | rx_queue |
 *  +----------+-----------+------------+------------+---------+----------+
 * </pre>
 *
 * parse_flags carries {@link #FIRST_PICK} in bit 15; verdict, {@link #TO_JAVA} in bit 15.
 *
 * The receive loop clears the magic of a frame whose metadata the handler read, so that a later
 * frame in the same buffer without metadata is not taken for one with it. It writes nothing when
 * the handler did not look: the metadata's cache line was written by the CPU that ran the XDP
 * program, and a write from the consumer's CPU would cost a transfer per frame. So
 * {@link #present()} is exact for a program that writes metadata before every frame it hands over
 * ({@link XskProgram} with metadata on: {@link XskCounter#META_FAILED} counts exceptions) or
 * none at all, and for handlers that check every frame.
 */
public final class XskMetadata {
    /** {@code XDPML_XSK_META_MAGIC}: 'X' 'M', layout version 1. */
    public static final int MAGIC = 0x584d0001;
    public static final int SIZE = 16;
    public static final int MAGIC_OFFSET = 0;
    public static final int FLOW_HASH_OFFSET = 4;
    public static final int PARSE_FLAGS_OFFSET = 8;
    public static final int PARSE_ERROR_OFFSET = 10;
    public static final int VERDICT_OFFSET = 12;
    public static final int RX_QUEUE_OFFSET = 14;
    /** Bit 15 of the verdict field: the model sent the packet to Java, {@link #toJavaByModel()} (XDPML_VERDICT_TO_JAVA, xsk.h). */
    public static final int TO_JAVA = 0x8000;
    /**
     * Bit 15 of the parse_flags field: not sampled, copied to Java as its flow's first packet in its direction
     * ({@link #firstPick()}; XDPML_META_FIRST_PICK, xsk.h, mirror delivery only).
     */
    public static final int FIRST_PICK = 0x8000;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final MemorySegment umem;
    private long base;
    /** Whether the handler read the metadata of the current frame (then the loop clears it). */
    boolean read;

    XskMetadata(MemorySegment umem) {
        this.umem = umem;
    }

    /** A flyweight over metadata laid out in {@code memory} (e.g. a mirror ring record); point it with {@link #wrap}. */
    public static XskMetadata over(MemorySegment memory) {
        return new XskMetadata(memory);
    }

    /** Points the flyweight at the metadata starting at {@code base} (negative: none). */
    public void wrap(long base) { this.base = base; }

    /** Whether the program wrote metadata for this frame (the magic and version match). */
    public boolean present() {
        read = true;
        return base >= 0 && umem.get(U32, base + MAGIC_OFFSET) == MAGIC;
    }

    /** The flow key's hash ({@code xdpml_flow_meta_hash}, Java: {@code io.xdpml.flow.FlowHash.metadata}); 0 without IP. */
    public int flowHash() {
        read = true;
        return umem.get(U32, base + FLOW_HASH_OFFSET);
    }

    /** The parse's protocol flags ({@code io.xdpml.packet.ParseFlags}). */
    public int parseFlags() {
        read = true;
        return umem.get(U16, base + PARSE_FLAGS_OFFSET) & 0xffff & ~FIRST_PICK;
    }

    /**
     * Whether the packet was not sampled but copied as the first packet of its direction of its flow (deliver.h): it stands for
     * no other packet of the traffic.
     */
    public boolean firstPick() {
        read = true;
        return (umem.get(U16, base + PARSE_FLAGS_OFFSET) & FIRST_PICK) != 0;
    }

    /** The parse's error reason, 0 when none. */
    public int parseError() {
        read = true;
        return umem.get(U16, base + PARSE_ERROR_OFFSET) & 0xffff;
    }

    /** The model's class + 1, 0 when none. */
    public int verdict() {
        read = true;
        return umem.get(U16, base + VERDICT_OFFSET) & 0x1f;
    }

    /** The confidence (thousandths) of the model's class, 0 when none. */
    public int confidence() {
        read = true;
        return (umem.get(U16, base + VERDICT_OFFSET) >>> 5) & 0x3ff;
    }

    /**
     * Whether the model sent the packet to Java (its class's action is java, or its confidence is
     * below the class's minimum): then it was not sampled, and stands for itself alone.
     */
    public boolean toJavaByModel() {
        read = true;
        return toJavaByModel(umem.get(U16, base + VERDICT_OFFSET));
    }

    /** {@link #toJavaByModel()} of a verdict field's value (the Java twin's, {@code JavaDataPlane.lastVerdict()}). */
    public static boolean toJavaByModel(int verdict) {
        return (verdict & TO_JAVA) != 0;
    }

    /** The verdict field as the pipeline writes it: the class + 1 in bits 0-4, its confidence in bits 5-14, bit 15 {@link #TO_JAVA}. */
    public static int verdict(int cls, int confidence, boolean toJava) {
        return (cls + 1) | confidence << 5 | (toJava ? TO_JAVA : 0);
    }

    /** The receive queue the program saw the frame on. */
    public int rxQueue() {
        read = true;
        return umem.get(U16, base + RX_QUEUE_OFFSET) & 0xffff;
    }

    /** Clears the magic (the receive loop calls it after a handler that read the metadata). */
    void clear() {
        read = false;
        if (base >= 0) umem.set(U32, base + MAGIC_OFFSET, 0);
    }
}
