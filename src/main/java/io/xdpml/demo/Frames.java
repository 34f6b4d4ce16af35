package io.xdpml.demo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The little the demo reads of a frame itself: the IPv4 source of an untagged Ethernet frame. */
final class Frames {
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Frames() {}

    /** The IPv4 source address, or 0 when the frame is not untagged IPv4. */
    static int ipv4Source(MemorySegment m, long offset, int length) {
        if (length < 34 || m.get(ValueLayout.JAVA_BYTE, offset + 12) != 0x08 || m.get(ValueLayout.JAVA_BYTE, offset + 13) != 0x00) {
            return 0;
        }
        return m.get(BE32, offset + 26);
    }
}
