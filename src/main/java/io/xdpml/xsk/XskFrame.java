package io.xdpml.xsk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A received frame read in place in the UMEM: a flyweight (one per socket, re-pointed at each
 * frame; no copy, no allocation). Valid only inside {@link XskFrameHandler#onFrame}. Multi-byte
 * getters read network byte order (big-endian), as packet fields are.
 */
public final class XskFrame {
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MemorySegment umem;
    private final XskMetadata metadata;
    /** {@link MetadataLayout#IN_FRAME}: the descriptor's frame begins with the metadata, the packet follows. */
    boolean metadataInFrame;
    private long offset;
    private int length;
    private int queue;

    XskFrame(MemorySegment umem) {
        this.umem = umem;
        this.metadata = new XskMetadata(umem);
    }

    /** Points at the descriptor's frame: {@code offset}, {@code length} as the RX ring gives them. */
    void wrap(long offset, int length, int queue) {
        this.queue = queue;
        if (metadataInFrame && length >= XskMetadata.SIZE) {
            metadata.wrap(offset);
            this.offset = offset + XskMetadata.SIZE;
            this.length = length - XskMetadata.SIZE;
        } else {
            metadata.wrap(offset - XskMetadata.SIZE);
            this.offset = offset;
            this.length = length;
        }
    }

    /** Frame length in bytes (from the Ethernet header on). */
    public int length() { return length; }

    /** The queue of the socket that received it. */
    public int queue() { return queue; }

    /** The whole UMEM; the frame is bytes {@link #offset()} to {@code offset() + length()}. */
    public MemorySegment umem() { return umem; }

    /** Where the frame starts in {@link #umem()} (its UMEM address). */
    public long offset() { return offset; }

    /** Byte {@code i} of the frame. */
    public byte getByte(int i) {
        return umem.get(JAVA_BYTE, offset + Objects.checkIndex(i, length));
    }

    /** Unsigned byte {@code i}. */
    public int getU8(int i) { return getByte(i) & 0xff; }

    /** Big-endian unsigned 16 bits at {@code i}. */
    public int getU16(int i) {
        Objects.checkFromIndexSize(i, 2, length);
        return umem.get(U16_BE, offset + i) & 0xffff;
    }

    /** Big-endian 32 bits at {@code i}. */
    public int getInt(int i) {
        Objects.checkFromIndexSize(i, 4, length);
        return umem.get(U32_BE, offset + i);
    }

    /** Copies the frame's bytes into {@code dst} from {@code dstOffset}; returns the count. */
    public int copyTo(byte[] dst, int dstOffset) {
        int n = Math.min(length, dst.length - dstOffset);
        MemorySegment.copy(umem, JAVA_BYTE, offset, dst, dstOffset, n);
        return n;
    }

    /** A copy of the frame (allocates: for tests and captures, not the hot path). */
    public byte[] toByteArray() {
        byte[] b = new byte[length];
        copyTo(b, 0);
        return b;
    }

    /**
     * The metadata the XDP program put before the packet (in the headroom, or at the start of the
     * descriptor's frame: {@link MetadataLayout}; the frame here is the packet alone either way) ({@code struct xdpml_xsk_meta}); check
     * {@link XskMetadata#present()} first: a program that writes none leaves it absent.
     */
    public XskMetadata metadata() { return metadata; }
}
