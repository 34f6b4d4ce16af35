package io.xdpml.detect;

import io.xdpml.flow.FlowLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The (client, server, server port) pairs of one census of the flow table, for the detectors that
 * read it ({@link FlowTableDetector}): a flow's client is its initiator (the flow's first sender),
 * read from its key by {@code INITIATOR_IS_A}. One pair per (client, server, port), in the order of
 * its first flow; at the census's end ({@link #clear}) the pairs are kept for the next one, at most
 * {@link #MAX_SPARE} (about 100 bytes each), so a census of a steady table allocates none and one of
 * more pairs allocates the rest, once each.
 */
final class CensusPairs<P extends CensusPairs.Pair> {
    static final int MAX_SPARE = 4096;
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** What every pair holds; a detector's pairs add their counts and {@link #reset} them. */
    abstract static class Pair {
        long key;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        int port;

        /** Its counts to zero: it starts a census. */
        abstract void reset();

        String source() {
            return Addresses.text(srcHi, srcLo);
        }

        String service() {
            return Addresses.text(dstHi, dstLo) + ":" + port;
        }
    }

    private final Supplier<P> make;
    private final LongObjectMap<P> byKey = new LongObjectMap<>(64);
    private final List<P> used = new ArrayList<>();
    private final List<P> spare = new ArrayList<>();

    CensusPairs(Supplier<P> make) {
        this.make = make;
    }

    /** The port of a flow's server (the initiator's peer). */
    static int serverPort(MemorySegment key, MemorySegment state) {
        boolean initiatorIsA = state.get(ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        return FlowLayout.u16(key, initiatorIsA ? FlowLayout.KEY_PORT_B : FlowLayout.KEY_PORT_A);
    }

    /** Packets from a TCP flow's client, one with ACK, that make it a connection completed (SYN, ACK, a first word). */
    static final int COMPLETED_PACKETS = 3;

    /**
     * Whether a TCP flow is a connection its client completed, as one way can tell: at least
     * {@value #COMPLETED_PACKETS} packets from the client, one of them with ACK. A forged SYN (its sender never sees
     * the SYN-ACK) makes a flow of one packet; a flooder's retransmitted SYNs carry no ACK.
     */
    static boolean completed(MemorySegment state) {
        return FlowLayout.u64(state, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS) >= COMPLETED_PACKETS
                && FlowLayout.tcpFlagCount(state, FlowLayout.FLAG_ACK) != 0;
    }

    /**
     * One connection of a flow's pair ({@link #pairKey}): its client port and its first packet's time, so a flow
     * seen at two censuses is one connection, and a new flow of the same ports another.
     */
    static long connectionKey(long pairKey, MemorySegment key, MemorySegment state) {
        boolean initiatorIsA = state.get(ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        int clientPort = FlowLayout.u16(key, initiatorIsA ? FlowLayout.KEY_PORT_A : FlowLayout.KEY_PORT_B);
        return Addresses.mix(pairKey ^ ((long) clientPort << 40) ^ Addresses.mix(FlowLayout.u64(state, FlowLayout.FIRST_NS)));
    }

    /** The key of a flow's (initiator, peer, server port) pair, as {@link ConnFloodDetector#pairKey} gives it from a packet of the initiator. */
    static long pairKey(MemorySegment key, MemorySegment state) {
        boolean initiatorIsA = state.get(ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        long src = initiatorIsA ? FlowLayout.KEY_ADDR_A : FlowLayout.KEY_ADDR_B;
        long dst = initiatorIsA ? FlowLayout.KEY_ADDR_B : FlowLayout.KEY_ADDR_A;
        int port = FlowLayout.u16(key, initiatorIsA ? FlowLayout.KEY_PORT_B : FlowLayout.KEY_PORT_A);
        return Addresses.mix(Addresses.pair(Addresses.key(key.get(BE64, src), key.get(BE64, src + 8)),
                Addresses.key(key.get(BE64, dst), key.get(BE64, dst + 8))) ^ ((long) port << 17));
    }

    /** The pair of a flow of this census: found, or begun with its counts reset. */
    P of(MemorySegment key, MemorySegment state) {
        boolean initiatorIsA = state.get(ValueLayout.JAVA_BYTE, FlowLayout.INITIATOR_IS_A) != 0;
        long src = initiatorIsA ? FlowLayout.KEY_ADDR_A : FlowLayout.KEY_ADDR_B;
        long dst = initiatorIsA ? FlowLayout.KEY_ADDR_B : FlowLayout.KEY_ADDR_A;
        long srcHi = key.get(BE64, src);
        long srcLo = key.get(BE64, src + 8);
        long dstHi = key.get(BE64, dst);
        long dstLo = key.get(BE64, dst + 8);
        int port = FlowLayout.u16(key, initiatorIsA ? FlowLayout.KEY_PORT_B : FlowLayout.KEY_PORT_A);
        long pairKey = pairKey(key, state);
        P q = byKey.get(pairKey);
        if (q == null) {
            q = spare.isEmpty() ? make.get() : spare.remove(spare.size() - 1);
            q.key = pairKey;
            q.srcHi = srcHi;
            q.srcLo = srcLo;
            q.dstHi = dstHi;
            q.dstLo = dstLo;
            q.port = port;
            q.reset();
            used.add(q);
            byKey.putNew(pairKey, q);
        }
        return q;
    }

    /** This census's pairs, in the order of their first flow. */
    List<P> used() {
        return used;
    }

    /** The census ended: its pairs forgotten, kept for the next (up to {@link #MAX_SPARE}). */
    void clear() {
        byKey.clear();
        for (int i = used.size() - 1; i >= 0 && spare.size() < MAX_SPARE; i--) {
            spare.add(used.get(i));
        }
        used.clear();
    }
}
