package io.xdpml.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Shannon entropy of a packet's payload, in bits per byte, over a bounded prefix: the Java twin
 * of {@code bpf/include/xdpml/entropy.h}, integer for integer.
 *
 * <p>Definition (kernel and Java alike):
 * <ul>
 * <li><b>Payload</b>: the innermost transport payload the parser found ({@link ParseSummary}): after
 *     the TCP header (its data offset), after the 8-byte UDP header, after the first 8 bytes of an
 *     ICMP or ICMPv6 message (type, code, checksum and the rest of the header: identifier and
 *     sequence of an echo). It ends where the innermost IP packet ends by its own length field
 *     (IPv4 total length; IPv6 payload length, the frame when it is 0) or where the frame ends,
 *     whichever is first: Ethernet padding is not payload. A packet with a parse error, without
 *     a transport header (a later fragment, ARP) or another protocol has no payload. Under VXLAN
 *     an inner frame that is not IP (ARP) has none either, as the same frame outside the tunnel
 *     (since 2026-12-06; before, the outer UDP header being the innermost the parser found, the
 *     payload was the outer UDP's: the VXLAN header and the inner frame).</li>
 * <li><b>Prefix</b>: its first {@code n = min(prefix, payload length)} bytes; {@code prefix} is at
 *     most {@link #MAX_PREFIX} (64, the kernel's bound) and 64 by default.</li>
 * <li><b>Entropy</b> with the histogram {@code c[b]} of those n bytes:
 *     {@code H = log2(n) - (1/n) * sum c[b] log2 c[b]}, in fixed point:
 *     {@code Hq = (T[n] - sum T[c[b]]) / n} (integer division, rounding down), where
 *     {@code T[c] = round(c * log2(c) * 2^16)} ({@link #table()}; the C header carries the same
 *     numbers, {@code PayloadEntropyTest} compares them). {@code Hq / 65536.0} is bits per byte,
 *     within two steps (2^-15) of the exact value, not one: the floor costs under one step and the
 *     rounded T terms under half a step more (T[n] and at most n/2 others round, each by at most
 *     half a step, over n); 1.04 steps was the largest error in 2 million random inputs. 0 when n is 0 (no payload) or the
 *     payload is one byte repeated.</li>
 * </ul>
 *
 * <p>Why 64 bytes: a histogram of n bytes cannot show more than log2(n) bits per byte, so 64 bytes
 * of random data read about 5.7 (at most 6), text and protocol headers 3-5, a constant fill 0:
 * enough to tell generated filler from compressed or encrypted data, and the kernel pays per byte
 * (BENCHMARKS.md, "Payload entropy"). A longer prefix costs Java little but would no longer be the
 * kernel's number.
 *
 * <p>One instance per thread: it keeps a reusable 256-bin histogram (no allocation per packet).
 */
public final class PayloadEntropy {
    /** The kernel's bound on the prefix (XDPML_ENTROPY_MAX_PREFIX). */
    public static final int MAX_PREFIX = 64;
    /** The default prefix. */
    public static final int DEFAULT_PREFIX = 64;
    /** Fixed point: entropies are in 1/2^16 bits per byte. */
    public static final int SHIFT = 16;
    public static final double ONE = 1 << SHIFT;

    private static final int[] T = computeTable();
    /** D[c] = T[c + 1] - T[c]: what raising a count from c to c + 1 adds (the kernel's xdpml_entropy_dclog2c). */
    private static final int[] D = new int[MAX_PREFIX];

    static {
        for (int c = 0; c < MAX_PREFIX; c++) {
            D[c] = T[c + 1] - T[c];
        }
    }

    private final int prefix;
    private final int[] hist = new int[256];
    private final byte[] bytes = new byte[MAX_PREFIX];
    private int lastBytes;

    public PayloadEntropy() {
        this(DEFAULT_PREFIX);
    }

    /** @param prefix bytes of payload looked at, 1 to {@link #MAX_PREFIX} */
    public PayloadEntropy(int prefix) {
        if (prefix < 1 || prefix > MAX_PREFIX) {
            throw new IllegalArgumentException("payload entropy prefix must be 1 to " + MAX_PREFIX + ", not " + prefix);
        }
        this.prefix = prefix;
    }

    public int prefix() {
        return prefix;
    }

    /** {@code T[c] = round(c * log2(c) * 2^16)} for c = 0..64 (a copy). */
    public static int[] table() {
        return T.clone();
    }

    private static int[] computeTable() {
        int[] t = new int[MAX_PREFIX + 1];
        for (int c = 2; c <= MAX_PREFIX; c++) {
            t[c] = (int) StrictMath.round(c * (StrictMath.log(c) / StrictMath.log(2)) * (1 << SHIFT));
        }
        return t;
    }

    /** Fixed-point entropy (1/2^16 bits per byte) to bits per byte. */
    public static double bits(int q16) {
        return q16 / ONE;
    }

    /**
     * The entropy of the packet's payload prefix, in 1/2^16 bits per byte (the kernel's number);
     * {@link #lastBytes()} then says over how many bytes.
     *
     * @param frame   memory holding the frame
     * @param base    where the frame starts in it
     * @param length  the frame's length (as captured)
     * @param summary the parse of that frame
     */
    public int ofPacket(MemorySegment frame, long base, int length, ParseSummary summary) {
        lastBytes = 0;
        long bounds = payloadBounds(frame, base, length, summary);
        if (bounds < 0) {
            return 0;
        }
        int start = (int) (bounds >>> 32);
        int end = (int) bounds;
        return ofBytes(frame, base + start, Math.min(prefix, end - start));
    }

    /** Bytes the last {@link #ofPacket} looked at (0: no payload). */
    public int lastBytes() {
        return lastBytes;
    }

    /**
     * The payload of a parsed frame as {@code start << 32 | end} (offsets from the frame's start,
     * start < end), or -1 when it has none. The definition in the class comment.
     */
    public static long payloadBounds(MemorySegment frame, long base, int length, ParseSummary s) {
        int l3 = s.l3Offset();
        int l4 = s.l4Offset();
        if (s.error() != 0 || l3 == 0 || l4 == 0 || l3 + 6 > length) {
            return -1;
        }
        if ((s.flags() & ParseFlags.VXLAN) != 0 && l3 == 14 + 4 * s.vlanDepth()) {
            return -1; // the innermost IP header is the outer one: the inner frame is not IP, no payload as outside the tunnel
        }
        long ip = base + l3;
        int ipEnd;
        if ((Bytes.u8(frame, ip) >>> 4) == 4) {
            ipEnd = l3 + Bytes.be16(frame, ip + 2);
        } else {
            int payload = Bytes.be16(frame, ip + 4);
            ipEnd = payload == 0 ? length : l3 + 40 + payload;
        }
        int end = Math.min(ipEnd, length);
        int start;
        switch (s.l4Protocol()) {
            case 6 -> {
                if (l4 + 13 > length) {
                    return -1;
                }
                start = l4 + (Bytes.u8(frame, base + l4 + 12) >>> 4) * 4;
            }
            case 17, 1, 58 -> start = l4 + 8;
            default -> {
                return -1;
            }
        }
        if (start >= end) {
            return -1;
        }
        return ((long) start << 32) | end;
    }

    /**
     * The entropy of {@code n} bytes at {@code at} (n from 0 to {@link #MAX_PREFIX}), in 1/2^16 bits
     * per byte.
     */
    public int ofBytes(MemorySegment m, long at, int n) {
        if (n < 0 || n > MAX_PREFIX) {
            throw new IllegalArgumentException("n must be 0 to " + MAX_PREFIX + ", not " + n);
        }
        lastBytes = n;
        if (n == 0) {
            return 0;
        }
        byte[] x = bytes;
        MemorySegment.copy(m, ValueLayout.JAVA_BYTE, at, x, 0, n); // one bounds check, then plain array reads
        int[] h = hist;
        int sum = 0;
        for (int i = 0; i < n; i++) {
            int b = x[i] & 0xff;
            int c = h[b];
            sum += D[c];
            h[b] = c + 1;
        }
        for (int i = 0; i < n; i++) {
            h[x[i] & 0xff] = 0;
        }
        return Integer.divideUnsigned(T[n] - sum, n);
    }

    /** The exact Shannon entropy of the same bytes in double arithmetic (for tests and docs). */
    public static double exactBits(byte[] b, int from, int n) {
        if (n == 0) {
            return 0;
        }
        int[] c = new int[256];
        for (int i = 0; i < n; i++) {
            c[b[from + i] & 0xff]++;
        }
        double h = 0;
        for (int x : c) {
            if (x > 0) {
                double p = (double) x / n;
                h -= p * Math.log(p) / Math.log(2);
            }
        }
        return h;
    }
}
