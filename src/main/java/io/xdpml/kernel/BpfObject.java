package io.xdpml.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A libbpf {@code struct bpf_object}: an ELF file of BPF programs and maps, opened, optionally
 * given {@code volatile const} values by name, then loaded into the kernel.
 *
 * <pre>{@code
 * try (BpfObject obj = BpfObject.openResource("/bpf/xdp_parse.bpf.o")) {
 *     obj.setConstant("sample_rate", 64);
 *     obj.load();
 *     BpfProgram p = obj.program("xdp_parse");
 * }
 * }</pre>
 * Not thread-safe for open/load/close; programs and maps may be used from any thread after load.
 */
public final class BpfObject implements AutoCloseable {
    /**
     * struct bpf_object_open_opts (libbpf 1.1.2), 80 bytes:
     * sz@0 object_name@8 relaxed_maps@16 pin_root_path@24 (u32 stub)@32 kconfig@40
     * btf_custom_path@48 kernel_log_buf@56 kernel_log_size@64 kernel_log_level@72.
     */
    static final int OPEN_OPTS_SIZE = 80;
    static final int OPEN_OPTS_OBJECT_NAME = 8;

    private final Arena arena = Arena.ofShared();
    private final String name;
    private MemorySegment obj;
    private boolean loaded;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
    private final Map<String, BpfMap> maps = new LinkedHashMap<>();

    private BpfObject(String name) { this.name = name; }

    /** Opens an object from ELF bytes; {@code name} is the object name (prefix of internal maps). */
    public static BpfObject open(byte[] elf, String name) {
        BpfObject o = new BpfObject(name);
        try {
            MemorySegment buf = o.arena.allocate(elf.length, 8);
            MemorySegment.copy(elf, 0, buf, JAVA_BYTE, 0, elf.length);
            MemorySegment opts = o.arena.allocate(OPEN_OPTS_SIZE, 8);
            opts.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, OPEN_OPTS_SIZE);
            opts.set(java.lang.foreign.ValueLayout.ADDRESS, OPEN_OPTS_OBJECT_NAME, o.arena.allocateFrom(name));
            LibbpfLog.begin();
            try {
                o.obj = Native.objectOpenMem(buf, elf.length, opts, name + ", " + elf.length + " bytes");
            } finally {
                LibbpfLog.end();
            }
            o.enumerate();
            return o;
        } catch (RuntimeException | Error e) {
            o.close();
            throw e;
        }
    }

    /** Opens an object file. */
    public static BpfObject open(Path file) {
        try {
            String n = file.getFileName().toString();
            return open(Files.readAllBytes(file), n.endsWith(".bpf.o") ? n.substring(0, n.length() - 6)
                    : n.endsWith(".o") ? n.substring(0, n.length() - 2) : n);
        } catch (IOException e) {
            throw new UncheckedIOException("reading BPF object " + file, e);
        }
    }

    /** Opens an object from the classpath, e.g. {@code "/bpf/xdp_parse.bpf.o"}. */
    public static BpfObject openResource(String classpathResource) {
        try (InputStream in = BpfObject.class.getResourceAsStream(classpathResource)) {
            if (in == null) throw new IllegalArgumentException("no classpath resource " + classpathResource);
            String n = classpathResource.substring(classpathResource.lastIndexOf('/') + 1);
            if (n.endsWith(".bpf.o")) n = n.substring(0, n.length() - 6);
            else if (n.endsWith(".o")) n = n.substring(0, n.length() - 2);
            return open(in.readAllBytes(), n);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + classpathResource, e);
        }
    }

    private void enumerate() {
        for (MemorySegment p = Native.objectNextProgram(obj, null); p.address() != 0;
             p = Native.objectNextProgram(obj, p)) {
            BpfProgram prog = new BpfProgram(this, p, Native.programName(p));
            programs.put(prog.name(), prog);
        }
        for (MemorySegment m = Native.objectNextMap(obj, null); m.address() != 0; m = Native.objectNextMap(obj, m)) {
            BpfMap map = BpfMap.ofObject(m);
            maps.put(map.name(), map);
        }
    }

    /** The object name. */
    public String name() { return name; }

    /** Whether {@link #load()} succeeded. */
    public boolean loaded() { return loaded; }

    // ------------------------------------------------------------------ constants (.rodata)

    /** Sets an integer {@code volatile const} global by name, little-endian in the variable's size. */
    public void setConstant(String variable, long value) {
        Var v = findVar(".rodata", variable, true);
        requireNotLoaded("setConstant(" + variable + ")");
        int size = v.size;
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("constant " + variable + " is " + size
                    + " bytes, not an integer; use setConstant(String, byte[])");
        }
        if (size < 8) {
            long min = -(1L << (size * 8 - 1));
            long max = (1L << (size * 8)) - 1;
            if (value < min || value > max) {
                throw new IllegalArgumentException("value " + value + " does not fit constant " + variable
                        + " (" + size + " bytes)");
            }
        }
        for (int i = 0; i < size; i++) v.data.set(JAVA_BYTE, v.offset + i, (byte) (value >>> (8 * i)));
    }

    /** Sizes a map before load (bpf_map__set_max_entries), e.g. a flow table. */
    public void setMaxEntries(String mapName, int maxEntries) {
        requireNotLoaded("setMaxEntries(" + mapName + ")");
        if (maxEntries < 1) throw new IllegalArgumentException("max entries must be positive: " + maxEntries);
        int rc = Native.mapSetMaxEntries(map(mapName).handle(), maxEntries);
        if (rc < 0) throw new KernelException("bpf_map__set_max_entries(" + mapName + ", " + maxEntries + ")", -rc);
    }

    /** Sets a {@code volatile const} global by name to exactly {@code bytes} (length must match). */
    public void setConstant(String variable, byte[] bytes) {
        Var v = findVar(".rodata", variable, true);
        requireNotLoaded("setConstant(" + variable + ")");
        if (bytes.length != v.size) {
            throw new IllegalArgumentException("constant " + variable + " is " + v.size + " bytes, got "
                    + bytes.length);
        }
        MemorySegment.copy(bytes, 0, v.data, JAVA_BYTE, v.offset, bytes.length);
    }

    /**
     * A view of a global variable in {@code .bss}, {@code .data} or {@code .rodata}. After load it
     * is the live kernel map (libbpf mmaps those maps): reads see what programs wrote. {@code .rodata}
     * views are read-only after load.
     */
    public MemorySegment variable(String name) {
        for (String sec : new String[] {".bss", ".data", ".rodata"}) {
            Var v = findVar(sec, name, false);
            if (v != null) {
                MemorySegment s = v.data.asSlice(v.offset, v.size);
                return sec.equals(".rodata") && loaded ? s.asReadOnly() : s;
            }
        }
        throw new NoSuchElementException("no global variable '" + name + "' in .bss/.data/.rodata of " + this.name);
    }

    private record Var(MemorySegment data, long offset, int size) {}

    /** A string of the object's BTF (names, source file names and lines of its line info), or null. */
    String btfString(int offset) {
        requireOpen();
        MemorySegment btf = Native.objectBtf(obj);
        return btf.address() == 0 ? null : Native.btfNameByOffset(btf, offset);
    }

    private Var findVar(String section, String variable, boolean required) {
        requireOpen();
        MemorySegment btf = Native.objectBtf(obj);
        if (btf.address() == 0) throw new IllegalStateException(name + " has no BTF (compile with -g)");
        int secId;
        try (Arena a = Arena.ofConfined()) {
            secId = Native.btfFindByNameKind(btf, a.allocateFrom(section), BtfLayout.KIND_DATASEC);
        }
        List<String> names = new ArrayList<>();
        if (secId > 0) {
            MemorySegment sec = Native.btfTypeById(btf, secId, 0);
            int vlen = BtfLayout.vlen(sec.get(JAVA_INT, BtfLayout.TYPE_INFO));
            sec = Native.btfTypeById(btf, secId, (long) vlen * BtfLayout.SECINFO_SIZE);
            for (int i = 0; i < vlen; i++) {
                long si = BtfLayout.TYPE_SIZE + (long) i * BtfLayout.SECINFO_SIZE;
                int typeId = sec.get(JAVA_INT, si + BtfLayout.SECINFO_TYPE);
                MemorySegment var = Native.btfTypeById(btf, typeId, 0);
                String varName = Native.btfNameByOffset(btf, var.get(JAVA_INT, BtfLayout.TYPE_NAME_OFF));
                if (variable.equals(varName)) {
                    int off = sec.get(JAVA_INT, si + BtfLayout.SECINFO_OFFSET);
                    int size = sec.get(JAVA_INT, si + BtfLayout.SECINFO_SIZE_FIELD);
                    MemorySegment data = sectionData(section);
                    if (data == null) throw new IllegalStateException(name + ": no data for " + section);
                    return new Var(data, off, size);
                }
                names.add(varName);
            }
        }
        if (!required) return null;
        throw new NoSuchElementException("no variable '" + variable + "' in " + section + " of " + name
                + " (has: " + names + ")");
    }

    private MemorySegment sectionData(String section) {
        for (BpfMap m : maps.values()) {
            if (m.name().endsWith(section)) {
                MemorySegment v = Native.mapInitialValue(m.handle());
                // tie the view's lifetime to this object: access after close() throws instead of crashing
                return v == null ? null : v.reinterpret(arena, null);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ load

    /** Loads every program and creates every map; on failure throws with libbpf's log. */
    public void load() {
        requireNotLoaded("load()");
        LibbpfLog.begin();
        int rc;
        String log;
        try {
            rc = Native.objectLoad(obj);
        } finally {
            log = LibbpfLog.end();
        }
        if (rc < 0) throw new BpfLoadException("bpf_object__load(" + name + ")", -rc, log);
        loaded = true;
        for (BpfMap m : maps.values()) m.refresh();
        mapGlobalData();
        for (java.util.function.Consumer<BpfObject> hook : afterLoad) hook.accept(this);
    }

    private final java.util.List<java.util.function.Consumer<BpfObject>> afterLoad = new java.util.ArrayList<>();

    /**
     * Runs {@code hook} right after a successful {@link #load} (e.g. to fill a prog array with the
     * object's own programs, which only exist once loaded), before the caller sees the object.
     */
    public void afterLoad(java.util.function.Consumer<BpfObject> hook) {
        requireNotLoaded("afterLoad");
        afterLoad.add(hook);
    }

    static final int BPF_F_RDONLY_PROG = 1 << 7;
    static final int BPF_F_MMAPABLE = 1 << 10;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_FIXED = 0x10;

    /**
     * libbpf 1.1.2 leaves {@code bpf_map__initial_value} pointing at its private anonymous copy
     * after load unless the object was loaded through a skeleton (bpf_object__load_skeleton does
     * the remap; later libbpf versions do it in bpf_object__load). Do what the skeleton does:
     * mmap each mmapable global-data map over that copy (MAP_FIXED, same size), read-only for
     * .rodata, so the views see the kernel's live values and libbpf's munmap at close still fits.
     */
    private void mapGlobalData() {
        long page = Native.pageSize();
        for (BpfMap m : maps.values()) {
            String n = m.name();
            if (!(n.endsWith(".bss") || n.endsWith(".data") || n.endsWith(".rodata"))) continue;
            int flags = Native.mapFlags(m.handle());
            if ((flags & BPF_F_MMAPABLE) == 0) continue;
            MemorySegment cur = Native.mapInitialValue(m.handle());
            if (cur == null) continue;
            long size = ((long) m.valueSize() * m.maxEntries() + page - 1) / page * page;
            int prot = (flags & BPF_F_RDONLY_PROG) != 0 ? PROT_READ : PROT_READ | PROT_WRITE;
            MemorySegment r = Native.mmapAt(cur, size, prot, MAP_SHARED | MAP_FIXED, m.fd(), 0);
            if (r.address() != cur.address()) {
                throw new KernelException("mmap(" + n + ", MAP_FIXED, fd=" + m.fd() + ")", Native.errno());
            }
        }
    }

    // ------------------------------------------------------------------ programs and maps

    /** The program with this (function) name. */
    public BpfProgram program(String name) {
        requireOpen();
        BpfProgram p = programs.get(name);
        if (p == null) throw new NoSuchElementException("no program '" + name + "' in " + this.name
                + " (has: " + programs.keySet() + ")");
        return p;
    }

    /** The map with this name (internal maps are named like {@code OBJNAME.bss}). */
    public BpfMap map(String name) {
        requireOpen();
        BpfMap m = maps.get(name);
        if (m == null) throw new NoSuchElementException("no map '" + name + "' in " + this.name
                + " (has: " + maps.keySet() + ")");
        return m;
    }

    /** All programs, in ELF order. */
    public Collection<BpfProgram> programs() { return Collections.unmodifiableCollection(programs.values()); }

    /** All maps (including internal .rodata/.bss/.data maps), in ELF order. */
    public Collection<BpfMap> maps() { return Collections.unmodifiableCollection(maps.values()); }

    void requireLoaded(String what) {
        requireOpen();
        if (!loaded) throw new IllegalStateException(what + ": object " + name + " is not loaded");
    }

    void requireNotLoaded(String what) {
        requireOpen();
        if (loaded) throw new IllegalStateException(what + ": object " + name + " is already loaded");
    }

    private void requireOpen() {
        if (obj == null) throw new IllegalStateException("object " + name + " is closed");
    }

    /** Unloads programs and destroys maps not pinned or otherwise referenced. Idempotent. */
    @Override
    public void close() {
        if (obj != null) {
            // the fds die with the object: maps must not keep numbers the process may reuse
            int[] locked = maps.values().stream().mapToInt(m -> m.lockedId).filter(id -> id != 0).toArray();
            maps.values().forEach(BpfMap::invalidate);
            loaded = false;
            Native.objectClose(obj);
            obj = null;
            if (locked.length > 0) {
                MapLock.closed(locked, true);
            }
        }
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() { return "BpfObject[" + name + (loaded ? ", loaded" : "") + "]"; }
}
