package io.xdpml.processor;

import io.xdpml.kernel.BpfFs;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.MapLock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Closed-loop mitigation: Java decides, the kernel enforces. Blocks a source address or prefix in
 * the XDP program's LPM trie ({@code xdpml_blocks}, bpf/include/xdpml/mitigation.h), or one flow
 * (both directions) in a hash keyed by the flow table's canonical key ({@code xdpml_flow_blocks}),
 * with an expiry; from the next packet on, the kernel drops that traffic before sampling and counts
 * each drop on the entry. Entries past their expiry stop matching at once and are removed by
 * {@link #sweep}. Thread-safe and safe across processes: each update is one atomic map operation,
 * and every read-modify-write ({@link #blockAtLeastUntil}, {@link #extend}, {@link #unblockIf},
 * {@link #sweep}) is one step for every other writer, of this process or another ({@code xdpml
 * blocks} from another shell): they run under the blocks map's {@link MapLock}, as do the plain
 * writes.
 *
 * <p>Flow blocks match a flow as the flow table keys it (mitigation.h): addresses, protocol,
 * TCP/UDP ports past IPv6 extension headers, outermost VLAN, and the VXLAN tunnel's VNI (0
 * outside one; {@link Flow}). The kernel builds a packet's flow key only while
 * {@code xdpml_mitigation_state[0]} has {@link #BLOCKING_FLOWS}: every write of a flow block sets
 * it before adding, {@link #sweep} clears it when no flow block is left. {@link #BLOCKING_SOURCES}
 * likewise says source blocks may exist: while either is set, a packet the parse stopped short of
 * what Linux reaches (a tunnel hidden behind nine IPv6 extension headers, a fifth VLAN tag) is
 * dropped, as it could hide a blocked source or flow (mitigation.h).
 *
 * <p>Other processes reach the blocks of a running processor through a pin: a processor whose
 * config names a pin ({@link ProcessorConfig#withBlocksPin}) pins its map there while it runs
 * ({@code xdpml run} uses {@link #DEFAULT_PIN_DIR}/IFACE), and {@link #openPinned} opens it
 * (the {@code xdpml blocks} commands). The blocks live as long as the program that enforces them.
 *
 * <pre>
 *   key   (20 bytes): u32 prefixlen (host order) | 16-byte address (IPv4 as ::ffff:a.b.c.d, prefix + 96)
 *   value (16 bytes): u64 expires_ns (CLOCK_MONOTONIC, as System.nanoTime(); 0: never) | u64 hits
 * </pre>
 */
public final class Mitigation {
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    static final int KEY_SIZE = 20;
    static final int VALUE_SIZE = 16;

    /** A block: the prefix, when it expires (monotonic ns, 0 never) and the packets it dropped. */
    public record Block(InetAddress address, int prefixLength, long expiresNanos, long hits) {
        /** Whether it still matches at monotonic time {@code now}. */
        public boolean activeAt(long now) {
            return expiresNanos == 0 || now <= expiresNanos;
        }

        /** The block of an LPM key ({@code bits} of the 16-byte {@code address}; IPv4-mapped with bits >= 96 as IPv4). */
        public static Block of(int bits, byte[] address, long expiresNanos, long hits) {
            boolean v4 = bits >= 96 && io.xdpml.detect.Addresses.isV4Mapped(address);
            try {
                InetAddress ia = v4 ? InetAddress.getByAddress(java.util.Arrays.copyOfRange(address, 12, 16)) : InetAddress.getByAddress(address);
                return new Block(ia, v4 ? bits - 96 : bits, expiresNanos, hits);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefixLength + " hits " + hits
                    + (neverExpires(expiresNanos) ? " (no expiry)" : " (expires in " + Math.max(0, (expiresNanos - System.nanoTime()) / 1_000_000) + " ms)");
        }
    }

    /**
     * Expiries from here on never come (2^62 ns: 146 years of uptime): a writer whose "until removed"
     * must be told apart from another's 0 (the fleet's, {@code agent.FleetTarget}) writes this plus a
     * sequence number. The kernel and every check here treat both as no expiry.
     */
    public static final long UNTIL_REMOVED = 1L << 62;

    /** Whether expiry {@code e} never comes: 0, or {@link #UNTIL_REMOVED} and above. */
    public static boolean neverExpires(long e) {
        return e == 0 || e >= UNTIL_REMOVED;
    }

    /** Where {@code xdpml run} pins each interface's blocks map (a file named after the interface). */
    public static final Path DEFAULT_PIN_DIR = BpfFs.ROOT.resolve("xdpml").resolve("blocks");

    /** The maps' names in the program, and their pin file names. */
    static final String BLOCKS = "xdpml_blocks";
    static final String FLOW_BLOCKS = "xdpml_flow_blocks";
    static final String STATE = "xdpml_mitigation_state";

    /** Bits of {@code xdpml_mitigation_state[0]} (mitigation.h's XDPML_BLOCKING_*): which maps may hold entries. */
    public static final int BLOCKING_FLOWS = 1;
    public static final int BLOCKING_SOURCES = 2;

    private final BpfMap map;
    private final BpfMap flowMap;
    private final BpfMap state;

    /** The blocks pinned in {@code dir} by a running processor (close the handle with {@link #close}). */
    public static Mitigation openPinned(Path dir) {
        if (!Files.exists(dir.resolve(BLOCKS))) {
            throw new IllegalArgumentException("no blocks pinned at " + dir + " (is xdpml run running on that interface?)");
        }
        return new Mitigation(BpfMap.openPinned(dir.resolve(BLOCKS)), BpfMap.openPinned(dir.resolve(FLOW_BLOCKS)),
                BpfMap.openPinned(dir.resolve(STATE)));
    }

    /**
     * The blocks of a loaded object that includes mitigation.h (xdp_xsk.bpf.o): its maps
     * {@code xdpml_blocks}, {@code xdpml_flow_blocks} and {@code xdpml_mitigation_state}.
     */
    public static Mitigation of(BpfObject object) {
        return new Mitigation(object.map(BLOCKS), object.map(FLOW_BLOCKS), object.map(STATE));
    }

    /** Closes the maps' fds when opened from pins (no-op for a processor's own maps). */
    public void close() {
        map.close();
        flowMap.close();
        state.close();
    }

    /** Pins the maps in {@code dir} (replacing stale pins left by a process that died). */
    void pin(Path dir) {
        BpfFs.createDirectories(dir);
        for (String name : new String[] {BLOCKS, FLOW_BLOCKS, STATE}) {
            BpfFs.removePin(dir.resolve(name));
        }
        map.pin(dir.resolve(BLOCKS));
        flowMap.pin(dir.resolve(FLOW_BLOCKS));
        state.pin(dir.resolve(STATE));
    }

    /** Removes the pins of {@link #pin}. */
    static void unpin(Path dir) {
        BpfFs.removeRecursively(dir);
    }

    Mitigation(BpfMap map, BpfMap flowMap, BpfMap state) {
        if (map.keySize() != KEY_SIZE || map.valueSize() != VALUE_SIZE) {
            throw new IllegalStateException("xdpml_blocks has key " + map.keySize() + " / value " + map.valueSize() + " bytes");
        }
        if (flowMap.keySize() != FlowLayout.KEY_SIZE || flowMap.valueSize() != VALUE_SIZE) {
            throw new IllegalStateException("xdpml_flow_blocks has key " + flowMap.keySize() + " / value " + flowMap.valueSize() + " bytes");
        }
        this.map = map;
        this.flowMap = flowMap;
        this.state = state;
    }

    /**
     * A flow as a flow block names it: its protocol (6 TCP, 17 UDP; other protocols match by
     * addresses with ports 0), its endpoints in either order, the outermost VLAN ID (0: untagged)
     * and, for a flow inside a VXLAN tunnel, the tunnel's VNI (0: not tunnelled); the addresses are
     * the innermost packet's, as the flow table keys flows. A flow inside VXLAN VNI 0 cannot be named
     * (its key is marked tunnelled since 2026-12-06, so VNI 0 here is the native flow).
     */
    public record Flow(InetAddress src, int srcPort, InetAddress dst, int dstPort, int protocol, int vlan, int vni) {
        public Flow {
            if ((src instanceof Inet4Address) != (dst instanceof Inet4Address)) {
                throw new IllegalArgumentException("a flow's endpoints are both IPv4 or both IPv6: " + src + ", " + dst);
            }
            checkRanges(srcPort, dstPort, protocol, vlan, vni);
        }

        /** Checks a flow's numbers (this record's and the fleet's {@code FleetBlock.Flow}): ports 0..65535, protocol 0..255, VLAN 0..4095, VNI 0..2^24-1. */
        public static void checkRanges(int portA, int portB, int protocol, int vlan, int vni) {
            if (portA < 0 || portA > 65535 || portB < 0 || portB > 65535 || protocol < 0 || protocol > 255 || vlan < 0 || vlan > 4095
                    || vni < 0 || vni > io.xdpml.packet.TransportHeaders.VXLAN_MAX_VNI) {
                throw new IllegalArgumentException("ports 0..65535, protocol 0..255, vlan 0..4095, vni 0.."
                        + io.xdpml.packet.TransportHeaders.VXLAN_MAX_VNI);
            }
        }

        /** A flow outside any tunnel. */
        public Flow(InetAddress src, int srcPort, InetAddress dst, int dstPort, int protocol, int vlan) {
            this(src, srcPort, dst, dstPort, protocol, vlan, 0);
        }

        @Override
        public String toString() {
            return protocolName(protocol) + " " + endpoint(src, srcPort) + " <-> " + endpoint(dst, dstPort) + (vlan != 0 ? " vlan " + vlan : "")
                    + (vni != 0 ? " vni " + vni : "");
        }
    }

    /** A blocked flow: its canonical endpoints (a: the lower address), when it expires and the packets it dropped. */
    public record FlowBlock(InetAddress addressA, int portA, InetAddress addressB, int portB, int protocol, int vlan, int vni,
                            long expiresNanos, long hits) {
        public boolean activeAt(long now) {
            return expiresNanos == 0 || now <= expiresNanos;
        }

        /** The flow it blocks. */
        public Flow flow() {
            return new Flow(addressA, portA, addressB, portB, protocol, vlan, vni);
        }

        /** The flow block of a canonical flow key ({@code struct xdpml_flow_key}, {@link FlowLayout}). */
        public static FlowBlock of(MemorySegment key, long expiresNanos, long hits) {
            byte[] kb = key.asSlice(0, FlowLayout.KEY_SIZE).toArray(ValueLayout.JAVA_BYTE);
            return new FlowBlock(address(kb, FlowLayout.KEY_ADDR_A), key.get(FlowLayout.U16, FlowLayout.KEY_PORT_A) & 0xffff,
                    address(kb, FlowLayout.KEY_ADDR_B), key.get(FlowLayout.U16, FlowLayout.KEY_PORT_B) & 0xffff,
                    key.get(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL) & 0xff, key.get(FlowLayout.U16, FlowLayout.KEY_VLAN) & 0xffff,
                    FlowLayout.keyVni(key), expiresNanos, hits);
        }

        @Override
        public String toString() {
            return flow().toString();
        }
    }

    private static String endpoint(InetAddress a, int port) {
        String h = a instanceof Inet4Address ? a.getHostAddress() : "[" + a.getHostAddress() + "]";
        return h + ":" + port;
    }

    /** tcp, udp, icmp, icmpv6, or proto-N. */
    public static String protocolName(int p) {
        return switch (p) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 58 -> "icmpv6";
            default -> "proto-" + p;
        };
    }

    /**
     * Blocks one flow, both directions, for {@code duration} (null or zero: until removed).
     */
    public void blockFlow(Flow flow, Duration duration) {
        blockFlowUntil(flow, expiry(duration));
    }

    /** {@link #blockFlow} until monotonic time {@code expiresNanos} (the kernel's packet clock; 0: until removed). */
    public void blockFlowUntil(Flow flow, long expiresNanos) {
        MapLock.run(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                write(flowMap, BLOCKING_FLOWS, flowKey(a, flow), expiresNanos, a);
            }
        });
    }

    /**
     * {@link #blockFlowUntil}, except that a flow block already there without expiry or expiring
     * later (the operator's) is left as it is. Returns whether it wrote its own.
     */
    public boolean blockFlowAtLeastUntil(Flow flow, long expires) {
        return blockFlowAtLeastReplacing(flow, expires) != null;
    }

    /**
     * What a writer that may take its entry back wrote: the expiry it wrote, and the expiry of the
     * entry it replaced ({@link #NONE}: there was none). {@link #takeBack} undoes it.
     */
    public record Replacement(long written, long previous) {}

    /** {@link Replacement#previous()} when there was no entry. */
    public static final long NONE = -1;

    /** {@link #blockFlowAtLeastUntil}: what it wrote and replaced, or null when it left the entry there as it was. */
    public Replacement blockFlowAtLeastReplacing(Flow flow, long expires) {
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return writeIfLater(flowMap, flowKey(a, flow), expires, a);
            }
        });
    }

    /** {@link #takeBack} of a flow block ({@link #blockFlowAtLeastReplacing}). */
    public boolean takeBackFlow(Flow flow, Replacement r, long now) {
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return takeBack(flowMap, flowKey(a, flow), r, now, a);
            }
        });
    }

    /**
     * Writes expiry {@code expires} into entry k of m (the blocks or the flow blocks; hits from 0)
     * unless the entry there lasts as long or longer: what it replaced, or null when it wrote nothing.
     */
    private Replacement writeIfLater(BpfMap m, MemorySegment k, long expires, Arena a) {
        MemorySegment v = a.allocate(VALUE_SIZE);
        long previous = m.lookup(k, v) ? v.get(U64, 0) : NONE;
        if (previous != NONE && !later(expires, previous)) {
            return null;
        }
        write(m, m == flowMap ? BLOCKING_FLOWS : BLOCKING_SOURCES, k, expires, a); // and the kernel's state bit
        return new Replacement(expires, previous);
    }

    /**
     * Undoes replacement r of entry k in m if the entry is still as written: the entry it replaced
     * back (its hits from 0) while that has not expired at {@code now}, else none. False when the
     * entry was written over since (by the operator, a detection), or is gone. The hits carry over.
     */
    private static boolean takeBack(BpfMap m, MemorySegment k, Replacement r, long now, Arena a) {
        MemorySegment v = a.allocate(VALUE_SIZE);
        if (!m.lookup(k, v) || v.get(U64, 0) != r.written()) {
            return false;
        }
        long p = r.previous();
        if (p == NONE || (p != 0 && Long.compareUnsigned(now, p) > 0)) {
            return m.delete(k);
        }
        v.set(U64, 0, p); // its hits go on
        m.update(k, v, BpfMap.BPF_EXIST);
        return true;
    }

    private static MemorySegment flowKey(Arena a, Flow flow) {
        MemorySegment k = a.allocate(FlowLayout.KEY_SIZE);
        writeFlowKey(k, flow);
        return k;
    }

    /**
     * Writes entry k of m (the blocks or the flow blocks) with expiry {@code expires}, hits from 0,
     * and sets m's bit of the kernel's state word: before the entry, so that the kernel looks it up,
     * and after it, as a sweep of a process that could not take the lock may have cleared it between.
     */
    private void write(BpfMap m, int blocking, MemorySegment k, long expires, Arena a) {
        markBlocking(blocking, a);
        MemorySegment v = a.allocate(VALUE_SIZE);
        v.set(U64, 0, expires);
        v.set(U64, 8, 0);
        m.update(k, v, BpfMap.BPF_ANY);
        markBlocking(blocking, a);
    }

    /** Sets {@code bit} ({@link #BLOCKING_FLOWS}, {@link #BLOCKING_SOURCES}) in the state word, keeping the other. */
    private void markBlocking(int bit, Arena a) {
        MemorySegment w = a.allocate(4);
        int was = state.lookup(0, w) ? w.get(U32, 0) : 0;
        if ((was & bit) == 0) {
            w.set(U32, 0, was | bit);
            state.update(0, w, BpfMap.BPF_ANY);
        }
    }

    /** Removes a flow block (either direction's endpoints); false when there was none. */
    public boolean unblockFlow(Flow flow) {
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return flowMap.delete(flowKey(a, flow));
            }
        });
    }

    /** The flow blocks in the map now (expired ones included until swept). */
    public List<FlowBlock> listFlows() {
        List<FlowBlock> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VALUE_SIZE);
            MemorySegment k = a.allocate(FlowLayout.KEY_SIZE);
            for (byte[] kb : flowMap.keys()) {
                MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, FlowLayout.KEY_SIZE);
                if (!flowMap.lookup(k, v)) {
                    continue;
                }
                out.add(FlowBlock.of(k, v.get(U64, 0), v.get(U64, 8)));
            }
        }
        return out;
    }

    private static InetAddress address(byte[] key, int offset) {
        return io.xdpml.detect.Addresses.unmapped(java.util.Arrays.copyOfRange(key, offset, offset + 16));
    }

    /**
     * Writes the key of a flow block into {@code key} ({@link FlowLayout#KEY_SIZE} bytes): the
     * canonical flow key (flow.h, {@link FlowPacket#writeKey}) with ports only for TCP/UDP; a VNI
     * names a flow inside VXLAN (the key's {@link FlowLayout#KEY_TUNNELLED}), 0 the native flow.
     */
    public static void writeFlowKey(MemorySegment key, Flow f) {
        boolean ports = f.protocol() == 6 || f.protocol() == 17;
        ByteBuffer s16 = ByteBuffer.wrap(mapped(f.src()));
        ByteBuffer d16 = ByteBuffer.wrap(mapped(f.dst()));
        FlowPacket.writeKey(key, s16.getLong(0), s16.getLong(8), d16.getLong(0), d16.getLong(8), ports ? f.srcPort() : 0,
                ports ? f.dstPort() : 0, f.protocol(), f.src() instanceof Inet4Address ? 4 : 6, f.vlan(),
                f.vni() != 0 ? f.vni() | FlowLayout.KEY_TUNNELLED : 0);
    }

    /** The 16 bytes of an address as the blocks key them: IPv6 as is, IPv4 as ::ffff:a.b.c.d. */
    public static byte[] mapped(InetAddress address) {
        return io.xdpml.detect.Addresses.mapped(address);
    }

    /** Blocks {@code address}/{@code prefixLength} for {@code duration} (null or zero: until removed). */
    public void block(InetAddress address, int prefixLength, Duration duration) {
        blockUntil(address, prefixLength, expiry(duration));
    }

    /** {@link #block} until monotonic time {@code expiresNanos} (the kernel's packet clock; 0: until removed). */
    public void blockUntil(InetAddress address, int prefixLength, long expiresNanos) {
        int bits = prefixBits(address, prefixLength);
        MapLock.run(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                write(map, BLOCKING_SOURCES, key(a, address, bits), expiresNanos, a);
            }
        });
    }

    /**
     * A detection's (or the fleet's) block of {@code address}/{@code prefixLength} until
     * {@code expires} (0: until removed): as {@link #blockUntil}, except that a block already there
     * without expiry, or expiring later (the operator's, {@code xdpml blocks add}, or the fleet's),
     * is left as it is: a detection never shortens one. Returns whether it wrote its own. The read and the write are one step for every writer (the
     * agent's loop and its fleet thread, an {@code xdpml blocks add} from another shell): {@link MapLock}.
     */
    public boolean blockAtLeastUntil(InetAddress address, int prefixLength, long expires) {
        return blockAtLeastReplacing(address, prefixLength, expires) != null;
    }

    /** {@link #blockAtLeastUntil}: what it wrote and replaced, or null when it left the entry there as it was. */
    public Replacement blockAtLeastReplacing(InetAddress address, int prefixLength, long expires) {
        int bits = prefixBits(address, prefixLength);
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return writeIfLater(map, key(a, address, bits), expires, a);
            }
        });
    }

    /**
     * Undoes {@link #blockAtLeastReplacing}'s replacement r of the block of {@code address}/{@code
     * prefixLength} if it is still as written: the block it replaced back while that has not expired
     * at {@code now}, else none. False when it was written over since, or is gone.
     */
    public boolean takeBack(InetAddress address, int prefixLength, Replacement r, long now) {
        int bits = prefixBits(address, prefixLength);
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return takeBack(map, key(a, address, bits), r, now, a);
            }
        });
    }

    /** Whether expiry {@code a} is later than {@code b} (0: never expires). */
    public static boolean later(long a, long b) {
        return b != 0 && (a == 0 || Long.compareUnsigned(a, b) > 0);
    }

    /** What a renewal ({@link #renew}) did: moved the expiry, left a block that lasts longer, or found none. */
    public enum Renewal { EXTENDED, LONGER_KEPT, GONE }

    /**
     * Moves the expiry of the block of {@code address}/{@code prefixLength} to {@code expiresNanos},
     * its hits kept (what the kernel counts between this read and the write is lost), unless it
     * expires later already or never (then it stays as it is); false when there is no such block.
     */
    public boolean extend(InetAddress address, int prefixLength, long expiresNanos) {
        return renew(address, prefixLength, expiresNanos).outcome() != Renewal.GONE;
    }

    /** What {@link #renew} did, and the expiry of the entry there after it. */
    public record Renewed(Renewal outcome, long expiresNanos) {}

    /**
     * {@link #extend}, telling what it did: {@link Renewal#EXTENDED}; {@link Renewal#LONGER_KEPT}
     * when the block there expires later or never (another's: the operator's, the fleet's; it stays,
     * and its expiry is returned); {@link Renewal#GONE} when there is none.
     */
    public Renewed renew(InetAddress address, int prefixLength, long expiresNanos) {
        int bits = prefixBits(address, prefixLength);
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment k = key(a, address, bits);
                MemorySegment v = a.allocate(VALUE_SIZE);
                if (!map.lookup(k, v)) {
                    return new Renewed(Renewal.GONE, NONE);
                }
                long there = v.get(U64, 0);
                if (!later(expiresNanos, there)) {
                    return new Renewed(Renewal.LONGER_KEPT, there); // never shortened
                }
                v.set(U64, 0, expiresNanos);
                try {
                    map.update(k, v, BpfMap.BPF_EXIST);
                } catch (io.xdpml.kernel.KernelException e) {
                    if (e.errno() == 2) {
                        return new Renewed(Renewal.GONE, NONE); // ENOENT: removed in between by a writer that does not lock (bpftool)
                    }
                    throw e;
                }
                return new Renewed(Renewal.EXTENDED, expiresNanos);
            }
        });
    }

    /** The LPM prefix length of {@code address}/{@code prefixLength}: + 96 for IPv4; checks the range. */
    public static int prefixBits(InetAddress address, int prefixLength) {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " outside 0.." + max);
        }
        return address instanceof Inet4Address ? prefixLength + 96 : prefixLength;
    }

    private static long expiry(Duration duration) {
        return duration == null || duration.isZero() ? 0 : System.nanoTime() + duration.toNanos();
    }

    /** Blocks one address. */
    public void block(InetAddress address, Duration duration) {
        block(address, address instanceof Inet4Address ? 32 : 128, duration);
    }

    /** Removes a block; false when there was none. */
    public boolean unblock(InetAddress address, int prefixLength) {
        int bits = prefixBits(address, prefixLength);
        return MapLock.with(map, () -> {
            try (Arena a = Arena.ofConfined()) {
                return map.delete(key(a, address, bits));
            }
        });
    }

    /**
     * Removes the block of {@code address}/{@code prefixLength} only if it is still the one written
     * with expiry {@code expires} (the fleet's: not an operator's or a detection's written over it
     * since); false when it was not removed.
     */
    public boolean unblockIf(InetAddress address, int prefixLength, long expires) {
        return takeBack(address, prefixLength, new Replacement(expires, NONE), 0);
    }

    /** The blocks in the map now (expired ones included until swept). */
    public List<Block> list() {
        List<Block> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VALUE_SIZE);
            for (byte[] kb : map.keys()) {
                MemorySegment k = a.allocate(KEY_SIZE);
                MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, KEY_SIZE);
                if (!map.lookup(k, v)) {
                    continue;
                }
                byte[] addr = new byte[16];
                MemorySegment.copy(k, ValueLayout.JAVA_BYTE, 4, addr, 0, 16);
                out.add(Block.of(k.get(U32, 0), addr, v.get(U64, 0), v.get(U64, 8)));
            }
        }
        return out;
    }

    /**
     * Removes expired blocks (prefixes and flows); returns how many. Each entry is looked up again
     * just before it is deleted, so one renewed in the meantime (by another process) stays. Keeps
     * each bit of the kernel's state word ({@link #BLOCKING_FLOWS}, {@link #BLOCKING_SOURCES}) set
     * while its map holds an entry, clears it when none is.
     */
    public int sweep() {
        return sweep(System.nanoTime());
    }

    /** {@link #sweep()} at monotonic time {@code now} (the kernel's packet clock, e.g. a test clock). */
    public int sweep(long now) {
        return MapLock.with(map, () -> sweepLocked(now));
    }

    private int sweepLocked(long now) {
        int n = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VALUE_SIZE);
            n += sweep(map, KEY_SIZE, v, now, a);
            n += sweep(flowMap, FlowLayout.KEY_SIZE, v, now, a);
            MemorySegment flag = a.allocate(4);
            flag.set(U32, 0, blocking());
            state.update(0, flag, BpfMap.BPF_ANY);
            int after = blocking();
            if ((after & ~flag.get(U32, 0)) != 0) {
                flag.set(U32, 0, after); // a block added while its bit was being cleared
                state.update(0, flag, BpfMap.BPF_ANY);
            }
        }
        return n;
    }

    /** The state word the maps' contents call for: a bit for each map that holds entries. */
    private int blocking() {
        return (empty(flowMap) ? 0 : BLOCKING_FLOWS) | (empty(map) ? 0 : BLOCKING_SOURCES);
    }

    /** Whether m has no entry: one get-next-key, not a listing. */
    private static boolean empty(BpfMap m) {
        try (Arena a = Arena.ofConfined()) {
            return !m.nextKey(null, a.allocate(m.keySize(), 8));
        }
    }

    private static int sweep(BpfMap m, int keySize, MemorySegment v, long now, Arena a) {
        int n = 0;
        MemorySegment k = a.allocate(keySize);
        for (byte[] kb : m.keys()) {
            MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, keySize);
            if (!m.lookup(k, v)) {
                continue;
            }
            long expires = v.get(U64, 0);
            if (expires != 0 && Long.compareUnsigned(now, expires) > 0 && m.delete(k)) {
                n++;
            }
        }
        return n;
    }

    private static MemorySegment key(Arena a, InetAddress address, int bits) {
        MemorySegment k = a.allocate(KEY_SIZE);
        k.set(U32, 0, bits);
        byte[] b = address.getAddress();
        if (b.length == 4) {
            k.set(ValueLayout.JAVA_BYTE, 14, (byte) 0xff);
            k.set(ValueLayout.JAVA_BYTE, 15, (byte) 0xff);
            MemorySegment.copy(b, 0, k, ValueLayout.JAVA_BYTE, 16, 4);
        } else {
            MemorySegment.copy(b, 0, k, ValueLayout.JAVA_BYTE, 4, 16);
        }
        return k;
    }
}
