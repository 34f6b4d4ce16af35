package io.xdpml.firewall;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The reference firewall: the semantics of the firewall stage ({@code firewall_stage.h}) written plainly. Lists are
 * scanned, rules tried one by one in file order (not compiled): the parity test thereby checks the
 * kernel's compiled tables ({@link FirewallTables}) against the definition. Connections and
 * buckets live in {@link FixedKeyTable}s keyed by the words of their binary keys, bounded by the
 * capacities of the kernel's LRU maps ({@code xdpml_fw_ct} and {@code xdpml_fw_ct_new}, the assured and
 * the unassured connections: max-connections each; {@code xdpml_fw_rate}: max-sources) and evicting
 * the least recently used entry when full (the kernel's LRU is an approximation: above capacity which entry goes may differ; docs/firewall.md). Measures
 * ({@link #putMeasure}) live in a {@link MeasureTable}. The packets of known connections and
 * sources allocate nothing (since 2026-12-06; before, each built string keys): only a new entry
 * may, when its table grows.
 */
public final class JavaFirewall implements FirewallEngine {
    private static final ValueLayout.OfInt BIG_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort BIG_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private final PacketParser parser;
    private final ParseSummary summary = new ParseSummary();
    private final long[] counters = new long[FirewallCounter.SLOTS];
    /** Connections by {@link #CK_WORDS} words (see {@link #connectionKey}), values in TcpTracking's layout. */
    private final FixedKeyTable connections;
    /**
     * The connections not yet assured (xdpml_fw_ct_new): a SYN's until established, a UDP datagram's
     * until answered; then moved into {@link #connections} ({@link #assure}). Same capacity.
     */
    private final FixedKeyTable unassured;
    private final long[] ck = new long[CK_WORDS]; // the packet's connection key, as long as it is judged
    private final TcpTracking.Segment segment = new TcpTracking.Segment(); // the TCP packet's, read for conntrack
    /** Sources' buckets by {family and VNI, address (two words)}: level, last, syn level, syn last. */
    private final FixedKeyTable buckets;
    private final long[] rk = new long[3]; // the packet's bucket key
    private final long[] flood = new long[2];                          // the SYN bucket of all sources
    private final long[] bareFlood = new long[2];                      // the bucket of their SYNs without TCP options
    private final long[] icmpFlood = new long[2];                      // the bucket of all sources' ICMP
    private final MeasureTable measures = new MeasureTable();
    /**
     * The datagrams whose first fragment was dropped (xdpml_fw_frags), by {@link #FK_WORDS} words (see
     * {@link #fragmentKey}): {the time it was dropped, its drop reason's id}. Bounded as the kernel's LRU.
     */
    private final FixedKeyTable fragments = new FixedKeyTable(FK_WORDS, 2, 256, FRAGMENT_CAPACITY);
    private final long[] fk = new long[FK_WORDS];
    private final byte[] src = new byte[16];
    private final byte[] dst = new byte[16];
    private final byte[] outerSrc = new byte[16]; // a VXLAN packet's outer addresses
    private final byte[] outerDst = new byte[16];
    private FirewallConfig config = FirewallConfig.passAll();
    private SynCookies synCookies = SynCookies.NONE;
    /**
     * This host's own addresses, 16-byte form in two words (OwnAddresses; none in a replay); the
     * value 1 for the destinations a SYN cookie may be answered for (OwnAddresses.DESTINATION), else 0.
     */
    private FixedKeyTable own = new FixedKeyTable(2, 1, 16);
    private final long[] ownKey = new long[2];
    /** The interface's MAC and its master's (xdpml_cookie_if); null: not told, no SYN is answered. */
    private byte[] mac;
    private byte[] masterMac;
    private long[] ruleHits = new long[0];
    private int lastRule = -1;

    private final int vxlanPort;
    /** The configuration's tunnel_check (FirewallConfig.policyMayDropUdp), computed at install. */
    private boolean tunnelCheck;

    /** {@code max_entries} of xdpml_fw_frags in firewall.h. */
    static final int FRAGMENT_CAPACITY = 16384;
    /** How long a dropped first fragment's later fragments follow it: XDPML_FW_FRAG_NS, Linux's ipfrag_time (IPv4). */
    static final long FRAGMENT_NANOS = 30_000_000_000L;
    /** The same for IPv6: XDPML_FW_FRAG6_NS, Linux's ip6frag_time. */
    static final long FRAGMENT6_NANOS = 60_000_000_000L;
    /** The words of a fragment key: source (two), destination (two), identification, protocol | family << 8 | key VNI << 16. */
    static final int FK_WORDS = 6;

    /** The kernel's capacities when nothing sets them: {@code max_entries} of xdpml_fw_ct and xdpml_fw_rate in firewall.h. */
    public static final int DEFAULT_CAPACITY = 1 << 16;

    /** With the capacities the kernel's maps have when nothing sets them ({@link #DEFAULT_CAPACITY} each). */
    public JavaFirewall(int vxlanPort) {
        this(vxlanPort, DEFAULT_CAPACITY, DEFAULT_CAPACITY);
    }

    /**
     * @param maxConnections the capacity of the connection table (xdpml_fw_ct's max_entries)
     * @param maxSources     the capacity of the sources' buckets (xdpml_fw_rate's max_entries)
     */
    public JavaFirewall(int vxlanPort, int maxConnections, int maxSources) {
        this.parser = new PacketParser(vxlanPort);
        this.vxlanPort = vxlanPort;
        this.connections = new FixedKeyTable(CK_WORDS, TcpTracking.SIZE, 256, maxConnections);
        this.unassured = new FixedKeyTable(CK_WORDS, TcpTracking.SIZE, 256, maxConnections);
        this.buckets = new FixedKeyTable(3, 4, 256, maxSources);
    }

    /**
     * How many connection entries the twin holds now (live or expired, as the kernel's maps), assured
     * and not: at most twice its capacity.
     */
    public int connectionEntries() { return connections.size() + unassured.size(); }

    /** How many of them are assured (xdpml_fw_ct), at most the capacity. */
    public int assuredEntries() { return connections.size(); }

    /** How many sources' bucket entries it holds now, at most its capacity. */
    public int sourceEntries() { return buckets.size(); }

    /** The capacities: {connections, sources}. */
    public int[] capacities() { return new int[] {connections.capacity(), buckets.capacity()}; }

    /** The slots of the connection table now: its memory, which stops growing with the entries at the capacity. */
    int connectionSlots() { return connections.slots() + unassured.slots(); }

    @Override
    public void install(FirewallConfig config) {
        this.config = config;
        this.tunnelCheck = config.policyMayDropUdp();
        this.ruleHits = new long[config.rules().size()];
    }

    @Override
    public void ownAddresses(java.util.Collection<java.net.InetAddress> addresses,
                             java.util.Collection<java.net.InetAddress> destinations) {
        FixedKeyTable t = new FixedKeyTable(2, 1, addresses.size());
        for (java.net.InetAddress a : addresses) {
            t.put(addressKey(6, io.xdpml.detect.Addresses.mapped(a), ownKey))[0] = 0;
        }
        for (java.net.InetAddress a : destinations) {
            long[] v = t.get(addressKey(6, io.xdpml.detect.Addresses.mapped(a), ownKey));
            if (v != null) {
                v[0] = OwnAddresses.DESTINATION;
            }
        }
        own = t;
    }

    @Override
    public void cookieInterface(int ifindex, byte[] mac, byte[] master) {
        CookieInterfaces.check(mac, master);
        this.mac = mac.clone();
        this.masterMac = master.clone();
    }

    /** What the twin is told of the host's listeners and cookies (default {@link SynCookies#NONE}). */
    public void synCookies(SynCookies cookies) { this.synCookies = cookies; }

    @Override
    public int lastRule() { return lastRule; }

    @Override
    public long counter(FirewallCounter c) { return counters[c.id()]; }

    @Override
    public long[] ruleHits() { return ruleHits.clone(); }

    @Override
    public String name() { return "java"; }

    @Override
    public void close() {}

    @Override
    public void putMeasure(Measure m) { measures.put(m); }

    @Override
    public boolean removeMeasure(Measure m) { return measures.remove(m); }

    @Override
    public List<Measure> measures() { return measures.list(); }

    /** Forgets the measures expired at {@code now}; returns how many. */
    public int sweepMeasures(long now) { return measures.sweep(now); }

    /**
     * Connections by key, "proto/family/key VNI/a-hex:port-b-hex:port" (a the lesser end): {last_ns, state, initiator_is_a,
     * fin_seen, seq_known, the initiator's end, the responder's} (TcpTracking), the live arrays. Made at each call (allocates).
     */
    public Map<String, long[]> connections() {
        Map<String, long[]> out = new HashMap<>();
        connections.forEach((k, v) -> out.put(connectionName(k), v));
        unassured.forEach((k, v) -> out.putIfAbsent(connectionName(k), v));
        return out;
    }

    /** The words of a connection key: a's address (two), b's, a's port << 16 | b's, proto | family << 8 | key VNI << 16. */
    static final int CK_WORDS = 6;

    /** The connection key of the ends (family, a, aPort) and (family, b, bPort), a the lesser, into {@code k}. */
    private static void connectionKey(long[] k, int bucket, int family, int keyVni, long aHi, long aLo, int aPort, long bHi, long bLo,
                                      int bPort) {
        k[0] = aHi;
        k[1] = aLo;
        k[2] = bHi;
        k[3] = bLo;
        k[4] = (long) aPort << 16 | bPort;
        k[5] = bucket | family << 8 | (keyVni & 0xffff_ffffL) << 16;
    }

    private static String connectionName(long[] k) {
        HexFormat hex = HexFormat.of();
        int aPort = (int) (k[4] >>> 16);
        int bPort = (int) (k[4] & 0xffff);
        return (k[5] & 0xff) + "/" + ((k[5] >>> 8) & 0xff) + "/" + (int) (k[5] >>> 16) + "/"
                + hex.toHexDigits(k[0]) + hex.toHexDigits(k[1]) + ":" + aPort + "-" + hex.toHexDigits(k[2]) + hex.toHexDigits(k[3]) + ":" + bPort;
    }

    /** The 16-byte form of address {@code a} of family (IPv4 as ::ffff:a.b.c.d) as two words into {@code k[0..1]}; k. */
    static long[] addressKey(int family, byte[] a, long[] k) {
        k[0] = mappedHi(family, a);
        k[1] = mappedLo(family, a);
        return k;
    }

    /** The first word of the 16-byte form of address {@code a} of family (big-endian, as the bytes). */
    static long mappedHi(int family, byte[] a) {
        return family == 4 ? 0 : MeasureTable.word(a, 0);
    }

    /** The second word of the 16-byte form of address {@code a} of family. */
    static long mappedLo(int family, byte[] a) {
        return family == 4 ? 0xffff_0000_0000L | (MeasureTable.word(a, 0) >>> 32) : MeasureTable.word(a, 8);
    }

    private FirewallCounter verdict(FirewallCounter reason) {
        counters[reason.id()]++;
        return reason;
    }

    /**
     * The stage ({@link #judge}), and where it drops a first fragment, its datagram remembered: the
     * later fragments follow it (xdpml_firewall_stage).
     */
    @Override
    public FirewallCounter packet(MemorySegment frame, int length, long now) {
        FirewallCounter r = judge(frame, length, now);
        if (summary.has(ParseFlags.FRAGMENT) && !summary.has(ParseFlags.LATER_FRAGMENT) && r != FirewallCounter.DROP_DENY_LIST
                && r != FirewallCounter.DROP_MAPPED_SOURCE && r != FirewallCounter.DROP_OWN_SOURCE) {
            noteFragment(frame, length, r, now);
        }
        return r;
    }

    /**
     * A first fragment judged (xdpml_fw_frag_note): dropped, its datagram remembered; passed, its key
     * forgotten. Only when the innermost IP header is itself the fragment (not a VXLAN packet's outer one).
     */
    private void noteFragment(MemorySegment frame, int length, FirewallCounter r, long now) {
        int l3 = summary.l3Offset();
        if (l3 + 8 > length) {
            return;
        }
        int v = (frame.get(ValueLayout.JAVA_BYTE, l3) & 0xf0) >>> 4;
        boolean fragment = v == 4 ? (frame.get(ValueLayout.JAVA_BYTE, l3 + 6) & 0x3f) != 0 || frame.get(ValueLayout.JAVA_BYTE, l3 + 7) != 0
                : frame.get(ValueLayout.JAVA_BYTE, l3 + 6) == 44;
        int family = fragment ? addresses(frame, length) : 0;
        if (family == 0 || !fragmentKey(frame, length, family)) {
            return;
        }
        if (!r.drops()) {
            fragments.remove(fk);
            return;
        }
        long[] e = fragments.put(fk);
        e[0] = now;
        e[1] = r.id();
    }

    /**
     * The key of the datagram a fragment belongs to into {@link #fk} (xdpml_fw_frag_key_of), from its
     * innermost IP header: false when there is none to read, or an IPv6 fragment header is not the
     * first header after the fixed one.
     */
    private boolean fragmentKey(MemorySegment frame, int length, int family) {
        int l3 = summary.l3Offset();
        long id;
        int proto;
        if (family == 4) {
            if (l3 + 20 > length) {
                return false;
            }
            id = frame.get(BIG_SHORT, l3 + 4) & 0xffff;
            proto = frame.get(ValueLayout.JAVA_BYTE, l3 + 9) & 0xff;
        } else {
            if (l3 + 48 > length || frame.get(ValueLayout.JAVA_BYTE, l3 + 6) != 44) {
                return false;
            }
            proto = 0; // not in Linux's IPv6 key: RFC 8200 4.5, later fragments' next header may differ
            id = frame.get(BIG_INT, l3 + 44) & 0xffff_ffffL;
        }
        fk[0] = MeasureTable.word(src, 0);
        fk[1] = MeasureTable.word(src, 8);
        fk[2] = MeasureTable.word(dst, 0);
        fk[3] = MeasureTable.word(dst, 8);
        fk[4] = id;
        int keyVni = FirewallLayout.keyVni(summary.vni(), summary.has(ParseFlags.VXLAN));
        fk[5] = proto | family << 8 | (keyVni & 0xffff_ffffL) << 16;
        return true;
    }

    /** A later fragment: its datagram's first fragment's drop reason when that was dropped within {@link #FRAGMENT_NANOS}, else null. */
    private FirewallCounter followFragment(MemorySegment frame, int length, int family, long now) {
        if (!fragmentKey(frame, length, family)) {
            return null;
        }
        long[] v = fragments.get(fk);
        long wait = family == 4 ? FRAGMENT_NANOS : FRAGMENT6_NANOS;
        if (v == null || (Long.compareUnsigned(now, v[0]) > 0 && Long.compareUnsigned(now - v[0], wait) > 0)) {
            return null;
        }
        return FirewallCounter.of((int) v[1]);
    }

    private FirewallCounter judge(MemorySegment frame, int length, long now) {
        lastRule = -1;
        FirewallConfig c = config;
        counters[FirewallCounter.PACKETS.id()]++;
        parser.parse(frame, length, summary);
        if (summary.error() != 0) {
            // headers past the parser's reach even under malformed pass: what lies there (a tunnel's
            // inner addresses) cannot be held against the deny lists
            if (!c.malformedPass() || summary.error() == ParseCounter.HEADER_TOO_DEEP.id()) {
                return verdict(FirewallCounter.DROP_MALFORMED);
            }
            // passed as malformed, but not through a tunnel the policy refuses (a transport header past
            // the extension chain the parser walks may be UDP to the VXLAN port: judged as a tunnel too),
            // and never from or to a denied address, when its IP header is there
            if (summary.has(ParseFlags.VXLAN) || (vxlanPort != 0 && summary.has(ParseFlags.CHAIN_CUT))) {
                FirewallCounter r = tunnel(frame, length, c);
                if (r != null) {
                    return verdict(r);
                }
            }
            int f = addresses(frame, length);
            if (mappedSource(f, src)) {
                return verdict(FirewallCounter.DROP_MAPPED_SOURCE);
            }
            if (f != 0 && (inList(c.denySource(), f, src) || inList(c.denyDestination(), f, dst))) {
                return verdict(FirewallCounter.DROP_DENY_LIST);
            }
            return verdict(FirewallCounter.PASS_MALFORMED);
        }
        if (!summary.has(ParseFlags.IPV4) && !summary.has(ParseFlags.IPV6)) {
            return verdict(FirewallCounter.PASS_NOT_IP);
        }
        int family = addresses(frame, length);
        if (mappedSource(family, src)) {
            return verdict(FirewallCounter.DROP_MAPPED_SOURCE);
        }
        int l4p = summary.l4Protocol();
        int bucket = l4p == 6 || l4p == 17 || l4p == 1 || l4p == 58 ? l4p : 0;
        int sport = summary.sourcePort();
        int dport = summary.destinationPort();
        int flags = bucket == 6 ? frame.get(ValueLayout.JAVA_BYTE, summary.l4Offset() + 13) & 0xff : 0;
        int doff = bucket == 6 ? (frame.get(ValueLayout.JAVA_BYTE, summary.l4Offset() + 12) & 0xff) >>> 4 : 0;

        if (inList(c.denySource(), family, src) || inList(c.denyDestination(), family, dst)) {
            return verdict(FirewallCounter.DROP_DENY_LIST);
        }
        // a tunnel whose inner packet has an IP header: its outer packet first (the inner is judged
        // below); without one, the packet judged below is the outer one itself, and like every outer
        // packet statelessly: no connection (one opened inside the tunnel would let it by), and its
        // source's bucket is that of no tunnel
        boolean outerOnly = summary.has(ParseFlags.VXLAN) && summary.l3Offset() == 14 + 4 * summary.vlanDepth();
        if (summary.has(ParseFlags.VXLAN) && !outerOnly) {
            FirewallCounter r = tunnel(frame, length, c);
            if (r != null) {
                return verdict(r);
            }
        }
        // a later fragment of a datagram whose first fragment was dropped here: dropped with it
        if (summary.has(ParseFlags.LATER_FRAGMENT)) {
            FirewallCounter r = followFragment(frame, length, family, now);
            if (r != null) {
                counters[FirewallCounter.FRAG_FOLLOWED.id()]++;
                return verdict(r);
            }
        }
        boolean synOnly = bucket == 6 && (flags & 0x12) == 0x02;
        int keyVni = FirewallLayout.keyVni(summary.vni(), summary.has(ParseFlags.VXLAN)); // VNI 0 is not native
        long[] rate = null;
        long srcHi = mappedHi(family, src);
        long srcLo = mappedLo(family, src);
        if (c.ratePps() != 0 || c.synPps() != 0) {
            rk[0] = family | ((outerOnly ? 0 : keyVni) & 0xffff_ffffL) << 8; // per VNI: tenants' addresses may overlap
            rk[1] = srcHi;
            rk[2] = srcLo;
            rate = buckets.get(rk);
            if (rate == null) {
                rate = buckets.put(rk);
                rate[0] = c.rateCap();
                rate[1] = 0;
                rate[2] = c.synCap();
                rate[3] = 0;
            }
            if (c.ratePps() != 0 && !take(rate, 0, now, c.ratePps(), c.rateCap())) {
                return verdict(FirewallCounter.DROP_RATE_LIMIT);
            }
        }
        boolean track = c.conntrack() && (bucket == 6 || bucket == 17) && !outerOnly;
        boolean fromA = true;
        long[] e = null;
        boolean inNew = false;
        if (track) {
            long dstHi = mappedHi(family, dst);
            long dstLo = mappedLo(family, dst);
            int cmp = Long.compareUnsigned(srcHi, dstHi);
            cmp = cmp != 0 ? cmp : Long.compareUnsigned(srcLo, dstLo); // the 16-byte forms, byte by byte
            fromA = cmp < 0 || (cmp == 0 && sport <= dport);
            if (fromA) {
                connectionKey(ck, bucket, family, keyVni, srcHi, srcLo, sport, dstHi, dstLo, dport);
            } else {
                connectionKey(ck, bucket, family, keyVni, dstHi, dstLo, dport, srcHi, srcLo, sport);
            }
            // a key is in one of the two tables; UDP looks in the unassured one first (as the kernel: fewer lookups there)
            if (bucket == 17) {
                e = unassured.get(ck);
                inNew = e != null;
                if (e == null) {
                    e = connections.get(ck);
                }
            } else {
                e = connections.get(ck);
                if (e == null) {
                    e = unassured.get(ck);
                    inNew = e != null;
                }
            }
            if (e != null && Long.compareUnsigned(now, e[0]) > 0 && Long.compareUnsigned(now - e[0], timeout(c, (int) e[1])) > 0) {
                e = null; // expired: as absent
            }
            if (e != null && fromA != (e[2] == 1)) {
                // towards the initiator (a reply to what it asked): conntrack decides before any measure
                FirewallCounter r = decide(e, frame, bucket, false, now, inNew);
                if (r != null) {
                    return verdict(r);
                }
                e = null;
            }
        }
        // a SYN over a SYN limit under syn-cookies on: answered only if the per-source limit and the
        // policy let it by (a cookie opens no port the rules close)
        FirewallCounter over = null;
        if ((bucket == 6 || bucket == 17) && !measures.isEmpty()) {
            FirewallCounter r = measure(family, bucket, sport, dport, synOnly, synOnly && doff == 5,
                    bucket == 17 && !summary.has(ParseFlags.LATER_FRAGMENT), now);
            if (r == FirewallCounter.DROP_MEASURE_SYN && c.synCookies()) {
                over = r;
            } else if (r != null) {
                return verdict(r);
            }
        }
        boolean cookieAck = false;
        if (track) {
            if (e != null) { // from the initiator
                FirewallCounter r = decide(e, frame, bucket, true, now, inNew);
                if (r != null) {
                    return verdict(r);
                }
            }
            if (bucket == 6 && !synOnly && c.conntrackStrict()) {
                // the ACK of a handshake answered with a cookie: its connection begins below, if the policy lets it by
                if (e != null || !c.synCookies() || (flags & 0x16) != 0x10 || !plainTcp(frame, length)
                        || !synCookies.validAck(family, src, sport, dst, dport,
                                frame.get(BIG_INT, summary.l4Offset() + 8) & 0xffff_ffffL)) {
                    return verdict(FirewallCounter.DROP_CT_STRAY);
                }
                cookieAck = true;
            }
        }
        // a SYN without options over the bucket of such SYNs: dropped, never answered (as a bare-syn-drop measure)
        if (synOnly && doff == 5 && c.barePps() != 0 && !take(bareFlood, 0, now, c.barePps(), c.bareCap())) {
            return verdict(FirewallCounter.DROP_BARE_GLOBAL);
        }
        if (synOnly && c.synPps() != 0 && rate != null && !take(rate, 2, now, c.synPps(), c.synCap())) {
            return verdict(FirewallCounter.DROP_SYN_FLOOD);
        }
        if (synOnly && c.floodPps() != 0 && over == null && !take(flood, 0, now, c.floodPps(), c.floodCap())) {
            if (!c.synCookies()) {
                return verdict(FirewallCounter.DROP_SYN_GLOBAL);
            }
            over = FirewallCounter.DROP_SYN_GLOBAL;
        }
        FirewallCounter reason = policy(c, family, src, dst, bucket, dport);
        if (lastRule >= 0) {
            ruleHits[lastRule]++;
        }
        // conntrack believes a connection's first packet, a cookie answers a SYN's source: neither for
        // one of this host's own addresses (before the answer since 2026-12-06); nor a packet no connection
        // decides (not TCP or UDP; since 2026-12-06): a martian, its source never blocked
        if ((over != null || cookieAck || track || (bucket != 6 && bucket != 17)) && reason.passes() && fromOwn(family)) {
            return verdict(FirewallCounter.DROP_OWN_SOURCE);
        }
        // ICMP of all sources that would pass, last (what else drops takes no token); ICMPv6's neighbour discovery and
        // multicast listeners (types above 129) never
        if (c.icmpPps() != 0 && reason.passes()
                && (bucket == 1 || (bucket == 58 && (frame.get(ValueLayout.JAVA_BYTE, summary.l4Offset()) & 0xff) <= 129))
                && !take(icmpFlood, 0, now, c.icmpPps(), c.icmpCap())) {
            return verdict(FirewallCounter.DROP_ICMP_GLOBAL);
        }
        if (over != null && reason.passes()) {
            return verdict(answer(frame, length, family, dport, flags, over));
        }
        if (cookieAck && reason.passes()) {
            open(frame, bucket, fromA, now, synOnly);
            return verdict(FirewallCounter.PASS_SYN_COOKIE);
        }
        // a TCP packet whose first state in Linux's table is INVALID (a RST, a SYN-ACK, a FIN, no flag) opens nothing
        if (track && reason.passes() && (bucket != 6 || tcpOpens(flags))) {
            open(frame, bucket, fromA, now, synOnly);
        }
        return verdict(reason);
    }

    /**
     * Whether the source is one no connection here can start from, while the host's addresses are
     * known (xdpml_fw_from_own): one of them, or a multicast or loopback address.
     */
    private boolean fromOwn(int family) {
        if (own.isEmpty()) {
            return false;
        }
        boolean multicast = family == 4 ? (src[0] & 0xf0) == 0xe0 : (src[0] & 0xff) == 0xff;
        boolean loopback = family == 4 ? src[0] == 127 : Arrays.equals(src, LOOPBACK6);
        return multicast || loopback || own.get(addressKey(family, src, ownKey)) != null;
    }

    /**
     * A VXLAN packet's outer packet, judged as the UDP to the VXLAN port it is (xdpml_fw_tunnel): the
     * drop reason (lastRule: the rule that decided, its hit counted), or null when it passes.
     */
    private FirewallCounter tunnel(MemorySegment frame, int length, FirewallConfig c) {
        int f = addressesAt(frame, length, 14 + 4 * summary.vlanDepth(), outerSrc, outerDst);
        if (f == 0) {
            return null;
        }
        if (mappedSource(f, outerSrc)) {
            return FirewallCounter.DROP_MAPPED_SOURCE;
        }
        if (inList(c.denySource(), f, outerSrc) || inList(c.denyDestination(), f, outerDst)) {
            return FirewallCounter.DROP_DENY_LIST;
        }
        if (!tunnelCheck) { // it would pass (tunnel_check)
            return null;
        }
        FirewallCounter outer = policy(c, f, outerSrc, outerDst, 17, vxlanPort);
        if (lastRule >= 0) {
            ruleHits[lastRule]++;
        }
        if (!outer.passes()) {
            return FirewallCounter.DROP_TUNNEL;
        }
        lastRule = -1;
        return null;
    }

    /** Whether source address s, of family, is IPv6's IPv4-mapped form ::ffff:a.b.c.d (xdpml_fw_mapped_source). */
    private static boolean mappedSource(int family, byte[] s) {
        return family == 6 && io.xdpml.detect.Addresses.isV4Mapped(s);
    }

    /**
     * The addresses of the IP header at the parse's l3 offset into src and dst (xdpml_fw_read_addresses):
     * its family, or 0 when the frame has none there (also for a packet the parse refused).
     */
    private int addresses(MemorySegment frame, int length) {
        return addressesAt(frame, length, summary.l3Offset(), src, dst);
    }

    /** The addresses of the IP header at {@code l3} into s and d: its family, or 0 when the frame has none there. */
    private static int addressesAt(MemorySegment frame, int length, int l3, byte[] s, byte[] d) {
        if (l3 == 0 || l3 + 20 > length) {
            return 0;
        }
        int version = (frame.get(ValueLayout.JAVA_BYTE, l3) & 0xf0) >>> 4;
        Arrays.fill(s, (byte) 0);
        Arrays.fill(d, (byte) 0);
        if (version == 4) {
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, l3 + 12, s, 0, 4);
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, l3 + 16, d, 0, 4);
            return 4;
        }
        if (version != 6 || l3 + 40 > length) {
            return 0;
        }
        MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, l3 + 8, s, 0, 16);
        MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, l3 + 24, d, 0, 16);
        return 6;
    }

    /**
     * Whether a TCP packet of these flags, without a live connection and passed by the policy, opens
     * one (xdpml_fw_tcp_opens): Linux's tcp_new, tcp_conntracks[ORIGINAL][get_conntrack_index][NONE]
     * not INVALID. The index is RST if rst, else SYN/SYNACK if syn, else FIN if fin, else ACK if ack,
     * else NONE; from sNO only syn (sSS) and ack (sES) are valid. A RST, a SYN-ACK, a FIN (with or
     * without ACK) and a segment without any of the four open nothing (since 2026-12-06).
     */
    static boolean tcpOpens(int flags) {
        if ((flags & 0x04) != 0) {
            return false;
        }
        if ((flags & 0x02) != 0) {
            return (flags & 0x10) == 0;
        }
        if ((flags & 0x01) != 0) {
            return false;
        }
        return (flags & 0x10) != 0;
    }

    /**
     * A new connection of the initiator on side a (fromA) or b (xdpml_fw_ct_open): syn_sent for a
     * SYN without ACK, else established (a cookie's ACK, a connection picked up mid-way), udp.
     */
    private void open(MemorySegment frame, int bucket, boolean fromA, long now, boolean synOnly) {
        // a SYN's or a UDP datagram's connection starts unassured; one picked up mid-stream or by a
        // cookie's ACK (established), assured. A stale entry of the key in the other table is deleted
        boolean assured = bucket == 6 && !synOnly;
        (assured ? unassured : connections).remove(ck);
        long[] to = (assured ? connections : unassured).put(ck); // a stale entry of the key replaced
        if (bucket == 6) {
            segment.read(frame, summary); // which packets get here: tcpOpens, or a cookie's ACK
            TcpTracking.open(to, now, fromA, segment);
        } else {
            TcpTracking.openUdp(to, now, fromA);
        }
        counters[FirewallCounter.CT_NEW.id()]++;
    }

    /**
     * A SYN over a SYN limit under syn-cookies on, which the policy lets by (xdpml_fw_over_syn_limit):
     * answered with a cookie when the host listens for it (and it carries no FIN or RST, for which
     * the kernel's helper gives none), else dropped for {@code why}.
     */
    private FirewallCounter answer(MemorySegment frame, int length, int family, int dport, int flags, FirewallCounter why) {
        if ((flags & 0x05) == 0 && plainTcp(frame, length) && !martianSource(family, src) && toThisInterface(frame) && ownDestination(family)
                && synCookies.listens(family, dst, dport)) {
            return FirewallCounter.SYN_COOKIE;
        }
        counters[FirewallCounter.SYN_COOKIE_UNANSWERED.id()]++;
        return why;
    }

    private static final byte[] LOOPBACK6 = new byte[16];

    static {
        LOOPBACK6[15] = 1;
    }

    /**
     * Whether a SYN's source is one no SYN comes from, never answered (xdpml_cookie_martian_source):
     * IPv4 0/8, 127/8, 224/3; IPv6 ::, ::1, ff00::/8.
     */
    static boolean martianSource(int family, byte[] s) {
        if (family == 4) {
            int a = s[0] & 0xff;
            return a == 0 || a == 127 || a >= 224;
        }
        if ((s[0] & 0xff) == 0xff) {
            return true;
        }
        for (int i = 0; i < 15; i++) {
            if (s[i] != 0) {
                return false;
            }
        }
        return (s[15] & 0xff) <= 1;
    }

    /** Whether the frame is sent to the interface's MAC or its master's (xdpml_cookie_to_this_interface). */
    private boolean toThisInterface(MemorySegment frame) {
        return mac != null && (sameMac(frame, mac) || sameMac(frame, masterMac));
    }

    private static boolean sameMac(MemorySegment frame, byte[] m) {
        for (int i = 0; i < 6; i++) {
            if (frame.get(ValueLayout.JAVA_BYTE, i) != m[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the destination is one of this host's unicast addresses, while they are known
     * (xdpml_cookie_own_destination); when not, the listener's oracle says ({@link SynCookies#listens}).
     */
    private boolean ownDestination(int family) {
        if (own.isEmpty()) {
            return true;
        }
        long[] v = own.get(addressKey(family, dst, ownKey));
        return v != null && (v[0] & OwnAddresses.DESTINATION) != 0;
    }

    /** Whether the kernel can answer or check a cookie for this packet (xdpml_cookie_headers): plain TCP to a unicast MAC. */
    private boolean plainTcp(MemorySegment frame, int length) {
        if (summary.l4Protocol() != 6 || summary.has(ParseFlags.VXLAN) || summary.has(ParseFlags.FRAGMENT)
                || summary.ipv6Extensions() != 0 || (frame.get(ValueLayout.JAVA_BYTE, 0) & 1) != 0) {
            return false;
        }
        int l3 = summary.l3Offset();
        int l4 = summary.l4Offset();
        boolean v4 = summary.has(ParseFlags.IPV4);
        if (v4 ? l4 != l3 + 20 || (frame.get(ValueLayout.JAVA_BYTE, l3) & 0xff) != 0x45 : l4 != l3 + 40) {
            return false;
        }
        if (l4 + 20 > length) {
            return false;
        }
        int thLen = ((frame.get(ValueLayout.JAVA_BYTE, l4 + 12) & 0xff) >>> 4) * 4;
        return thLen >= 20 && l4 + thLen <= length;
    }

    /** A live connection decides (xdpml_fw_ct_decide): its verdict, or null when the packet is judged as a new connection. */
    private FirewallCounter decide(long[] e, MemorySegment frame, int bucket, boolean fwd, long now, boolean inNew) {
        int r = TcpTracking.PASS;
        if (bucket == 6) {
            segment.read(frame, summary);
            r = TcpTracking.step(e, fwd, segment);
        }
        if (r == TcpTracking.INVALID) {
            return FirewallCounter.DROP_CT_INVALID;
        }
        if (r == TcpTracking.RST_WINDOW) {
            return FirewallCounter.DROP_CT_RST_WINDOW;
        }
        if (r == TcpTracking.PASS) {
            if (Long.compareUnsigned(now, e[0]) > 0) {
                e[0] = now;
            }
            if (inNew) {
                assure(e, bucket, fwd);
            }
            return FirewallCounter.PASS_CONNTRACK;
        }
        return null;
    }

    /**
     * An unassured entry e of key ck after a packet passed on it (xdpml_fw_ct_assure): moved into the
     * assured table when a TCP connection is established (or FIN_WAIT after), a UDP one answered.
     * Created there only where the key has no entry (BPF_NOEXIST), then removed here.
     */
    private void assure(long[] e, int bucket, boolean fwd) {
        long st = e[TcpTracking.STATE];
        if (bucket == 6 ? st != FirewallLayout.CT_ESTABLISHED && st != FirewallLayout.CT_FIN_WAIT : fwd) {
            return;
        }
        if (connections.get(ck) == null) {
            System.arraycopy(e, 0, connections.put(ck), 0, TcpTracking.SIZE);
        }
        unassured.remove(ck);
    }

    /** The measures against a TCP/UDP packet (xdpml_fw_measures_check): the drop reason, or null. */
    private FirewallCounter measure(int family, int bucket, int sport, int dport, boolean synOnly, boolean bare, boolean udpPorts, long now) {
        long hi;
        long lo;
        if (family == 4) {
            hi = 0;
            lo = 0xffff_0000_0000L | (MeasureTable.word(dst, 0) >>> 32);
        } else {
            hi = MeasureTable.word(dst, 0);
            lo = MeasureTable.word(dst, 8);
        }
        MeasureTable.Entry m = measures.find(hi, lo, bucket, FirewallLayout.M_PORT_DROP, sport);
        if (m != null && m.liveAt(now)) {
            m.hits++;
            return FirewallCounter.DROP_MEASURE_PORT;
        }
        if (!synOnly && !udpPorts) {
            return null;
        }
        if (bare) { // no TCP stack in use sends a SYN without options: dropped whatever the rate, never answered
            m = onPort(hi, lo, bucket, FirewallLayout.M_BARE_SYN, dport, now);
            if (m != null) {
                m.hits++;
                return FirewallCounter.DROP_MEASURE_BARE;
            }
        }
        m = onPort(hi, lo, bucket, synOnly ? FirewallLayout.M_SYN_LIMIT : FirewallLayout.M_UDP_LIMIT, dport, now);
        if (m == null) {
            return null;
        }
        if (m.pps != 0 && take(m.bucket, 0, now, m.pps, m.cap)) {
            return null;
        }
        m.hits++;
        return synOnly ? FirewallCounter.DROP_MEASURE_SYN : FirewallCounter.DROP_MEASURE_UDP;
    }

    /** The live measure of a kind on the port, else (port not 0) on every port of the victim (xdpml_fw_measure_on_port); null when neither. */
    private MeasureTable.Entry onPort(long hi, long lo, int bucket, int kind, int port, long now) {
        MeasureTable.Entry m = measures.find(hi, lo, bucket, kind, port);
        if (m != null && !m.liveAt(now)) {
            m = null;
        }
        if (m == null && port != 0) {
            m = measures.find(hi, lo, bucket, kind, 0);
            if (m != null && !m.liveAt(now)) {
                m = null;
            }
        }
        return m;
    }

    /** Allow list, rules, default for addresses s and d (xdpml_fw_policy); the rule that decided in lastRule. */
    private FirewallCounter policy(FirewallConfig c, int family, byte[] s, byte[] d, int bucket, int dport) {
        if (inList(c.allowSource(), family, s) || inList(c.allowDestination(), family, d)) {
            return FirewallCounter.PASS_ALLOW_LIST;
        }
        List<FirewallRule> rules = c.rules();
        for (int i = 0; i < rules.size(); i++) { // by index: an iterator per packet is an allocation the JIT does not always remove
            FirewallRule r = rules.get(i);
            if (r.matches(family, s, d, bucket, dport)) {
                lastRule = r.index();
                return r.action() == FirewallRule.Action.DROP ? FirewallCounter.DROP_RULE : FirewallCounter.PASS_RULE;
            }
        }
        return c.defaultDrop() ? FirewallCounter.DROP_DEFAULT : FirewallCounter.PASS_DEFAULT;
    }

    private static boolean inList(List<Prefix> list, int family, byte[] addr) {
        for (int i = 0; i < list.size(); i++) { // by index, as the rules
            if (list.get(i).contains(family, addr, 0)) {
                return true;
            }
        }
        return false;
    }

    /** The token bucket of firewall.h (xdpml_fw_take) on b[i] (level), b[i + 1] (last_ns). */
    /**
     * firewall.h's xdpml_fw_take on a bucket of two longs at {@code b[i]} (level in nano-tokens,
     * last time): takes one token at time {@code now}; true when there was one.
     */
    public static boolean takeToken(long[] b, int i, long now, long pps, long cap) {
        return take(b, i, now, pps, cap);
    }

    static boolean take(long[] b, int i, long now, long pps, long cap) {
        long level = b[i];
        if (Long.compareUnsigned(now, b[i + 1]) > 0) {
            long elapsed = now - b[i + 1];
            if (Long.compareUnsigned(elapsed, Long.divideUnsigned(cap, pps)) >= 0) {
                level = cap;
            } else {
                level += elapsed * pps;
            }
            if (Long.compareUnsigned(level, cap) > 0) {
                level = cap;
            }
            b[i + 1] = now;
        }
        if (Long.compareUnsigned(level, FirewallLayout.NS_PER_TOKEN) < 0) {
            b[i] = level;
            return false;
        }
        b[i] = level - FirewallLayout.NS_PER_TOKEN;
        return true;
    }

    static long timeout(FirewallConfig c, int state) {
        return switch (state) {
            case FirewallLayout.CT_SYN_SENT, FirewallLayout.CT_SYN_RECV -> c.timeoutSynNanos();
            case FirewallLayout.CT_ESTABLISHED -> c.timeoutEstablishedNanos();
            case FirewallLayout.CT_UDP -> c.timeoutUdpNanos();
            default -> c.timeoutFinNanos();
        };
    }
}
