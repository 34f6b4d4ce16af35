package io.xdpml.dataplane;

import static io.xdpml.packet.Bytes.be16;
import static io.xdpml.packet.Bytes.u8;

import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.Bytes;
import io.xdpml.processor.Mitigation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The Java twin of the kernel's blocks stage ({@code xdpml_source_blocked} and
 * {@code xdpml_flow_blocked} in bpf/include/xdpml/mitigation.h), held equal to it packet by packet
 * by BlocksParityTest. Filled like {@link Mitigation} fills the kernel's maps (same arguments, same
 * keys), it answers for a frame whether the kernel drops it as a blocked source, a blocked flow, or
 * not at all, and counts the hit on the entry that matched.
 *
 * <ul>
 *   <li>Source blocks: prefixes in one 128-bit space (IPv4 as ::ffff:a.b.c.d, prefix + 96), found
 *       by longest prefix like the LPM trie; an entry is the prefix's bits (an address given with
 *       other bits set names the same entry, and is the one listed). The longest match decides
 *       alone: when it has expired, the packet is not blocked even if a shorter prefix is live.
 *   <li>Flow blocks: the canonical flow key as the flow table keys the packet ({@link FlowPacket#of}
 *       on the parse: innermost, past IPv6 extension headers, VLAN and VNI), or for a packet the
 *       parse refused, the narrow key below; consulted only while {@link #flowBlocksActive()} (the
 *       kernel's {@code xdpml_mitigation_state[0]} has {@link Mitigation#BLOCKING_FLOWS}).
 *   <li>While any block exists ({@link #blocking()}: of a source or a flow), a packet the parse
 *       stopped short of what Linux reaches ({@link #stoppedShort}) is dropped as
 *       {@link Reason#UNREADABLE}: no flow key could match its flow's block, and it may hide a
 *       tunnel whose inner source is blocked.
 *   <li>Expiry: an entry with {@code expiresNanos != 0} matches while {@code now <= expiresNanos}
 *       (unsigned, as the kernel's u64); a hit is counted only on a match.
 * </ul>
 *
 * <p>The packet is read exactly as the C reads it: Ethernet, at most two VLAN tags (0x8100,
 * 0x88a8; the outermost VID in the flow key), then IPv4 (20 bytes needed) or IPv6 (40); for the
 * narrow flow key (a packet the parse refused), IPv4's protocol field or IPv6's next header as is, and TCP/UDP ports at IP + IHL * 4 (IHL
 * as found, even below 5; the offset masked with 0x3ff), none for a later IPv4 fragment; a frame
 * whose ports are not all there is not blocked as a flow. {@link #check} allocates nothing. Not
 * thread-safe.
 */
public final class JavaBlocks {
    /** Why {@link #check} blocks a frame. */
    public enum Reason {
        NONE, SOURCE, FLOW,
        /** The parse stopped short of what Linux reaches while blocks exist (kernel: {@code xdpml_parse_stopped_short}). */
        UNREADABLE
    }

    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_IPV6 = 0x86dd;
    static final int ETH_P_8021Q = 0x8100;
    static final int ETH_P_8021AD = 0x88a8;
    /** The LPM key: u32 prefixlen (host order), 16-byte address. */
    public static final int SOURCE_KEY_SIZE = 20;

    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong W64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt W32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    /** A map key of up to six words: a prefix (address high, low, bits) or a flow key (its 44 bytes). */
    private static final class Key {
        long w0, w1, w2, w3, w4, w5;

        Key prefix(long hi, long lo, int bits) {
            w0 = bits == 0 ? 0 : bits >= 64 ? hi : hi & (-1L << (64 - bits));
            w1 = bits <= 64 ? 0 : lo & (-1L << (128 - bits));
            w2 = bits;
            w3 = w4 = w5 = 0;
            return this;
        }

        Key flow(MemorySegment k) {
            w0 = k.get(W64, 0);
            w1 = k.get(W64, 8);
            w2 = k.get(W64, 16);
            w3 = k.get(W64, 24);
            w4 = k.get(W64, 32);
            w5 = k.get(W32, 40) & 0xffff_ffffL;
            return this;
        }

        Key copy() {
            Key c = new Key();
            c.w0 = w0;
            c.w1 = w1;
            c.w2 = w2;
            c.w3 = w3;
            c.w4 = w4;
            c.w5 = w5;
            return c;
        }

        @Override
        public int hashCode() {
            long h = w0;
            h = h * 0x9e3779b97f4a7c15L + w1;
            h = h * 0x9e3779b97f4a7c15L + w2;
            h = h * 0x9e3779b97f4a7c15L + w3;
            h = h * 0x9e3779b97f4a7c15L + w4;
            h = h * 0x9e3779b97f4a7c15L + w5;
            h ^= h >>> 29;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && w0 == k.w0 && w1 == k.w1 && w2 == k.w2 && w3 == k.w3 && w4 == k.w4 && w5 == k.w5;
        }
    }

    /** An entry: its key as given (LPM: bits and address; flow: the 44-byte key), expiry and hits. */
    private static final class Entry {
        final int bits;
        final byte[] key;
        long expiresNanos;
        long hits;

        Entry(int bits, byte[] key, long expiresNanos) {
            this.bits = bits;
            this.key = key;
            this.expiresNanos = expiresNanos;
        }
    }

    private final Map<Key, Entry> sources = new HashMap<>();
    private final int[] perLength = new int[129];
    /** Prefix lengths with entries, longest first. */
    private int[] lengths = new int[0];
    private final Map<Key, Entry> flows = new HashMap<>();
    private int blocking; // the kernel's xdpml_mitigation_state[0]: Mitigation.BLOCKING_*

    private final Key probe = new Key();
    private final MemorySegment sourceKey = MemorySegment.ofArray(new byte[SOURCE_KEY_SIZE]);
    private final MemorySegment flowKey = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
    private final FlowPacket flowPacket = new FlowPacket();
    private Reason last = Reason.NONE;
    private long lastHits;

    // what the Ethernet/VLAN walk found (xdpml_mitigation_l2)
    private int l2Type;
    private int l2Offset;
    private int l2Vlan;

    /**
     * Whether the frame ({@code length} bytes from offset 0) is dropped now and why: its source
     * first (the outer one, then the one of the innermost IP header the parse found at
     * {@code innermostL3} when that is another: 0 for none), then its flow, as the kernel's
     * {@code xdpml_source_blocked(ctx, s) || xdpml_flow_blocked(ctx, s)}: while blocks exist, a
     * packet the parse stopped short ({@link #stoppedShort}) is {@link Reason#UNREADABLE}. Counts
     * the hit on the matching entry (none for that one).
     */
    public Reason check(MemorySegment frame, int length, long nowNanos, ParseSummary parse) {
        last = Reason.NONE;
        lastHits = 0;
        int innermostL3 = parse.l3Offset();
        boolean outer = sourceKey(frame, length, sourceKey);
        if (outer && hit(longestMatch(sourceKey.get(BE64, 4), sourceKey.get(BE64, 12)), nowNanos)) {
            last = Reason.SOURCE;
        } else if (innermostL3 != 0 && (!outer || innermostL3 != l2Offset) && sourceKeyAt(frame, length, innermostL3, sourceKey)
                && hit(longestMatch(sourceKey.get(BE64, 4), sourceKey.get(BE64, 12)), nowNanos)) {
            last = Reason.SOURCE;
        } else if (blocking != 0 && stoppedShort(parse)) {
            last = Reason.UNREADABLE;
        } else if ((blocking & Mitigation.BLOCKING_FLOWS) != 0 && flowKey(frame, length, parse, flowKey) && hit(flows.get(probe.flow(flowKey)), nowNanos)) {
            last = Reason.FLOW;
        }
        return last;
    }

    /**
     * Whether the parse stopped short of what Linux may still reach (an IPv6 extension chain longer
     * than the parser walks, a header past its reach, a fifth VLAN tag; at any layer): such a packet
     * has no key that could match its flow's block, may hide a tunnel whose inner source is
     * blocked, and is dropped while any block exists.
     */
    public static boolean stoppedShort(ParseSummary parse) {
        return parse.stoppedShort();
    }

    /**
     * The map key the last {@link #check} found its match with, in the kernel's layout: the LPM
     * lookup key ({@link #SOURCE_KEY_SIZE} bytes, prefix 128) for {@link Reason#SOURCE}, the flow
     * key for {@link Reason#FLOW}; null for {@link Reason#NONE}. Valid until the next check.
     */
    public MemorySegment lastKey() {
        return switch (last) {
            case SOURCE -> sourceKey;
            case FLOW -> flowKey;
            case NONE, UNREADABLE -> null;
        };
    }

    /** The hits of the entry the last {@link #check} matched, this packet counted; 0 for none. */
    public long lastHits() {
        return lastHits;
    }

    private boolean hit(Entry e, long now) {
        if (e == null || (e.expiresNanos != 0 && Long.compareUnsigned(now, e.expiresNanos) > 0)) {
            return false;
        }
        lastHits = ++e.hits;
        return true;
    }

    private Entry longestMatch(long hi, long lo) {
        for (int bits : lengths) {
            Entry e = sources.get(probe.prefix(hi, lo, bits));
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** xdpml_mitigation_l2: ethertype after up to two VLAN tags, its offset, the outermost VID. */
    private boolean l2(MemorySegment p, int length) {
        if (14 > length) {
            return false;
        }
        int t = be16(p, 12);
        int o = 14;
        l2Vlan = 0;
        for (int i = 0; i < 2; i++) {
            if (t != ETH_P_8021Q && t != ETH_P_8021AD) {
                break;
            }
            if (o + 4 > length) {
                return false;
            }
            if (i == 0) {
                l2Vlan = be16(p, o) & 0x0fff;
            }
            t = be16(p, o + 2);
            o += 4;
        }
        l2Type = t;
        l2Offset = o;
        return true;
    }

    /**
     * Writes the key {@code xdpml_source_blocked} looks the frame up with ({@link #SOURCE_KEY_SIZE}
     * bytes: prefix 128, the source address); false when it looks nothing up.
     */
    public boolean sourceKey(MemorySegment frame, int length, MemorySegment key) {
        if (!l2(frame, length)) {
            return false;
        }
        int version = l2Type == ETH_P_IP ? 4 : l2Type == ETH_P_IPV6 ? 6 : 0;
        return version != 0 && sourceKey(frame, length, l2Offset, version, key);
    }

    /** The source key of the IP header at {@code off} (its version from its first nibble); false when there is none. */
    private static boolean sourceKeyAt(MemorySegment frame, int length, int off, MemorySegment key) {
        return off + 20 <= length && sourceKey(frame, length, off, (frame.get(ValueLayout.JAVA_BYTE, off) & 0xf0) >>> 4, key);
    }

    /** The source key of the IPv{@code version} header at {@code off}; false when the frame ends first (or not 4 or 6). */
    private static boolean sourceKey(MemorySegment frame, int length, int off, int version, MemorySegment key) {
        if (version == 4 && off + 20 <= length) {
            key.set(BE64, 4, 0);
            key.set(BE64, 12, V4_MAPPED | Bytes.be32(frame, off + 12));
        } else if (version == 6 && off + 40 <= length) {
            key.set(BE64, 4, frame.get(BE64, off + 8));
            key.set(BE64, 12, frame.get(BE64, off + 16));
        } else {
            return false;
        }
        key.set(FlowLayout.U32, 0, 128);
        return true;
    }

    /**
     * Writes the flow key {@code xdpml_flow_blocked} looks the frame up with
     * ({@link FlowLayout#KEY_SIZE} bytes): the flow table's key of the parsed packet, or for one the
     * parse refused the narrow key; false when it looks nothing up. Ignores whether flow blocks are
     * active.
     */
    public boolean flowKey(MemorySegment frame, int length, ParseSummary parse, MemorySegment key) {
        if (parse.error() == 0) {
            if (!flowPacket.of(frame, 0, length, parse)) {
                return false;
            }
            MemorySegment.copy(flowPacket.key(), 0, key, 0, FlowLayout.KEY_SIZE);
            return true;
        }
        return narrowFlowKey(frame, length, key);
    }

    /** The key of {@code xdpml_flow_block_key_narrow}: the outer IP header's protocol field and the ports right after it. */
    private boolean narrowFlowKey(MemorySegment frame, int length, MemorySegment key) {
        if (!l2(frame, length)) {
            return false;
        }
        int off = l2Offset;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        int version;
        int proto;
        int l4;
        boolean ports = true;
        if (l2Type == ETH_P_IP) {
            if (off + 20 > length) {
                return false;
            }
            version = 4;
            srcHi = 0;
            dstHi = 0;
            srcLo = V4_MAPPED | Bytes.be32(frame, off + 12);
            dstLo = V4_MAPPED | Bytes.be32(frame, off + 16);
            proto = u8(frame, off + 9);
            l4 = off + (u8(frame, off) & 0x0f) * 4;
            ports = (be16(frame, off + 6) & 0x1fff) == 0; // a later fragment has no ports
        } else if (l2Type == ETH_P_IPV6) {
            if (off + 40 > length) {
                return false;
            }
            version = 6;
            srcHi = frame.get(BE64, off + 8);
            srcLo = frame.get(BE64, off + 16);
            dstHi = frame.get(BE64, off + 24);
            dstLo = frame.get(BE64, off + 32);
            proto = u8(frame, off + 6);
            l4 = off + 40;
        } else {
            return false;
        }
        int sport = 0;
        int dport = 0;
        if (ports && (proto == 6 || proto == 17)) {
            int t = l4 & 0x3ff;
            if (t + 4 > length) {
                return false;
            }
            sport = be16(frame, t);
            dport = be16(frame, t + 2);
        }
        FlowPacket.writeKey(key, srcHi, srcLo, dstHi, dstLo, sport, dport, proto, version, l2Vlan, 0);
        return true;
    }

    // ------------------------------------------------------------------ filling (as Mitigation fills the kernel)

    /** {@link Mitigation#blockUntil}: blocks {@code address}/{@code prefixLength} until {@code expiresNanos} (0: never). */
    public void blockSource(InetAddress address, int prefixLength, long expiresNanos) {
        int bits = Mitigation.prefixBits(address, prefixLength);
        byte[] a = Mitigation.mapped(address);
        MemorySegment s = MemorySegment.ofArray(a);
        Key k = new Key().prefix(s.get(BE64, 0), s.get(BE64, 8), bits);
        // an LPM update replaces the entry of the same prefix, key bytes and value (hits from 0)
        if (sources.put(k, new Entry(bits, a, expiresNanos)) == null) {
            perLength[bits]++;
            lengths();
        }
        blocking |= Mitigation.BLOCKING_SOURCES;
    }

    /** {@link Mitigation#extend}: the block of that prefix expires at {@code expiresNanos} unless later already, its hits kept; false when there is none. */
    public boolean extendSource(InetAddress address, int prefixLength, long expiresNanos) {
        int bits = Mitigation.prefixBits(address, prefixLength);
        MemorySegment s = MemorySegment.ofArray(Mitigation.mapped(address));
        Entry e = sources.get(probe.prefix(s.get(BE64, 0), s.get(BE64, 8), bits));
        if (e == null) {
            return false;
        }
        if (Mitigation.later(expiresNanos, e.expiresNanos)) { // never shortened
            e.expiresNanos = expiresNanos;
        }
        return true;
    }

    /** {@link Mitigation#unblock}: removes the block of that prefix; false when there was none. */
    public boolean unblockSource(InetAddress address, int prefixLength) {
        int bits = Mitigation.prefixBits(address, prefixLength);
        MemorySegment s = MemorySegment.ofArray(Mitigation.mapped(address));
        if (sources.remove(probe.prefix(s.get(BE64, 0), s.get(BE64, 8), bits)) == null) {
            return false;
        }
        perLength[bits]--;
        lengths();
        return true;
    }

    private void lengths() {
        int n = 0;
        for (int c : perLength) {
            n += c > 0 ? 1 : 0;
        }
        int[] l = new int[n];
        for (int bits = 128, i = 0; bits >= 0; bits--) {
            if (perLength[bits] > 0) {
                l[i++] = bits;
            }
        }
        lengths = l;
    }

    /**
     * {@link Mitigation#blockFlowUntil}: blocks one flow, both directions, until {@code expiresNanos}
     * (0: never); ports only for TCP/UDP; sets {@link #flowBlocksActive()}.
     */
    public void blockFlow(Mitigation.Flow flow, long expiresNanos) {
        byte[] kb = new byte[FlowLayout.KEY_SIZE];
        MemorySegment k = MemorySegment.ofArray(kb);
        Mitigation.writeFlowKey(k, flow);
        flows.put(new Key().flow(k), new Entry(0, kb, expiresNanos));
        blocking |= Mitigation.BLOCKING_FLOWS;
    }

    /** {@link Mitigation#unblockFlow}: removes a flow block (either direction's endpoints); false when there was none. */
    public boolean unblockFlow(Mitigation.Flow flow) {
        MemorySegment k = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
        Mitigation.writeFlowKey(k, flow);
        return flows.remove(probe.flow(k)) != null;
    }

    /** Whether flow blocks are looked up (the kernel's state word has {@link Mitigation#BLOCKING_FLOWS}). */
    public boolean flowBlocksActive() {
        return (blocking & Mitigation.BLOCKING_FLOWS) != 0;
    }

    /** Sets or clears the flow-lookup bit, as a write of {@code xdpml_mitigation_state[0]} that keeps the other bit does. */
    public void flowBlocksActive(boolean active) {
        blocking = active ? blocking | Mitigation.BLOCKING_FLOWS : blocking & ~Mitigation.BLOCKING_FLOWS;
    }

    /** The kernel's state word: {@link Mitigation#BLOCKING_FLOWS} and {@link Mitigation#BLOCKING_SOURCES} as set now. */
    public int blocking() {
        return blocking;
    }

    /**
     * {@link Mitigation#sweep(long)}: removes the entries expired at {@code now}; returns how many.
     * Leaves each bit of {@link #blocking()} set while its map holds an entry, clears it when none is.
     */
    public int sweep(long now) {
        int n = 0;
        for (Map<Key, Entry> m : List.of(sources, flows)) {
            for (Iterator<Entry> it = m.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.expiresNanos != 0 && Long.compareUnsigned(now, e.expiresNanos) > 0) {
                    it.remove();
                    n++;
                    if (m == sources) {
                        perLength[e.bits]--;
                    }
                }
            }
        }
        lengths();
        blocking = (flows.isEmpty() ? 0 : Mitigation.BLOCKING_FLOWS) | (sources.isEmpty() ? 0 : Mitigation.BLOCKING_SOURCES);
        return n;
    }

    /** The source blocks as {@link Mitigation#list} shows the kernel's. */
    public List<Mitigation.Block> list() {
        List<Mitigation.Block> out = new ArrayList<>(sources.size());
        for (Entry e : sources.values()) {
            out.add(Mitigation.Block.of(e.bits, e.key, e.expiresNanos, e.hits));
        }
        return out;
    }

    /** The flow blocks as {@link Mitigation#listFlows} shows the kernel's. */
    public List<Mitigation.FlowBlock> listFlows() {
        List<Mitigation.FlowBlock> out = new ArrayList<>(flows.size());
        for (Entry e : flows.values()) {
            out.add(Mitigation.FlowBlock.of(MemorySegment.ofArray(e.key), e.expiresNanos, e.hits));
        }
        return out;
    }
}
