package io.xdpml.pcap;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Unaligned value layouts for both byte orders; capture files are not aligned to anything. */
final class ByteOrders {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private ByteOrders() {}

    static ValueLayout.OfShort shortLayout(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? SHORT_BE : SHORT_LE;
    }

    static ValueLayout.OfInt intLayout(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? INT_BE : INT_LE;
    }

    static ValueLayout.OfLong longLayout(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? LONG_BE : LONG_LE;
    }
}
