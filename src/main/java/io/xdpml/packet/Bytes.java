package io.xdpml.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Network-order (big-endian), unaligned reads from packet memory. */
public final class Bytes {
    /** Packet fields: unaligned, big-endian. */
    public static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Bytes() {}

    public static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xff;
    }

    public static int be16(MemorySegment s, long off) {
        return s.get(BE16, off) & 0xffff;
    }

    public static long be32(MemorySegment s, long off) {
        return s.get(BE32, off) & 0xffff_ffffL;
    }
}
