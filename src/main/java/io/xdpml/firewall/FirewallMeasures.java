package io.xdpml.firewall;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.MapLock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The firewall's measures in the kernel ({@code xdpml_fw_measures}, firewall.h): add, renew,
 * remove, list, sweep the expired ones. Over a loaded object's maps ({@link #FirewallMeasures(Function)})
 * or opened from pins ({@link #openPinned}, from another process: {@code xdpml blocks}).
 *
 * <p>The program looks measures up only while {@code xdpml_fw_mstate[0]} is set (a firewall
 * without measures pays one array read per TCP/UDP packet): it holds a bit per kind of entry
 * there may be ({@code 1 << kind}), so that UDP pays the udp-limit's lookups only while there may
 * be a udp-limit. {@link #put} sets its kind's bit before adding an entry (and again after, in case
 * another process's {@link #sweep} cleared it in between); {@link #sweep} and {@link #remove}
 * set the bits of the kinds left, 0 when no entry is left. Each entry is one map update, atomic
 * for the program.
 *
 * <p>Thread-safe and safe across processes: every write runs under the map's {@link MapLock}, so a
 * read-modify-write ({@link #put}'s renewal, {@link #putAtLeastUntil}, {@link #takeBack},
 * {@link #sweep}) is one step for every other writer, of this process or another ({@code xdpml
 * blocks}); a renewal may still lose the hits the program counts between its read and its write.
 *
 * <pre>
 *   key   (20 bytes): victim[16] (IPv4 as ::ffff:a.b.c.d) | u8 proto | u8 kind | u16 port (host order)
 *   value (56 bytes): bpf_spin_lock | pad | u64 expires_ns | u64 hits | u64 pps | u64 cap | u64 level | u64 last_ns
 * </pre>
 */
public final class FirewallMeasures implements AutoCloseable {
    /** The maps' names in the program, and their pin file names. */
    public static final String MAP = "xdpml_fw_measures";
    public static final String STATE = "xdpml_fw_mstate";
    public static final List<String> NAMES = List.of(MAP, STATE);

    private final BpfMap map;
    private final BpfMap state;

    /** Over the maps of a loaded object ({@code object::map}) or of pins (closed by {@link #close}). */
    public FirewallMeasures(Function<String, BpfMap> byName) {
        this(byName.apply(MAP), byName.apply(STATE));
    }

    private FirewallMeasures(BpfMap map, BpfMap state) {
        if (map.keySize() != FirewallLayout.MEASURE_KEY_SIZE || map.valueSize() != FirewallLayout.MEASURE_SIZE) {
            throw new IllegalStateException(MAP + " has key " + map.keySize() + " / value " + map.valueSize() + " bytes");
        }
        this.map = map;
        this.state = state;
    }

    /** Whether measures are pinned in {@code dir}. */
    public static boolean pinnedAt(Path dir) {
        return Files.exists(dir.resolve(MAP)) && Files.exists(dir.resolve(STATE));
    }

    /** The measures pinned in {@code dir} by a running program (close the handle with {@link #close}). */
    public static FirewallMeasures openPinned(Path dir) {
        if (!pinnedAt(dir)) {
            throw new IllegalArgumentException("no firewall measures pinned at " + dir
                    + " (is xdpml run running with the firewall stage on that interface?)");
        }
        BpfMap m = BpfMap.openPinned(dir.resolve(MAP));
        try {
            return new FirewallMeasures(m, BpfMap.openPinned(dir.resolve(STATE)));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Pins both maps in {@code dir} (created if missing; stale pins of a process that died replaced). */
    public void pin(Path dir) {
        BpfFs.createDirectories(dir);
        for (String name : NAMES) {
            BpfFs.removePin(dir.resolve(name));
        }
        map.pin(dir.resolve(MAP));
        state.pin(dir.resolve(STATE));
    }

    /** Removes the pins of {@link #pin} (and {@code dir} when nothing else is left in it). */
    public static void unpin(Path dir) {
        for (String name : NAMES) {
            BpfFs.removePin(dir.resolve(name));
        }
        try (var s = Files.list(dir)) {
            if (s.findAny().isEmpty()) {
                Files.deleteIfExists(dir);
            }
        } catch (java.io.IOException e) {
            // gone already, or not empty: leave it
        }
    }

    /** Closes the maps' fds when opened from pins (no-op for an object's own maps). */
    @Override
    public void close() {
        map.close();
        state.close();
    }

    /**
     * Adds {@code m}, or renews the entry of the same kind, victim, protocol and port: its rate,
     * burst and expiry become {@code m}'s; its hits and its bucket carry over (the level cut to the
     * new burst). A new entry starts with a full bucket and no hits.
     */
    public void put(Measure m) {
        MapLock.run(map, () -> putLocked(m));
    }

    private void putLocked(Measure m) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = key(a, m);
            MemorySegment v = a.allocate(FirewallLayout.MEASURE_SIZE, 8);
            long cap = m.cap();
            long hits = 0;
            long level = cap;
            long last = 0;
            if (map.lookup(k, v)) {
                hits = v.get(FirewallLayout.U64, FirewallLayout.MEASURE_HITS);
                level = Math.min(v.get(FirewallLayout.U64, FirewallLayout.MEASURE_LEVEL), cap);
                last = v.get(FirewallLayout.U64, FirewallLayout.MEASURE_LAST_NS);
            }
            v.fill((byte) 0);
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_EXPIRES_NS, m.expiresNanos());
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_HITS, hits);
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_PPS, m.pps());
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_CAP, cap);
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_LEVEL, level);
            v.set(FirewallLayout.U64, FirewallLayout.MEASURE_LAST_NS, last);
            setFlag(a, flags(a) | bit(m.kind().code)); // before the entry: the program must look it up
            map.update(k, v, BpfMap.BPF_ANY);
            setFlag(a, flags(a) | bit(m.kind().code)); // and after it: another process's sweep may have cleared the bit between the two
        }
    }

    /** {@link #put} with an expiry {@code duration} from now on the kernel's clock (null or zero: never). */
    public Measure put(Measure m, Duration duration) {
        Measure timed = m.withExpiry(duration == null || duration.isZero() ? 0 : System.nanoTime() + duration.toNanos());
        put(timed);
        return timed;
    }

    /**
     * A detection's measure (the agent): {@link #put(Measure, Duration)}, except that it never
     * shortens or loosens an entry there (the operator's, {@code xdpml blocks add --measure}): one
     * without expiry or expiring later is left as it is; one in force that expires sooner gets the
     * later expiry with the stricter of the two rates and bursts. Returns whether it wrote.
     */
    public boolean putAtLeast(Measure m, Duration duration) {
        return putAtLeastUntil(m, duration == null || duration.isZero() ? 0 : System.nanoTime() + duration.toNanos()) != null;
    }

    /** What {@link #putAtLeastUntil} wrote, and the entry it replaced (null: none), for {@link #takeBack}. */
    public record Put(Measure written, Measure previous) {}

    /**
     * {@link #putAtLeast} until monotonic time {@code expires} (0: never; the fleet's measures too):
     * what it wrote and replaced, or null when the entry there stays as it is.
     */
    public Put putAtLeastUntil(Measure m, long expires) {
        return MapLock.with(map, () -> {
            Optional<Measure> there = get(m);
            if (there.isPresent() && !io.xdpml.processor.Mitigation.later(expires, there.get().expiresNanos())) {
                return null;
            }
            Measure w = m;
            if (there.isPresent() && there.get().activeAt(System.nanoTime())) {
                Measure x = there.get();
                w = new Measure(m.kind(), m.victim(), m.proto(), m.port(), Math.min(m.pps(), x.pps()), Math.min(m.burst(), x.burst()), 0, 0);
            }
            w = w.withExpiry(expires);
            putLocked(w);
            return new Put(w, there.orElse(null));
        });
    }

    /**
     * Undoes {@link #putAtLeastUntil}'s put p if the entry is still as written (its expiry): the entry
     * it replaced back (rate, burst, expiry) while that is in force at {@code now}, else none. False
     * when it was written over since (the operator, a detection's renewal), or is gone.
     */
    public boolean takeBack(Put p, long now) {
        return MapLock.with(map, () -> {
            Optional<Measure> there = get(p.written());
            if (there.isEmpty() || there.get().expiresNanos() != p.written().expiresNanos()) {
                return false;
            }
            if (p.previous() != null && p.previous().activeAt(now)) {
                putLocked(p.previous());
                return true;
            }
            return removeLocked(p.written());
        });
    }

    /** Removes the entry {@code m} names (its kind, victim, protocol, port); false when there was none. */
    public boolean remove(Measure m) {
        return MapLock.with(map, () -> removeLocked(m));
    }

    private boolean removeLocked(Measure m) {
        try (Arena a = Arena.ofConfined()) {
            boolean removed = map.delete(key(a, m));
            if (removed) {
                updateFlag(a);
            }
            return removed;
        }
    }

    /** The entry {@code m} names as it is now (with its hits), if there is one. */
    public Optional<Measure> get(Measure m) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = key(a, m);
            MemorySegment v = a.allocate(FirewallLayout.MEASURE_SIZE, 8);
            return map.lookup(k, v) ? Optional.of(measure(k, v)) : Optional.empty();
        }
    }

    /** Every entry in the map now (expired ones included until swept), in key order of the map. */
    public List<Measure> list() {
        List<Measure> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(FirewallLayout.MEASURE_KEY_SIZE, 8);
            MemorySegment v = a.allocate(FirewallLayout.MEASURE_SIZE, 8);
            for (byte[] kb : map.keys()) {
                MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, kb.length);
                if (map.lookup(k, v)) {
                    out.add(measure(k, v));
                }
            }
        }
        return out;
    }

    /** Removes the entries expired at the kernel's clock now; returns how many. */
    public int sweep() {
        return sweep(System.nanoTime());
    }

    /**
     * Removes the entries expired at {@code nowNanos} (each looked up again just before it is
     * deleted, so one renewed in the meantime stays); keeps the program's lookup flag set while
     * any entry is left, clears it when none is. Returns how many were removed.
     */
    public int sweep(long nowNanos) {
        return MapLock.with(map, () -> sweepLocked(nowNanos));
    }

    private int sweepLocked(long nowNanos) {
        int n = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(FirewallLayout.MEASURE_KEY_SIZE, 8);
            MemorySegment v = a.allocate(FirewallLayout.MEASURE_SIZE, 8);
            for (byte[] kb : map.keys()) {
                MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, kb.length);
                if (!map.lookup(k, v)) {
                    continue;
                }
                long expires = v.get(FirewallLayout.U64, FirewallLayout.MEASURE_EXPIRES_NS);
                if (expires != 0 && Long.compareUnsigned(nowNanos, expires) > 0 && map.delete(k)) {
                    n++;
                }
            }
            updateFlag(a);
        }
        return n;
    }

    /** Removes every entry; returns how many. */
    public int clear() {
        return MapLock.with(map, this::clearLocked);
    }

    private int clearLocked() {
        int n = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(FirewallLayout.MEASURE_KEY_SIZE, 8);
            for (byte[] kb : map.keys()) {
                MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, kb.length);
                n += map.delete(k) ? 1 : 0;
            }
            updateFlag(a);
        }
        return n;
    }

    /** Whether the program looks measures up now (xdpml_fw_mstate[0]). */
    public boolean active() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(4);
            return state.lookup(0, v) && v.get(ValueLayout.JAVA_INT, 0) != 0;
        }
    }

    private void setFlag(Arena a, int kinds) {
        MemorySegment flag = a.allocate(4);
        flag.set(ValueLayout.JAVA_INT, 0, kinds);
        state.update(0, flag, BpfMap.BPF_ANY);
    }

    /** xdpml_fw_mstate[0]: a bit per kind of entry there may be. */
    private int flags(Arena a) {
        MemorySegment v = a.allocate(4);
        return state.lookup(0, v) ? v.get(ValueLayout.JAVA_INT, 0) : 0;
    }

    private static int bit(int kind) {
        return 1 << kind;
    }

    /** The bits of the kinds of the entries left, 0 when none is (set again if one was added while they were being cleared). */
    private void updateFlag(Arena a) {
        int kinds = kindsThere();
        setFlag(a, kinds);
        int again = kindsThere();
        if ((again & ~kinds) != 0) {
            setFlag(a, kinds | again);
        }
    }

    private int kindsThere() {
        int kinds = 0;
        for (byte[] kb : map.keys()) {
            kinds |= bit(kb[FirewallLayout.MEASURE_KEY_KIND] & 0xff);
        }
        return kinds;
    }

    static MemorySegment key(Arena a, Measure m) {
        MemorySegment k = a.allocate(FirewallLayout.MEASURE_KEY_SIZE, 8);
        MemorySegment.copy(mapped(m.victim()), 0, k, ValueLayout.JAVA_BYTE, FirewallLayout.MEASURE_KEY_VICTIM, 16);
        k.set(ValueLayout.JAVA_BYTE, FirewallLayout.MEASURE_KEY_PROTO, (byte) m.proto());
        k.set(ValueLayout.JAVA_BYTE, FirewallLayout.MEASURE_KEY_KIND, (byte) m.kind().code);
        k.set(FirewallLayout.U16, FirewallLayout.MEASURE_KEY_PORT, (short) m.port());
        return k;
    }

    private static Measure measure(MemorySegment k, MemorySegment v) {
        byte[] addr = k.asSlice(FirewallLayout.MEASURE_KEY_VICTIM, 16).toArray(ValueLayout.JAVA_BYTE);
        long cap = v.get(FirewallLayout.U64, FirewallLayout.MEASURE_CAP);
        return new Measure(Measure.Kind.of(FirewallLayout.u8(k, FirewallLayout.MEASURE_KEY_KIND)), unmapped(addr),
                FirewallLayout.u8(k, FirewallLayout.MEASURE_KEY_PROTO), Short.toUnsignedInt(k.get(FirewallLayout.U16, FirewallLayout.MEASURE_KEY_PORT)),
                v.get(FirewallLayout.U64, FirewallLayout.MEASURE_PPS), cap / FirewallLayout.NS_PER_TOKEN,
                v.get(FirewallLayout.U64, FirewallLayout.MEASURE_EXPIRES_NS), v.get(FirewallLayout.U64, FirewallLayout.MEASURE_HITS));
    }

    /** The 16-byte form of the keys: IPv4 as ::ffff:a.b.c.d. */
    static byte[] mapped(InetAddress address) {
        return io.xdpml.detect.Addresses.mapped(address);
    }

    static InetAddress unmapped(byte[] addr) {
        return io.xdpml.detect.Addresses.unmapped(addr);
    }
}
