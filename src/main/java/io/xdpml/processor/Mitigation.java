package io.xdpml.processor;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Closed-loop mitigation: Java decides, the kernel enforces. Blocks a source address or prefix in
 * the XDP program's LPM trie ({@code xdpml_blocks}, bpf/include/xdpml/mitigation.h) with an
 * expiry; from the next packet on, the kernel drops that source's traffic before sampling and
 * counts each drop on the entry. Entries past their expiry stop matching at once and are removed
 * by {@link #sweep}. Thread-safe (each update is one atomic map operation).
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

        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefixLength + " hits " + hits
                    + (expiresNanos == 0 ? " (no expiry)" : " (expires in " + Math.max(0, (expiresNanos - System.nanoTime()) / 1_000_000) + " ms)");
        }
    }

    /** Where {@code xdpml run} pins each interface's blocks map (a file named after the interface). */
    public static final Path DEFAULT_PIN_DIR = BpfFs.ROOT.resolve("xdpml").resolve("blocks");

    private final BpfMap map;

    /** The blocks pinned at {@code pin} by a running processor (close the returned handle's map with {@link #close}). */
    public static Mitigation openPinned(Path pin) {
        if (!Files.exists(pin)) {
            throw new IllegalArgumentException("no blocks pinned at " + pin + " (is xdpml run running on that interface?)");
        }
        return new Mitigation(BpfMap.openPinned(pin));
    }

    /** Closes the map's fd when opened from a pin (no-op for a processor's own map). */
    public void close() {
        map.close();
    }

    /** Pins the map at {@code pin} (replacing a stale pin left by a process that died). */
    void pin(Path pin) {
        BpfFs.createDirectories(pin.getParent());
        BpfFs.removePin(pin);
        map.pin(pin);
    }

    Mitigation(BpfMap map) {
        if (map.keySize() != KEY_SIZE || map.valueSize() != VALUE_SIZE) {
            throw new IllegalStateException("xdpml_blocks has key " + map.keySize() + " / value " + map.valueSize() + " bytes");
        }
        this.map = map;
    }

    /** Blocks {@code address}/{@code prefixLength} for {@code duration} (null or zero: until removed). */
    public void block(InetAddress address, int prefixLength, Duration duration) {
        int bits = address instanceof Inet4Address ? prefixLength + 96 : prefixLength;
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " outside 0.." + max);
        }
        long expires = duration == null || duration.isZero() ? 0 : System.nanoTime() + duration.toNanos();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = key(a, address, bits);
            MemorySegment v = a.allocate(VALUE_SIZE);
            v.set(U64, 0, expires);
            v.set(U64, 8, 0);
            map.update(k, v, BpfMap.BPF_ANY);
        }
    }

    /** Blocks one address. */
    public void block(InetAddress address, Duration duration) {
        block(address, address instanceof Inet4Address ? 32 : 128, duration);
    }

    /** Removes a block; false when there was none. */
    public boolean unblock(InetAddress address, int prefixLength) {
        try (Arena a = Arena.ofConfined()) {
            return map.delete(key(a, address, address instanceof Inet4Address ? prefixLength + 96 : prefixLength));
        }
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
                int bits = k.get(U32, 0);
                byte[] addr = new byte[16];
                MemorySegment.copy(k, ValueLayout.JAVA_BYTE, 4, addr, 0, 16);
                boolean v4 = bits >= 96 && isV4Mapped(addr);
                try {
                    InetAddress ia = v4 ? InetAddress.getByAddress(java.util.Arrays.copyOfRange(addr, 12, 16)) : InetAddress.getByAddress(addr);
                    out.add(new Block(ia, v4 ? bits - 96 : bits, v.get(U64, 0), v.get(U64, 8)));
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** Removes expired blocks; returns how many. */
    public int sweep() {
        long now = System.nanoTime();
        int n = 0;
        for (Block b : list()) {
            if (!b.activeAt(now) && unblock(b.address(), b.prefixLength())) {
                n++;
            }
        }
        return n;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
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
