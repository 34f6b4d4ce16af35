package io.xdpml.firewall;

import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The TCP side of conntrack, the twin of firewall.h's xdpml_fw_ct_tcp, xdpml_fw_rst_believed,
 * xdpml_fw_seq_learn and firewall_stage.h's xdpml_fw_ct_step: the state machine, and the sequence
 * check that keeps a forged RST from closing a connection (since 2026-12-06; before, any RST
 * closed it). An entry is a {@code long[]} of {@link #SIZE}: last_ns, state, initiator_is_a,
 * fin_seen, seq_known, and the end of what each sender sent (initiator, responder).
 */
final class TcpTracking {
    static final int LAST_NS = 0;
    static final int STATE = 1;
    static final int INITIATOR_IS_A = 2;
    static final int FIN_SEEN = 3;
    static final int SEQ_KNOWN = 4;
    static final int NEXT_SEQ = 5; // + 0 the initiator's, + 1 the responder's
    static final int SIZE = 7;

    /** XDPML_FW_SEQ_WINDOW: how far a RST may lie from its sender's end, and one segment move it. */
    static final long SEQ_WINDOW = 1L << 20;

    static final int PASS = 0;
    static final int INVALID = 1;
    static final int NEW = 2;
    static final int RST_WINDOW = 3;

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;
    private static final ValueLayout.OfInt BIG_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /** A TCP segment's flags and numbers (xdpml_fw_seg), read in place: one per firewall, reused. */
    static final class Segment {
        int flags;
        long seq;
        long ack;
        long end; // seq + payload + SYN + FIN, modulo 2^32

        /** Reads the segment of a cleanly parsed TCP packet (xdpml_fw_seg_end, xdpml_fw_seg_read). */
        void read(MemorySegment frame, ParseSummary s) {
            int l3 = s.l3Offset();
            int l4 = s.l4Offset();
            int version = (frame.get(ValueLayout.JAVA_BYTE, l3) & 0xff) >>> 4;
            long ipEnd = l3 + (version == 4 ? u16(frame, l3 + 2) : 40 + u16(frame, l3 + 4));
            long hdrEnd = l4 + ((frame.get(ValueLayout.JAVA_BYTE, l4 + 12) & 0xff) >>> 4) * 4L;
            flags = frame.get(ValueLayout.JAVA_BYTE, l4 + 13) & 0xff;
            seq = frame.get(BIG_INT, l4 + 4) & 0xffff_ffffL;
            ack = frame.get(BIG_INT, l4 + 8) & 0xffff_ffffL;
            end = (seq + (ipEnd > hdrEnd ? ipEnd - hdrEnd : 0) + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0))
                    & 0xffff_ffffL;
        }

        private static int u16(MemorySegment f, int at) {
            return (f.get(ValueLayout.JAVA_BYTE, at) & 0xff) << 8 | (f.get(ValueLayout.JAVA_BYTE, at + 1) & 0xff);
        }
    }

    private TcpTracking() {}

    /**
     * A new TCP entry whose initiator sent g (xdpml_fw_ct_open), written into e: its end known, and
     * with an ACK the responder's too, the ACK (since 2026-12-06, see {@link #learn}).
     */
    static void open(long[] e, long now, boolean fromA, Segment g) {
        int state = (g.flags & (SYN | ACK)) == SYN ? FirewallLayout.CT_SYN_SENT : FirewallLayout.CT_ESTABLISHED;
        boolean acks = (g.flags & ACK) != 0;
        set(e, now, state, fromA ? 1 : 0, 0, acks ? 3 : 1, g.end, acks ? g.ack : 0);
    }

    /** A new UDP entry, written into e. */
    static void openUdp(long[] e, long now, boolean fromA) {
        set(e, now, FirewallLayout.CT_UDP, fromA ? 1 : 0, 0, 0, 0, 0);
    }

    /** Writes an entry's {@link #SIZE} words into e (a table's array, reused: no allocation per connection). */
    private static void set(long[] e, long lastNs, long state, long initiatorIsA, long finSeen, long seqKnown, long initiatorEnd,
                            long responderEnd) {
        e[LAST_NS] = lastNs;
        e[STATE] = state;
        e[INITIATOR_IS_A] = initiatorIsA;
        e[FIN_SEEN] = finSeen;
        e[SEQ_KNOWN] = seqKnown;
        e[NEXT_SEQ] = initiatorEnd;
        e[NEXT_SEQ + 1] = responderEnd;
    }

    /** xdpml_fw_seq_near: x within SEQ_WINDOW of ref, either way, modulo 2^32. */
    static boolean near(long x, long ref) {
        long d = (x - ref) & 0xffff_ffffL;
        return d <= SEQ_WINDOW || ((-d) & 0xffff_ffffL) <= SEQ_WINDOW;
    }

    /** The state machine and sequence check on a live entry (xdpml_fw_ct_step): PASS, INVALID, NEW, RST_WINDOW. */
    static int step(long[] e, boolean fwd, Segment g) {
        int d = fwd ? 0 : 1;
        long known = e[SEQ_KNOWN];
        boolean rst = (g.flags & RST) != 0;
        boolean believed = rst && rstBelieved(e, known, d, g);
        int r = machine(e, fwd, g.flags, believed);
        if (r != PASS || rst) {
            return r;
        }
        learn(e, known, d, g);
        return PASS;
    }

    /** xdpml_fw_rst_believed. */
    private static boolean rstBelieved(long[] e, long known, int d, Segment g) {
        if ((known & (1L << d)) != 0) {
            return near(g.seq, e[NEXT_SEQ + d]);
        }
        return (g.flags & ACK) != 0 && (known & (1L << (1 - d))) != 0 && near(g.ack, e[NEXT_SEQ + 1 - d]);
    }

    /**
     * xdpml_fw_seq_learn and xdpml_fw_peer_learn, applied: a known sender's segment with an ACK and
     * its sequence near its end teaches the other side's end, the ACK, when that side is not known
     * or the ACK is ahead of its end by at most SEQ_WINDOW (since 2026-12-06; before, a side never
     * seen stayed unknown until a segment of its own, and its RST without ACK, sequence = the ACK it
     * answers, was refused).
     */
    private static void learn(long[] e, long known, int d, Segment g) {
        if ((known & (1L << d)) != 0) {
            if ((g.flags & ACK) != 0 && near(g.seq, e[NEXT_SEQ + d])) {
                long ackAhead = (g.ack - e[NEXT_SEQ + 1 - d]) & 0xffff_ffffL;
                if ((known & (1L << (1 - d))) == 0 || (ackAhead != 0 && ackAhead <= SEQ_WINDOW)) {
                    e[NEXT_SEQ + 1 - d] = g.ack;
                    e[SEQ_KNOWN] |= 1L << (1 - d);
                }
            }
            long ahead = (g.end - e[NEXT_SEQ + d]) & 0xffff_ffffL;
            if (ahead != 0 && ahead <= SEQ_WINDOW) {
                e[NEXT_SEQ + d] = g.end;
            }
            return;
        }
        if ((g.flags & ACK) != 0 && (known & (1L << (1 - d))) != 0 && near(g.ack, e[NEXT_SEQ + 1 - d])) {
            e[NEXT_SEQ + d] = g.end;
            e[SEQ_KNOWN] |= 1L << d;
        }
    }

    /** The TCP state machine (xdpml_fw_ct_tcp); changes e only when it returns PASS. */
    static int machine(long[] e, boolean fwd, int flags, boolean rstBelieved) {
        boolean syn = (flags & SYN) != 0;
        boolean ack = (flags & ACK) != 0;
        if ((flags & RST) != 0) {
            if (!rstBelieved) {
                return RST_WINDOW;
            }
            e[STATE] = FirewallLayout.CT_CLOSED;
            return PASS;
        }
        switch ((int) e[STATE]) {
            case FirewallLayout.CT_SYN_SENT -> {
                if (!fwd && syn && ack) {
                    e[STATE] = FirewallLayout.CT_SYN_RECV;
                    return PASS;
                }
                if (fwd && syn && !ack) {
                    return PASS;
                }
                if (!fwd && ack && !syn && (flags & FIN) == 0) {
                    return PASS; // the responder's challenge ACK (RFC 5961)
                }
                if (!(fwd && ack && !syn)) {
                    return INVALID;
                }
                e[STATE] = FirewallLayout.CT_ESTABLISHED; // the SYN-ACK left by a path XDP does not see (one NIC)
            }
            case FirewallLayout.CT_SYN_RECV -> {
                if (!fwd && syn && ack) {
                    return PASS;
                }
                if (fwd && syn && !ack) {
                    return PASS; // retransmitted SYN: its SYN-ACK was lost
                }
                if (!(fwd && ack && !syn)) {
                    return INVALID;
                }
                e[STATE] = FirewallLayout.CT_ESTABLISHED;
            }
            case FirewallLayout.CT_ESTABLISHED, FirewallLayout.CT_FIN_WAIT -> {
                if (!fwd && syn && ack) {
                    return PASS; // retransmitted SYN-ACK: the handshake's ACK was lost
                }
                if (fwd && syn && !ack && (e[FIN_SEEN] & 1) != 0) {
                    return NEW; // the initiator sent its FIN: its SYN opens a new connection of these ports (its port used again)
                }
                if (fwd && syn && !ack && (flags & FIN) == 0) {
                    return PASS; // the initiator's SYN on a connection it never closed here: passed, the entry unchanged (Linux: sIG)
                }
                if (syn) {
                    return INVALID;
                }
            }
            case FirewallLayout.CT_CLOSED -> {
                return syn ? NEW : PASS;
            }
            default -> {
                return INVALID;
            }
        }
        if ((flags & FIN) != 0) {
            e[FIN_SEEN] |= fwd ? 1 : 2;
            e[STATE] = e[FIN_SEEN] == 3 ? FirewallLayout.CT_CLOSED : FirewallLayout.CT_FIN_WAIT;
        }
        return PASS;
    }
}
