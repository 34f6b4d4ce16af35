package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A BPF map: either a map of a loaded {@link BpfObject} (its fd belongs to the object; {@link
 * #close()} does nothing) or one opened from a bpffs pin with {@link #openPinned(Path)} (its fd
 * is closed by {@link #close()}).
 *
 * <p>Element calls take caller-provided native segments and allocate nothing. Keys and values
 * are raw bytes in the kernel's layout (host byte order). Per-CPU maps ({@link MapType#perCpu()})
 * read and write {@link #possibleCpus()} slots of {@link #perCpuValueStride()} bytes each.
 */
public final class BpfMap implements AutoCloseable {
    /** Create a new element or update an existing one. */
    public static final long BPF_ANY = 0;
    /** Create a new element only if it did not exist. */
    public static final long BPF_NOEXIST = 1;
    /** Update an existing element. */
    public static final long BPF_EXIST = 2;
    /** Spin-lock-protected update/lookup (values with a {@code bpf_spin_lock}). */
    public static final long BPF_F_LOCK = 4;

    /**
     * struct bpf_map_info prefix (linux/bpf.h): type@0 id@4 key_size@8 value_size@12
     * max_entries@16 map_flags@20 name[16]@24; we ask for the first 40 bytes.
     */
    static final int INFO_TYPE = 0;
    static final int INFO_ID = 4;
    static final int INFO_KEY_SIZE = 8;
    static final int INFO_VALUE_SIZE = 12;
    static final int INFO_MAX_ENTRIES = 16;
    static final int INFO_NAME = 24;
    static final int INFO_PREFIX = 40;

    /** struct bpf_map_batch_opts (24 bytes): sz@0 elem_flags@8 flags@16. */
    static final int BATCH_OPTS_SIZE = 24;

    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOTSUPP = 524;
    static final int EOPNOTSUPP = 95;
    static final int ENOSPC = 28;

    private static volatile int possibleCpus;
    private static final ThreadLocal<MemorySegment> INT_KEY =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8, 8));

    private final MemorySegment handle; // struct bpf_map * or NULL for pinned maps
    private final boolean ownsFd;
    private String name;
    private int fd;
    private int typeId;
    private int keySize;
    private int valueSize;
    private int maxEntries;

    private BpfMap(MemorySegment handle, boolean ownsFd) {
        this.handle = handle;
        this.ownsFd = ownsFd;
    }

    static BpfMap ofObject(MemorySegment handle) {
        BpfMap m = new BpfMap(handle, false);
        m.name = Native.mapName(handle);
        m.fd = -1;
        m.refresh();
        return m;
    }

    /** Re-reads fd and sizes from libbpf (after load). */
    void refresh() {
        fd = Native.mapFd(handle);
        typeId = Native.mapType(handle);
        keySize = Native.mapKeySize(handle);
        valueSize = Native.mapValueSize(handle);
        maxEntries = Native.mapMaxEntries(handle);
    }

    MemorySegment handle() { return handle; }

    /** Opens a pinned map: {@code bpf_obj_get} then {@code bpf_obj_get_info_by_fd} for type and sizes. */
    public static BpfMap openPinned(Path path) {
        try (Arena a = Arena.ofConfined()) {
            int fd = KernelException.check(Native.objGet(a.allocateFrom(path.toString())), "bpf_obj_get(" + path + ")");
            MemorySegment info = a.allocate(INFO_PREFIX, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, INFO_PREFIX);
            int rc = Native.objGetInfoByFd(fd, info, len);
            if (rc < 0) {
                Native.close(fd);
                throw KernelException.of("bpf_obj_get_info_by_fd(" + path + ")", rc);
            }
            BpfMap m = new BpfMap(null, true);
            m.fd = fd;
            m.typeId = info.get(JAVA_INT, INFO_TYPE);
            m.keySize = info.get(JAVA_INT, INFO_KEY_SIZE);
            m.valueSize = info.get(JAVA_INT, INFO_VALUE_SIZE);
            m.maxEntries = info.get(JAVA_INT, INFO_MAX_ENTRIES);
            m.name = info.asSlice(INFO_NAME, 16).getString(0);
            return m;
        }
    }

    /** The map name (kernel names are cut to 15 characters for pinned maps). */
    public String name() { return name; }

    /** The map fd (-1 before the object is loaded). */
    public int fd() { return fd; }

    /** The kernel's id of the map (as bpftool and a program's xlated instructions name it). */
    public int id() {
        if (fd < 0) {
            throw new IllegalStateException("map " + name + " has no fd yet (object not loaded)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(INFO_PREFIX, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, INFO_PREFIX);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(map=" + name + ")");
            return info.get(JAVA_INT, INFO_ID);
        }
    }

    /** The map type. */
    public MapType type() { return MapType.of(typeId); }

    /** The kernel's map type number. */
    public int typeId() { return typeId; }

    /** Key size in bytes. */
    public int keySize() { return keySize; }

    /** Value size in bytes (of one CPU's slot for per-CPU maps). */
    public int valueSize() { return valueSize; }

    /** Maximum number of entries. */
    public int maxEntries() { return maxEntries; }

    /** Number of possible CPUs (per-CPU maps hold one value slot per possible CPU). */
    public static int possibleCpus() {
        int n = possibleCpus;
        if (n == 0) {
            n = KernelException.check(Native.numPossibleCpus(), "libbpf_num_possible_cpus()");
            possibleCpus = n;
        }
        return n;
    }

    /** Bytes per CPU slot in a per-CPU value: {@code round_up(value_size, 8)}. */
    public long perCpuValueStride() { return (valueSize + 7L) & ~7L; }

    /** Distance between elements of an (mmap'ed) array map: the value size rounded up to 8. */
    public long elementStride() { return (valueSize + 7L) & ~7L; }

    /** Bytes a lookup writes into the value buffer: valueSize, or stride * CPUs for per-CPU maps. */
    public long valueBufferSize() {
        return type().perCpu() ? perCpuValueStride() * possibleCpus() : valueSize;
    }

    /** The kernel id under which {@link MapLock} locked this map in this process, or 0: its lock file is looked at when closed. */
    volatile int lockedId;

    /** Its object closed: calls fail with EBADF from now on instead of reaching a reused fd. */
    void invalidate() {
        fd = -1;
    }

    private void requireFd(String what) {
        if (fd < 0) throw new IllegalStateException(what + " on map " + name + ": not loaded (no fd)");
    }

    // ------------------------------------------------------------------ elements

    /** Looks up {@code key}; copies the value and returns true, or false if absent. */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        int rc = Native.mapLookup(fd, key, value);
        if (rc == 0) return true;
        if (rc == -ENOENT) return false;
        throw KernelException.of("bpf_map_lookup_elem(map=" + name + ", fd=" + fd + ")", rc);
    }

    /** Lookup with flags (e.g. {@link #BPF_F_LOCK}). */
    public boolean lookup(MemorySegment key, MemorySegment value, long flags) {
        int rc = Native.mapLookupFlags(fd, key, value, flags);
        if (rc == 0) return true;
        if (rc == -ENOENT) return false;
        throw KernelException.of("bpf_map_lookup_elem_flags(map=" + name + ", flags=" + flags + ")", rc);
    }

    /** Looks up all CPUs' values of a per-CPU map: {@code allCpus} holds possibleCpus() * stride bytes. */
    public boolean lookupPerCpu(MemorySegment key, MemorySegment allCpus) {
        if (allCpus.byteSize() < valueBufferSize()) {
            throw new IllegalArgumentException("per-CPU value buffer of " + allCpus.byteSize() + " bytes, need "
                    + valueBufferSize());
        }
        return lookup(key, allCpus);
    }

    /** Creates or updates an element; {@code flags}: {@link #BPF_ANY}, {@link #BPF_NOEXIST}, ... */
    public void update(MemorySegment key, MemorySegment value, long flags) {
        int rc = Native.mapUpdate(fd, key, value, flags);
        if (rc < 0) throw KernelException.of("bpf_map_update_elem(map=" + name + ", flags=" + flags + ")", rc);
    }

    /** Deletes {@code key}; false if it was absent. */
    public boolean delete(MemorySegment key) {
        int rc = Native.mapDelete(fd, key);
        if (rc == 0) return true;
        if (rc == -ENOENT) return false;
        throw KernelException.of("bpf_map_delete_elem(map=" + name + ")", rc);
    }

    /**
     * Takes {@code key} out of the map in one step ({@code bpf_map_lookup_and_delete_elem}: hash and
     * LRU hash maps since Linux 5.14, queues and stacks): copies its value into {@code value} and
     * returns true, or false if absent. Nothing can update the element between the read and the
     * delete, as it could between {@link #lookup} and {@link #delete}.
     */
    public boolean lookupAndDelete(MemorySegment key, MemorySegment value) {
        int rc = Native.mapLookupAndDelete(fd, key, value);
        if (rc == 0) return true;
        if (rc == -ENOENT) return false;
        throw KernelException.of("bpf_map_lookup_and_delete_elem(map=" + name + ")", rc);
    }

    /** Creates {@code key} with {@code value} ({@link #BPF_NOEXIST}); false if the key exists already. */
    public boolean insert(MemorySegment key, MemorySegment value) {
        int rc = Native.mapUpdate(fd, key, value, BPF_NOEXIST);
        if (rc == 0) return true;
        if (rc == -EEXIST) return false;
        throw KernelException.of("bpf_map_update_elem(map=" + name + ", flags=" + BPF_NOEXIST + ")", rc);
    }

    /** Writes the key after {@code key} (the first key when {@code key} is null); false at the end. */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        int rc = Native.mapNextKey(fd, key, next);
        if (rc == 0) return true;
        if (rc == -ENOENT) return false;
        throw KernelException.of("bpf_map_get_next_key(map=" + name + ")", rc);
    }

    /**
     * Calls {@code action} with each key (a reused segment: copy it to keep it). For a map that
     * changes meanwhile, note: when the key the walk stands on is deleted or evicted, the kernel's
     * get_next_key goes on from the first bucket, so under churn (an LRU hash filling up) the walk
     * repeats itself, without end at a high enough rate: walk such a map with {@link BpfMapWalk}.
     */
    public void forEachKey(Consumer<MemorySegment> action) {
        requireFd("forEachKey");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cur = a.allocate(Math.max(keySize, 1), 8);
            MemorySegment next = a.allocate(Math.max(keySize, 1), 8);
            boolean has = nextKey(null, cur);
            while (has) {
                action.accept(cur);
                has = nextKey(cur, next);
                MemorySegment t = cur; cur = next; next = t;
            }
        }
    }

    /** All keys as byte arrays. */
    public List<byte[]> keys() {
        List<byte[]> out = new ArrayList<>();
        forEachKey(k -> out.add(k.toArray(JAVA_BYTE)));
        return out;
    }

    /**
     * Reads up to {@code capacity} elements from the start of the map into {@code keys}
     * (capacity * keySize bytes) and {@code values} (capacity * {@link #valueBufferSize()} bytes);
     * returns how many. Uses {@code bpf_map_lookup_batch} (one syscall per batch: pays for hash
     * maps) and falls back to get_next_key + lookup where the map type has no batch support
     * (LPM trie, ...). Not atomic with respect to concurrent updates.
     */
    public int lookupBatch(MemorySegment keys, MemorySegment values, int capacity) {
        requireFd("lookupBatch");
        long vsz = valueBufferSize();
        if (keys.byteSize() < (long) capacity * keySize || values.byteSize() < capacity * vsz) {
            throw new IllegalArgumentException("lookupBatch buffers too small for " + capacity + " elements");
        }
        try (Arena a = Arena.ofConfined()) {
            long tok = Math.max(keySize, 8);
            MemorySegment in = a.allocate(tok, 8);
            MemorySegment out = a.allocate(tok, 8);
            MemorySegment count = a.allocate(JAVA_INT);
            MemorySegment opts = a.allocate(BATCH_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, BATCH_OPTS_SIZE);
            int n = 0;
            boolean first = true;
            while (n < capacity) {
                count.set(JAVA_INT, 0, capacity - n);
                int rc = Native.mapLookupBatch(fd, first ? null : in, out,
                        keys.asSlice((long) n * keySize), values.asSlice(n * vsz), count, opts);
                int got = count.get(JAVA_INT, 0);
                if (rc < 0 && rc != -ENOENT) {
                    if (first && (rc == -EINVAL || rc == -ENOTSUPP || rc == -EOPNOTSUPP)) {
                        return lookupByIteration(keys, values, capacity);
                    }
                    if (rc == -ENOSPC && n > 0) return n;
                    throw KernelException.of("bpf_map_lookup_batch(map=" + name + ", count=" + (capacity - n) + ")", rc);
                }
                n += got;
                if (rc == -ENOENT) break;
                MemorySegment.copy(out, 0, in, 0, tok);
                first = false;
            }
            return n;
        }
    }

    /**
     * How many elements the map holds now: {@code bpf_map_lookup_batch} in batches of {@code batch}
     * elements (a few syscalls for a large hash table, where get_next_key takes one per element),
     * get_next_key where the map type has no batch support. Not atomic with respect to concurrent
     * updates.
     */
    public long countElements(int batch) {
        requireFd("countElements");
        long vsz = valueBufferSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment keys = a.allocate((long) batch * Math.max(keySize, 1), 8);
            MemorySegment values = a.allocate(batch * vsz, 8);
            long tok = Math.max(keySize, 8);
            MemorySegment in = a.allocate(tok, 8);
            MemorySegment out = a.allocate(tok, 8);
            MemorySegment count = a.allocate(JAVA_INT);
            MemorySegment opts = a.allocate(BATCH_OPTS_SIZE, 8);
            opts.set(JAVA_LONG, 0, BATCH_OPTS_SIZE);
            long n = 0;
            boolean first = true;
            while (true) {
                count.set(JAVA_INT, 0, batch);
                int rc = Native.mapLookupBatch(fd, first ? null : in, out, keys, values, count, opts);
                if (rc < 0 && rc != -ENOENT) {
                    if (first && (rc == -EINVAL || rc == -ENOTSUPP || rc == -EOPNOTSUPP)) {
                        long[] c = {0};
                        forEachKey(k -> c[0]++);
                        return c[0];
                    }
                    throw KernelException.of("bpf_map_lookup_batch(map=" + name + ", count=" + batch + ")", rc);
                }
                n += count.get(JAVA_INT, 0);
                if (rc == -ENOENT) {
                    return n;
                }
                MemorySegment.copy(out, 0, in, 0, tok);
                first = false;
            }
        }
    }

    private int lookupByIteration(MemorySegment keys, MemorySegment values, int capacity) {
        long vsz = valueBufferSize();
        int n = 0;
        MemorySegment prev = null;
        while (n < capacity) {
            MemorySegment k = keys.asSlice((long) n * keySize, keySize);
            if (!nextKey(prev, k)) break;
            if (lookup(k, values.asSlice(n * vsz, vsz))) n++;
            prev = k;
        }
        return n;
    }

    // ------------------------------------------------------------------ int-key conveniences

    private static MemorySegment intKey(int key) {
        MemorySegment k = INT_KEY.get();
        k.set(JAVA_INT, 0, key);
        return k.asSlice(0, 4);
    }

    /** {@link #lookup(MemorySegment, MemorySegment)} with a 4-byte int key. */
    public boolean lookup(int key, MemorySegment value) { return lookup(intKey(key), value); }

    /** {@link #update(MemorySegment, MemorySegment, long)} with a 4-byte int key. */
    public void update(int key, MemorySegment value, long flags) { update(intKey(key), value, flags); }

    /** {@link #delete(MemorySegment)} with a 4-byte int key. */
    public boolean delete(int key) { return delete(intKey(key)); }

    /** The u64 at {@code index} of the value of an int-keyed (non per-CPU) map, 0 when absent. */
    public long lookupLong(int key, MemorySegment scratch, int index) {
        return lookup(intKey(key), scratch) ? scratch.get(JAVA_LONG, index * 8L) : 0;
    }

    /**
     * For an int-keyed per-CPU map whose value is an array of u64 (counters): the element-wise
     * sum over all possible CPUs ({@code valueSize / 8} longs; zeros when the key is absent).
     */
    public long[] sumPerCpuLongs(int key) {
        if (!type().perCpu()) throw new IllegalStateException("map " + name + " is " + type() + ", not per-CPU");
        int longs = valueSize / 8;
        long[] sum = new long[longs];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment all = a.allocate(valueBufferSize(), 8);
            if (!lookup(intKey(key), all)) return sum;
            long stride = perCpuValueStride();
            for (int cpu = 0; cpu < possibleCpus(); cpu++) {
                for (int i = 0; i < longs; i++) sum[i] += all.get(JAVA_LONG, cpu * stride + i * 8L);
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ pinning

    /** Pins the map at {@code path} in bpffs (parent directory must exist, see {@link BpfFs}). */
    public void pin(Path path) {
        requireFd("pin");
        try (Arena a = Arena.ofConfined()) {
            KernelException.check(Native.objPin(fd, a.allocateFrom(path.toString())),
                    "bpf_obj_pin(map=" + name + ", " + path + ")");
        }
    }

    /** Removes the pin at {@code path} (the map lives on while referenced). */
    public static void unpin(Path path) { BpfFs.removePin(path); }

    /** Closes the fd of a map opened with {@link #openPinned}; no-op for maps of an object. */
    @Override
    public void close() {
        if (ownsFd && fd >= 0) {
            Native.close(fd);
            fd = -1;
            if (lockedId != 0) {
                MapLock.closed(new int[] {lockedId}, false); // a pin's map lives on in its owner, usually
            }
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + ", " + type() + ", key=" + keySize + ", value=" + valueSize + ", max=" + maxEntries + "]";
    }
}
