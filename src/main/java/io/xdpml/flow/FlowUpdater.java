package io.xdpml.flow;

import static io.xdpml.flow.FlowLayout.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The per-packet flow update, the Java twin of {@code xdpml_flow_update} in flow.h, operating on
 * the same bytes ({@link FlowLayout}). All arithmetic is the kernel's: unsigned 64-bit with
 * saturation where flow.h saturates, signed division truncating toward zero, intervals in whole
 * microseconds clamped to u32.
 */
public final class FlowUpdater {
    private static final long U32_MAX = 0xffff_ffffL;

    private FlowUpdater() {}

    /**
     * Updates the state {@code f} (zeros for a new flow) with packet {@code p} at {@code now}; returns the
     * direction. Intervals and running statistics count the packets that are not untimed ({@link #updateCached}).
     */
    public static int update(MemorySegment f, FlowPacket p, long now) {
        long total = u64(f, DIR + D_PACKETS) + u64(f, DIR + DIR_SIZE + D_PACKETS);
        long timed = total - u64(f, UNTIMED); // packets in the timing statistics so far
        long flowLast = u64(f, LAST_NS);
        long iat = 0; // flow inter-arrival time, us
        if (total == 0) {
            f.set(U64, FIRST_NS, now);
            f.set(ValueLayout.JAVA_BYTE, INITIATOR_IS_A, (byte) (p.fromA ? 1 : 0));
        } else {
            iat = usBetween(flowLast, now);
            iatAdd(f, IAT_SUM_US, IAT_SUM_SQ, IAT_MIN_US, IAT_MAX_US, timed == 1, iat);
        }
        int d = direction(f, p);
        long s = dirOffset(d);
        long packets = u64(f, s + D_PACKETS);
        if (packets == 0) {
            dirFirst(f, s, p);
        } else {
            iatAdd(f, s + D_IAT_SUM_US, s + D_IAT_SUM_SQ, s + D_IAT_MIN_US, s + D_IAT_MAX_US,
                    packets - u32(f, s + D_UNTIMED) == 1, usBetween(u64(f, s + D_LAST_NS), now));
        }
        dirAdd(f, s, p, now);
        flagsAdd(f, p.tcpFlags, d);

        long n = timed + 1;
        if (Long.compareUnsigned(iat, U32_MAX) > 0) {
            iat = U32_MAX;
        }
        runningAdd(f, RUN_LEN, p.normLength << 16, n);
        runningAdd(f, RUN_IAT, iat << 16, n);
        runningAdd(f, RUN_DIR, d == FWD ? 1L << 16 : 0, n);
        if (Long.compareUnsigned(now, flowLast) > 0) {
            f.set(U64, LAST_NS, now);
        }
        return d;
    }

    /**
     * Updates {@code f}, a flow whose class is cached, with packet {@code p} at {@code now}, as
     * {@code xdpml_flow_update_cached}: counts, bytes, lengths, header bytes, TCP flags, close state and
     * last times, but no interval and no running statistic; the packet counts as untimed. Returns the
     * direction.
     */
    public static int updateCached(MemorySegment f, FlowPacket p, long now) {
        int d = direction(f, p);
        long s = dirOffset(d);
        if (u64(f, s + D_PACKETS) == 0) {
            dirFirst(f, s, p);
        } else {
            long untimed = u32(f, s + D_UNTIMED);
            if (untimed != U32_MAX) {
                f.set(U32, s + D_UNTIMED, (int) (untimed + 1));
            }
        }
        dirAdd(f, s, p, now);
        flagsAdd(f, p.tcpFlags, d);
        f.set(U64, UNTIMED, u64(f, UNTIMED) + 1);
        if (Long.compareUnsigned(now, u64(f, LAST_NS)) > 0) {
            f.set(U64, LAST_NS, now);
        }
        return d;
    }

    private static int direction(MemorySegment f, FlowPacket p) {
        boolean initiatorIsA = f.get(ValueLayout.JAVA_BYTE, INITIATOR_IS_A) != 0;
        return p.fromA == initiatorIsA ? FWD : BWD;
    }

    /** A direction's first packet: its smallest length so far and its TCP window. */
    private static void dirFirst(MemorySegment f, long s, FlowPacket p) {
        f.set(U32, s + D_LEN_MIN, (int) p.length);
        f.set(U16, s + D_INIT_WINDOW, (short) p.tcpWindow);
    }

    /** A direction's counts, lengths, header bytes and last time, with one packet. */
    private static void dirAdd(MemorySegment f, long s, FlowPacket p, long now) {
        long length = p.length;
        f.set(U64, s + D_PACKETS, u64(f, s + D_PACKETS) + 1);
        f.set(U64, s + D_BYTES, u64(f, s + D_BYTES) + length);
        f.set(U64, s + D_LEN_SUM_SQ, satAdd(u64(f, s + D_LEN_SUM_SQ), length * length));
        f.set(U64, s + D_HEADER_BYTES, u64(f, s + D_HEADER_BYTES) + p.headerBytes);
        f.set(U32, s + D_LEN_MIN, (int) Math.min(u32(f, s + D_LEN_MIN), length));
        f.set(U32, s + D_LEN_MAX, (int) Math.max(u32(f, s + D_LEN_MAX), length));
        int data = u16(f, s + D_DATA_PACKETS);
        if (p.normLength > 14 + p.headerBytes && data != 0xffff) { // payload by the IP packet's stated length: no padding
            f.set(U16, s + D_DATA_PACKETS, (short) (data + 1));
        }
        if (Long.compareUnsigned(now, u64(f, s + D_LAST_NS)) > 0) { // times only move forward
            f.set(U64, s + D_LAST_NS, now);
        }
    }

    /** The TCP flag counts and the close state, with one packet in direction {@code d}. */
    private static void flagsAdd(MemorySegment f, int fl, int d) {
        if (fl == 0) {
            return;
        }
        for (int i = 0; i < 8; i++) {
            if ((fl & (1 << i)) != 0) {
                long at = tcpFlagOffset(i);
                f.set(U32, at, f.get(U32, at) + 1);
            }
        }
        int closing = f.get(ValueLayout.JAVA_BYTE, CLOSING) & 0xff;
        if ((fl & 0x01) != 0) {
            closing |= d == FWD ? 1 : 2;
        }
        if ((fl & 0x04) != 0) {
            closing |= 4;
        }
        f.set(ValueLayout.JAVA_BYTE, CLOSING, (byte) closing);
    }

    static long satAdd(long a, long b) {
        long s = a + b;
        return Long.compareUnsigned(s, a) < 0 ? -1L : s;
    }

    static long sdiv(long a, long n) {
        return a < 0 ? -Long.divideUnsigned(-a, n) : Long.divideUnsigned(a, n);
    }

    static long usBetween(long earlier, long now) {
        return Long.compareUnsigned(now, earlier) > 0 ? Long.divideUnsigned(now - earlier, 1000) : 0;
    }

    private static void runningAdd(MemorySegment f, long at, long x, long n) {
        long mean = u64(f, at + RUN_MEAN);
        mean += sdiv(x - mean, n);
        long d = Math.abs(x - mean);
        long mad = u64(f, at + RUN_MAD);
        mad += sdiv(d - mad, n);
        f.set(U64, at + RUN_MEAN, mean);
        f.set(U64, at + RUN_MAD, mad);
    }

    /** One more interval; {@code first}: none before it. */
    private static void iatAdd(MemorySegment f, long sum, long sumSq, long min, long max, boolean first, long iatUs) {
        long v = Long.compareUnsigned(iatUs, U32_MAX) > 0 ? U32_MAX : iatUs;
        f.set(U64, sum, satAdd(u64(f, sum), v));
        f.set(U64, sumSq, satAdd(u64(f, sumSq), v * v));
        if (first || v < u32(f, min)) {
            f.set(U32, min, (int) v);
        }
        if (v > u32(f, max)) {
            f.set(U32, max, (int) v);
        }
    }
}
