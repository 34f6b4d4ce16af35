package io.xdpml.gen;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Writes one Ethernet/IPv4 frame at a time into a buffer it owns and reuses (the generator's
 * hot path: nothing is allocated per frame), outermost layer first, then {@link #finish()} fills
 * in the IPv4 total length and all checksums (IPv4 header, TCP, UDP, ICMP).
 *
 * <pre>
 *  0            14                34 (+ TCP options)
 *  | Ethernet 14 | IPv4 20 (no opts) | TCP 20+ / UDP 8 / ICMP 8 | payload ...
 * </pre>
 */
final class FrameWriter {
    /** Largest frame written: a 1500-byte IP packet in Ethernet. */
    static final int MAX_FRAME = 1514;
    static final int ETH_LENGTH = 14;
    static final int IPV4_OFFSET = ETH_LENGTH;
    static final int IPV4_LENGTH = 20;
    static final int L4_OFFSET = IPV4_OFFSET + IPV4_LENGTH;
    static final int UDP_LENGTH = 8;
    static final int ICMP_LENGTH = 8;

    static final int PROTO_ICMP = 1;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final byte[] buf = new byte[MAX_FRAME];
    private final MemorySegment segment = MemorySegment.ofArray(buf);
    private int pos;
    private int protocol;
    private int l4Length;

    /** The buffer, frame at byte 0. */
    byte[] bytes() {
        return buf;
    }

    /** The buffer as a segment (one view, made once). */
    MemorySegment segment() {
        return segment;
    }

    /** Bytes written so far. */
    int position() {
        return pos;
    }

    /** Starts a frame: Ethernet (type IPv4) and an IPv4 header without options. */
    FrameWriter ipv4(byte[] dstMac, byte[] srcMac, int src, int dst, int protocol, int id, int ttl, boolean dontFragment) {
        System.arraycopy(dstMac, 0, buf, 0, 6);
        System.arraycopy(srcMac, 0, buf, 6, 6);
        put16(12, 0x0800);
        int h = IPV4_OFFSET;
        buf[h] = 0x45;
        buf[h + 1] = 0;
        put16(h + 2, 0);
        put16(h + 4, id);
        put16(h + 6, dontFragment ? 0x4000 : 0);
        buf[h + 8] = (byte) ttl;
        buf[h + 9] = (byte) protocol;
        put16(h + 10, 0);
        put32(h + 12, src);
        put32(h + 16, dst);
        this.protocol = protocol;
        pos = L4_OFFSET;
        return this;
    }

    /** A TCP header; {@code mss} > 0 adds an MSS option (4 bytes). */
    FrameWriter tcp(int sport, int dport, int seq, int ack, int flags, int window, int mss) {
        int h = L4_OFFSET;
        put16(h, sport);
        put16(h + 2, dport);
        put32(h + 4, seq);
        put32(h + 8, ack);
        int length = mss > 0 ? 24 : 20;
        buf[h + 12] = (byte) ((length / 4) << 4);
        buf[h + 13] = (byte) flags;
        put16(h + 14, window);
        put16(h + 16, 0);
        put16(h + 18, 0);
        if (mss > 0) {
            buf[h + 20] = 2; // kind MSS
            buf[h + 21] = 4;
            put16(h + 22, mss);
        }
        pos = h + length;
        return this;
    }

    /**
     * A TCP header announcing {@code optionBytes} (a multiple of 4) of options, which the caller
     * writes next (with {@link #u8}, {@link #u16}, {@link #u32}) before any payload.
     */
    FrameWriter tcpWithOptions(int sport, int dport, int seq, int ack, int flags, int window, int optionBytes) {
        if (optionBytes < 0 || optionBytes > 40 || optionBytes % 4 != 0) {
            throw new IllegalArgumentException("TCP option bytes " + optionBytes + ": a multiple of 4, at most 40");
        }
        tcp(sport, dport, seq, ack, flags, window, 0);
        buf[L4_OFFSET + 12] = (byte) (((20 + optionBytes) / 4) << 4);
        return this;
    }

    /** A UDP header (length and checksum filled in by {@link #finish()}). */
    FrameWriter udp(int sport, int dport) {
        int h = L4_OFFSET;
        put16(h, sport);
        put16(h + 2, dport);
        put16(h + 4, 0);
        put16(h + 6, 0);
        pos = h + UDP_LENGTH;
        return this;
    }

    /** An ICMP echo request header. */
    FrameWriter icmpEcho(int id, int seq) {
        int h = L4_OFFSET;
        buf[h] = 8;
        buf[h + 1] = 0;
        put16(h + 2, 0);
        put16(h + 4, id);
        put16(h + 6, seq);
        pos = h + ICMP_LENGTH;
        return this;
    }

    FrameWriter u8(int v) {
        buf[pos++] = (byte) v;
        return this;
    }

    FrameWriter u16(int v) {
        put16(pos, v);
        pos += 2;
        return this;
    }

    FrameWriter u32(int v) {
        put32(pos, v);
        pos += 4;
        return this;
    }

    /** ASCII text (characters below 128). */
    FrameWriter ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            buf[pos++] = (byte) s.charAt(i);
        }
        return this;
    }

    /** A non-negative int in decimal ASCII digits. */
    FrameWriter decimal(int v) {
        int digits = 1;
        for (int x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = digits - 1; i >= 0; i--) {
            buf[pos + i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        pos += digits;
        return this;
    }

    /** {@code n} bytes of {@code b} from {@code from}. */
    FrameWriter bytes(byte[] b, int from, int n) {
        System.arraycopy(b, from, buf, pos, n);
        pos += n;
        return this;
    }

    /** {@code n} bytes of the value {@code v}. */
    FrameWriter fill(int v, int n) {
        java.util.Arrays.fill(buf, pos, pos + n, (byte) v);
        pos += n;
        return this;
    }

    /** Overwrites a 16-bit big-endian field at {@code offset} (e.g. a count known only at the end). */
    void set16(int offset, int v) {
        put16(offset, v);
    }

    /** Fills in lengths and checksums; returns the frame length. */
    int finish() {
        int end = pos;
        int h = IPV4_OFFSET;
        put16(h + 2, end - h);
        put16(h + 10, fold(sum(0, h, IPV4_LENGTH)));
        l4Length = end - L4_OFFSET;
        switch (protocol) {
            case PROTO_TCP -> put16(L4_OFFSET + 16, fold(sum(pseudo(), L4_OFFSET, l4Length)));
            case PROTO_UDP -> {
                put16(L4_OFFSET + 4, l4Length);
                int c = fold(sum(pseudo(), L4_OFFSET, l4Length));
                put16(L4_OFFSET + 6, c == 0 ? 0xffff : c);
            }
            case PROTO_ICMP -> put16(L4_OFFSET + 2, fold(sum(0, L4_OFFSET, l4Length)));
            default -> throw new IllegalStateException("protocol " + protocol);
        }
        return end;
    }

    private long pseudo() {
        return sum(0, IPV4_OFFSET + 12, 8) + protocol + l4Length;
    }

    /** Ones' complement sum of big-endian words: 32 bits at a time (folding later makes it the 16-bit sum). */
    private long sum(long s, int off, int len) {
        int i = 0;
        for (; i + 3 < len; i += 4) {
            s += segment.get(BE_INT, off + i) & 0xffff_ffffL;
        }
        if (i + 1 < len) {
            s += ((buf[off + i] & 0xff) << 8) | (buf[off + i + 1] & 0xff);
            i += 2;
        }
        if (i < len) {
            s += (buf[off + i] & 0xff) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) { // end-around carries
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    private void put16(int off, int v) {
        buf[off] = (byte) (v >>> 8);
        buf[off + 1] = (byte) v;
    }

    private void put32(int off, int v) {
        put16(off, v >>> 16);
        put16(off + 2, v);
    }
}
