package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The one place that links native code: every downcall into libbpf ({@code libbpf.so.1}) and
 * libc, and the single upcall (libbpf's print callback). Nobody else touches {@link Linker}.
 *
 * <p>Conventions, so that callers never guess:
 * <ul>
 *   <li>libbpf functions returning {@code int} return {@code -errno} on failure (libbpf 1.x
 *       "strict" mode); the wrappers return that value unchanged.</li>
 *   <li>libbpf functions returning a pointer return {@code NULL} and set {@code errno}; those
 *       handles capture errno ({@link Linker.Option#captureCallState}) and the wrappers throw
 *       {@link KernelException} on {@code NULL}.</li>
 *   <li>libc functions capture errno too; their wrappers return the raw result and
 *       {@link #errno()} gives the errno of the last captured call on this thread.</li>
 *   <li>Returned pointers are zero-length segments: callers {@code reinterpret} them.</li>
 * </ul>
 * None of the hot-path wrappers (map lookup/update, test run, poll, send/recv) allocates.
 */
public final class Native {
    private Native() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final SymbolLookup LIBBPF;
    private static final Throwable LIBBPF_ERROR;

    static {
        SymbolLookup l = null;
        Throwable err = null;
        try {
            l = SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());
        } catch (Throwable t) {
            err = t;
        }
        LIBBPF = l;
        LIBBPF_ERROR = err;
    }

    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VH =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Per-thread errno capture buffer, allocated once per thread. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** Whether libbpf.so.1 could be loaded; when not, {@link #libbpfError()} says why. */
    public static boolean libbpfAvailable() { return LIBBPF != null; }

    /** Why libbpf.so.1 could not be loaded, or null. */
    public static Throwable libbpfError() { return LIBBPF_ERROR; }

    /** errno captured by the last errno-capturing call on this thread. */
    public static int errno() { return (int) ERRNO_VH.get(CAPTURE.get(), 0L); }

    private static MethodHandle bpf(String name, FunctionDescriptor fd, Linker.Option... options) {
        if (LIBBPF == null) {
            // Link lazily-failing stub so that class init succeeds and BpfSupport can report.
            return unavailable(fd);
        }
        MemorySegment sym = LIBBPF.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libbpf.so.1 has no symbol " + name));
        return LINKER.downcallHandle(sym, fd, options);
    }

    private static MethodHandle libc(String name, FunctionDescriptor fd, boolean errno) {
        MemorySegment sym = LIBC.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return errno ? LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO) : LINKER.downcallHandle(sym, fd);
    }

    private static MethodHandle unavailable(FunctionDescriptor fd) {
        MethodHandle thrower = MethodHandles.dropArguments(
                MethodHandles.throwException(fd.toMethodType().returnType(), UnsatisfiedLinkError.class)
                        .bindTo(new UnsatisfiedLinkError("libbpf.so.1 not loadable: " + LIBBPF_ERROR)),
                0, fd.toMethodType().parameterList());
        return thrower;
    }

    private static FunctionDescriptor fd(MemoryLayout ret, MemoryLayout... args) {
        return ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args);
    }

    // ---------------------------------------------------------------- libbpf: objects
    private static final MethodHandle LIBBPF_SET_PRINT = bpf("libbpf_set_print", fd(ADDRESS, ADDRESS));
    private static final MethodHandle OBJ_OPEN_MEM =
            bpf("bpf_object__open_mem", fd(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle OBJ_OPEN_FILE =
            bpf("bpf_object__open_file", fd(ADDRESS, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle OBJ_LOAD = bpf("bpf_object__load", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle OBJ_CLOSE = bpf("bpf_object__close", fd(null, ADDRESS));
    private static final MethodHandle OBJ_NEXT_PROGRAM =
            bpf("bpf_object__next_program", fd(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle OBJ_NEXT_MAP = bpf("bpf_object__next_map", fd(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle OBJ_BTF = bpf("bpf_object__btf", fd(ADDRESS, ADDRESS));
    private static final MethodHandle PROG_NAME = bpf("bpf_program__name", fd(ADDRESS, ADDRESS));
    private static final MethodHandle PROG_FD = bpf("bpf_program__fd", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle PROG_SET_EXPECTED_ATTACH_TYPE =
            bpf("bpf_program__set_expected_attach_type", fd(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MAP_NAME = bpf("bpf_map__name", fd(ADDRESS, ADDRESS));
    private static final MethodHandle MAP_FD = bpf("bpf_map__fd", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_TYPE = bpf("bpf_map__type", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_KEY_SIZE = bpf("bpf_map__key_size", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_VALUE_SIZE = bpf("bpf_map__value_size", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_FLAGS = bpf("bpf_map__map_flags", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_MAX_ENTRIES = bpf("bpf_map__max_entries", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_SET_MAX_ENTRIES = bpf("bpf_map__set_max_entries", fd(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MAP_INITIAL_VALUE =
            bpf("bpf_map__initial_value", fd(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle BTF_FIND_BY_NAME_KIND =
            bpf("btf__find_by_name_kind", fd(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle BTF_TYPE_BY_ID = bpf("btf__type_by_id", fd(ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle BTF_NAME_BY_OFFSET =
            bpf("btf__name_by_offset", fd(ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle NUM_POSSIBLE_CPUS = bpf("libbpf_num_possible_cpus", fd(JAVA_INT));
    private static final MethodHandle PROBE_PROG_TYPE =
            bpf("libbpf_probe_bpf_prog_type", fd(JAVA_INT, JAVA_INT, ADDRESS));

    // ---------------------------------------------------------------- libbpf: low-level bpf()
    private static final MethodHandle PROG_TEST_RUN = bpf("bpf_prog_test_run_opts", fd(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_LOOKUP = bpf("bpf_map_lookup_elem", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_LOOKUP_FLAGS =
            bpf("bpf_map_lookup_elem_flags", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle MAP_UPDATE =
            bpf("bpf_map_update_elem", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle MAP_DELETE = bpf("bpf_map_delete_elem", fd(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_LOOKUP_AND_DELETE =
            bpf("bpf_map_lookup_and_delete_elem", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_NEXT_KEY =
            bpf("bpf_map_get_next_key", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_LOOKUP_BATCH = bpf("bpf_map_lookup_batch",
            fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle OBJ_PIN = bpf("bpf_obj_pin", fd(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle OBJ_GET = bpf("bpf_obj_get", fd(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_GET_FD_BY_ID = bpf("bpf_map_get_fd_by_id", fd(JAVA_INT, JAVA_INT));
    private static final MethodHandle OBJ_GET_INFO =
            bpf("bpf_obj_get_info_by_fd", fd(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle XDP_ATTACH =
            bpf("bpf_xdp_attach", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle LINK_CREATE =
            bpf("bpf_link_create", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle XDP_DETACH = bpf("bpf_xdp_detach", fd(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle XDP_QUERY_ID =
            bpf("bpf_xdp_query_id", fd(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

    // ---------------------------------------------------------------- libc
    private static final MethodHandle CLOSE = libc("close", fd(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle DUP = libc("fcntl", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle OPEN = libc("open", fd(JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle MMAP =
            libc("mmap", fd(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), true);
    private static final MethodHandle MUNMAP = libc("munmap", fd(JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle POLL = libc("poll", fd(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle SETNS = libc("setns", fd(JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle IF_NAMETOINDEX = libc("if_nametoindex", fd(JAVA_INT, ADDRESS), true);
    private static final MethodHandle KILL = libc("kill", fd(JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle MOUNT =
            libc("mount", fd(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle STATFS = libc("statfs", fd(JAVA_INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle UNLINK = libc("unlink", fd(JAVA_INT, ADDRESS), true);
    private static final MethodHandle SOCKET = libc("socket", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle BIND = libc("bind", fd(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle SEND = libc("send", fd(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle RECV = libc("recv", fd(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle SENDMMSG = libc("sendmmsg", fd(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle SETSOCKOPT =
            libc("setsockopt", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle GETSOCKOPT =
            libc("getsockopt", fd(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle SENDTO =
            libc("sendto", fd(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), true);
    private static final MethodHandle RECVFROM =
            libc("recvfrom", fd(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle SCHED_SETAFFINITY =
            libc("sched_setaffinity", fd(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle MADVISE = libc("madvise", fd(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle SCHED_GETAFFINITY =
            libc("sched_getaffinity", fd(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle SCHED_GETCPU = libc("sched_getcpu", fd(JAVA_INT), false);
    private static final MethodHandle GETEUID = libc("geteuid", fd(JAVA_INT), false);
    private static final MethodHandle GETPAGESIZE = libc("getpagesize", fd(JAVA_INT), false);
    private static final MethodHandle STRERROR = libc("strerror", fd(ADDRESS, JAVA_INT), false);
    private static final MethodHandle VSNPRINTF =
            libc("vsnprintf", fd(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS), false);

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static MemorySegment nullable(MemorySegment s) { return s == null ? MemorySegment.NULL : s; }

    // ================================================================ libbpf wrappers

    /** libbpf_set_print(fn): installs fn, returns the previous one. */
    static MemorySegment libbpfSetPrint(MemorySegment fn) {
        try { return (MemorySegment) LIBBPF_SET_PRINT.invokeExact(fn); } catch (Throwable t) { throw rethrow(t); }
    }

    /** bpf_object__open_mem(buf, size, opts); throws on NULL. */
    static MemorySegment objectOpenMem(MemorySegment buf, long size, MemorySegment opts, String what) {
        MemorySegment r;
        MemorySegment cap = CAPTURE.get();
        try { r = (MemorySegment) OBJ_OPEN_MEM.invokeExact(cap, buf, size, opts); } catch (Throwable t) { throw rethrow(t); }
        if (r.address() == 0) throw KernelException.of("bpf_object__open_mem(" + what + ")", errno());
        return r;
    }

    /** bpf_object__open_file(path, opts); throws on NULL. */
    static MemorySegment objectOpenFile(MemorySegment path, MemorySegment opts, String what) {
        MemorySegment r;
        MemorySegment cap = CAPTURE.get();
        try { r = (MemorySegment) OBJ_OPEN_FILE.invokeExact(cap, path, opts); } catch (Throwable t) { throw rethrow(t); }
        if (r.address() == 0) throw KernelException.of("bpf_object__open_file(" + what + ")", errno());
        return r;
    }

    static int objectLoad(MemorySegment obj) {
        try { return (int) OBJ_LOAD.invokeExact(obj); } catch (Throwable t) { throw rethrow(t); }
    }

    static void objectClose(MemorySegment obj) {
        try { OBJ_CLOSE.invokeExact(obj); } catch (Throwable t) { throw rethrow(t); }
    }

    static MemorySegment objectNextProgram(MemorySegment obj, MemorySegment prev) {
        try { return (MemorySegment) OBJ_NEXT_PROGRAM.invokeExact(obj, nullable(prev)); } catch (Throwable t) { throw rethrow(t); }
    }

    static MemorySegment objectNextMap(MemorySegment obj, MemorySegment prev) {
        try { return (MemorySegment) OBJ_NEXT_MAP.invokeExact(obj, nullable(prev)); } catch (Throwable t) { throw rethrow(t); }
    }

    static MemorySegment objectBtf(MemorySegment obj) {
        try { return (MemorySegment) OBJ_BTF.invokeExact(obj); } catch (Throwable t) { throw rethrow(t); }
    }

    static String programName(MemorySegment prog) {
        try { return cString((MemorySegment) PROG_NAME.invokeExact(prog)); } catch (Throwable t) { throw rethrow(t); }
    }

    static int programFd(MemorySegment prog) {
        try { return (int) PROG_FD.invokeExact(prog); } catch (Throwable t) { throw rethrow(t); }
    }

    /** bpf_program__set_expected_attach_type(prog, type): before load only; 0 or -errno. */
    static int programSetExpectedAttachType(MemorySegment prog, int attachType) {
        try { return (int) PROG_SET_EXPECTED_ATTACH_TYPE.invokeExact(prog, attachType); } catch (Throwable t) { throw rethrow(t); }
    }

    static String mapName(MemorySegment map) {
        try { return cString((MemorySegment) MAP_NAME.invokeExact(map)); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapFd(MemorySegment map) {
        try { return (int) MAP_FD.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    /** bpf_map__set_max_entries: before load only; returns 0 or -errno. */
    static int mapSetMaxEntries(MemorySegment map, int maxEntries) {
        try { return (int) MAP_SET_MAX_ENTRIES.invokeExact(map, maxEntries); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapType(MemorySegment map) {
        try { return (int) MAP_TYPE.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapKeySize(MemorySegment map) {
        try { return (int) MAP_KEY_SIZE.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapValueSize(MemorySegment map) {
        try { return (int) MAP_VALUE_SIZE.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapFlags(MemorySegment map) {
        try { return (int) MAP_FLAGS.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    /** mmap at a fixed address (MAP_FIXED added by the caller's flags). */
    static MemorySegment mmapAt(MemorySegment addr, long length, int prot, int flags, int fd, long offset) {
        try {
            return (MemorySegment) MMAP.invokeExact(CAPTURE.get(), addr, length, prot, flags, fd, offset);
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapMaxEntries(MemorySegment map) {
        try { return (int) MAP_MAX_ENTRIES.invokeExact(map); } catch (Throwable t) { throw rethrow(t); }
    }

    /** bpf_map__initial_value(map, &size) as a segment of that size, or null when the map has none. */
    static MemorySegment mapInitialValue(MemorySegment map) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            MemorySegment p = (MemorySegment) MAP_INITIAL_VALUE.invokeExact(map, size);
            if (p.address() == 0) return null;
            return p.reinterpret(size.get(JAVA_LONG, 0));
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int btfFindByNameKind(MemorySegment btf, MemorySegment name, int kind) {
        try { return (int) BTF_FIND_BY_NAME_KIND.invokeExact(btf, name, kind); } catch (Throwable t) { throw rethrow(t); }
    }

    /** btf__type_by_id: the struct btf_type header plus {@code extra} trailing bytes. */
    static MemorySegment btfTypeById(MemorySegment btf, int id, long extra) {
        try {
            MemorySegment p = (MemorySegment) BTF_TYPE_BY_ID.invokeExact(btf, id);
            return p.address() == 0 ? null : p.reinterpret(BtfLayout.TYPE_SIZE + extra);
        } catch (Throwable t) { throw rethrow(t); }
    }

    static String btfNameByOffset(MemorySegment btf, int off) {
        try { return cString((MemorySegment) BTF_NAME_BY_OFFSET.invokeExact(btf, off)); } catch (Throwable t) { throw rethrow(t); }
    }

    /** libbpf_num_possible_cpus() or -errno. */
    static int numPossibleCpus() {
        try { return (int) NUM_POSSIBLE_CPUS.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    /** libbpf_probe_bpf_prog_type(type, NULL): 1 supported, 0 not, negative error. */
    static int probeProgType(int type) {
        try { return (int) PROBE_PROG_TYPE.invokeExact(type, MemorySegment.NULL); } catch (Throwable t) { throw rethrow(t); }
    }

    static int progTestRun(int progFd, MemorySegment opts) {
        try { return (int) PROG_TEST_RUN.invokeExact(progFd, opts); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapLookup(int fd, MemorySegment key, MemorySegment value) {
        try { return (int) MAP_LOOKUP.invokeExact(fd, nullable(key), value); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapLookupFlags(int fd, MemorySegment key, MemorySegment value, long flags) {
        try { return (int) MAP_LOOKUP_FLAGS.invokeExact(fd, nullable(key), value, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapUpdate(int fd, MemorySegment key, MemorySegment value, long flags) {
        try { return (int) MAP_UPDATE.invokeExact(fd, nullable(key), value, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapDelete(int fd, MemorySegment key) {
        try { return (int) MAP_DELETE.invokeExact(fd, key); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapLookupAndDelete(int fd, MemorySegment key, MemorySegment value) {
        try { return (int) MAP_LOOKUP_AND_DELETE.invokeExact(fd, key, value); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapNextKey(int fd, MemorySegment key, MemorySegment next) {
        try { return (int) MAP_NEXT_KEY.invokeExact(fd, nullable(key), next); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mapLookupBatch(int fd, MemorySegment inBatch, MemorySegment outBatch, MemorySegment keys,
                              MemorySegment values, MemorySegment count, MemorySegment opts) {
        try {
            return (int) MAP_LOOKUP_BATCH.invokeExact(fd, nullable(inBatch), outBatch, keys, values, count, opts);
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int objPin(int fd, MemorySegment path) {
        try { return (int) OBJ_PIN.invokeExact(fd, path); } catch (Throwable t) { throw rethrow(t); }
    }

    static int objGet(MemorySegment path) {
        try { return (int) OBJ_GET.invokeExact(path); } catch (Throwable t) { throw rethrow(t); }
    }

    /** bpf_map_get_fd_by_id: a new fd of the map with kernel id {@code id}, or -errno (-ENOENT: no such map). */
    static int mapGetFdById(int id) {
        try { return (int) MAP_GET_FD_BY_ID.invokeExact(id); } catch (Throwable t) { throw rethrow(t); }
    }

    static int objGetInfoByFd(int fd, MemorySegment info, MemorySegment len) {
        try { return (int) OBJ_GET_INFO.invokeExact(fd, info, len); } catch (Throwable t) { throw rethrow(t); }
    }

    static int xdpAttach(int ifindex, int progFd, int flags, MemorySegment opts) {
        try { return (int) XDP_ATTACH.invokeExact(ifindex, progFd, flags, nullable(opts)); } catch (Throwable t) { throw rethrow(t); }
    }

    /** {@code bpf_link_create(prog_fd, target_fd, attach_type, opts)}: a link fd or -errno. */
    static int linkCreate(int progFd, int targetFd, int attachType, MemorySegment opts) {
        try { return (int) LINK_CREATE.invokeExact(progFd, targetFd, attachType, nullable(opts)); } catch (Throwable t) { throw rethrow(t); }
    }

    static int xdpDetach(int ifindex, int flags, MemorySegment opts) {
        try { return (int) XDP_DETACH.invokeExact(ifindex, flags, nullable(opts)); } catch (Throwable t) { throw rethrow(t); }
    }

    static int xdpQueryId(int ifindex, int flags, MemorySegment id) {
        try { return (int) XDP_QUERY_ID.invokeExact(ifindex, flags, id); } catch (Throwable t) { throw rethrow(t); }
    }

    // ================================================================ libc wrappers (errno captured)

    static int close(int fd) {
        try { return (int) CLOSE.invokeExact(CAPTURE.get(), fd); } catch (Throwable t) { throw rethrow(t); }
    }

    /** fcntl(fd, F_DUPFD_CLOEXEC, 3): a new close-on-exec descriptor for the same object, or -1. */
    static int dup(int fd) {
        try { return (int) DUP.invokeExact(CAPTURE.get(), fd, 1030 /* F_DUPFD_CLOEXEC */, 3); } catch (Throwable t) { throw rethrow(t); }
    }

    static int open(MemorySegment path, int flags) {
        try { return (int) OPEN.invokeExact(CAPTURE.get(), path, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    /** mmap; returns the raw pointer (MAP_FAILED is -1). */
    static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        try {
            return (MemorySegment) MMAP.invokeExact(CAPTURE.get(), MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int munmap(MemorySegment addr, long length) {
        try { return (int) MUNMAP.invokeExact(CAPTURE.get(), addr, length); } catch (Throwable t) { throw rethrow(t); }
    }

    static int poll(MemorySegment fds, long nfds, int timeoutMillis) {
        try { return (int) POLL.invokeExact(CAPTURE.get(), fds, nfds, timeoutMillis); } catch (Throwable t) { throw rethrow(t); }
    }

    static int setns(int fd, int nstype) {
        try { return (int) SETNS.invokeExact(CAPTURE.get(), fd, nstype); } catch (Throwable t) { throw rethrow(t); }
    }

    /** kill(2): 0, or -1 with errno set. */
    public static int kill(int pid, int signal) {
        try { return (int) KILL.invokeExact(CAPTURE.get(), pid, signal); } catch (Throwable t) { throw rethrow(t); }
    }

    static int ifNameToIndex(MemorySegment name) {
        try { return (int) IF_NAMETOINDEX.invokeExact(CAPTURE.get(), name); } catch (Throwable t) { throw rethrow(t); }
    }

    static int mount(MemorySegment source, MemorySegment target, MemorySegment fstype, long flags, MemorySegment data) {
        try {
            return (int) MOUNT.invokeExact(CAPTURE.get(), source, target, fstype, flags, nullable(data));
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int statfs(MemorySegment path, MemorySegment buf) {
        try { return (int) STATFS.invokeExact(CAPTURE.get(), path, buf); } catch (Throwable t) { throw rethrow(t); }
    }

    static int unlink(MemorySegment path) {
        try { return (int) UNLINK.invokeExact(CAPTURE.get(), path); } catch (Throwable t) { throw rethrow(t); }
    }

    static int socket(int domain, int type, int protocol) {
        try { return (int) SOCKET.invokeExact(CAPTURE.get(), domain, type, protocol); } catch (Throwable t) { throw rethrow(t); }
    }

    static int bind(int fd, MemorySegment addr, int len) {
        try { return (int) BIND.invokeExact(CAPTURE.get(), fd, addr, len); } catch (Throwable t) { throw rethrow(t); }
    }

    static long send(int fd, MemorySegment buf, long len, int flags) {
        try { return (long) SEND.invokeExact(CAPTURE.get(), fd, buf, len, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    static long recv(int fd, MemorySegment buf, long len, int flags) {
        try { return (long) RECV.invokeExact(CAPTURE.get(), fd, buf, len, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    /** sendmmsg(fd, msgvec, vlen, flags): messages sent, or -1 with {@link #errno()}. */
    static int sendmmsg(int fd, MemorySegment msgvec, int vlen, int flags) {
        try { return (int) SENDMMSG.invokeExact(CAPTURE.get(), fd, msgvec, vlen, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---------------------------------------------------------------- AF_XDP (io.xdpml.xsk)
    // Public: the xsk package drives its sockets and rings itself. All capture errno, none allocates.

    /** socket(domain, type, protocol): a descriptor, or -1 with {@link #errno()}. */
    public static int xskSocket(int domain, int type, int protocol) { return socket(domain, type, protocol); }

    /** close(fd): 0, or -1 with {@link #errno()}. */
    public static int xskClose(int fd) { return close(fd); }

    /** bind(fd, addr, len): 0, or -1 with {@link #errno()}. */
    public static int xskBind(int fd, MemorySegment addr, int len) { return bind(fd, addr, len); }

    /** mmap(NULL, length, prot, flags, fd, offset): the mapping (zero-length), or MAP_FAILED (-1). */
    public static MemorySegment xskMmap(long length, int prot, int flags, int fd, long offset) {
        return mmap(length, prot, flags, fd, offset);
    }

    /** madvise(addr, length, advice): 0, or -1 with {@link #errno()}. */
    public static int madvise(MemorySegment addr, long length, int advice) {
        try { return (int) MADVISE.invokeExact(CAPTURE.get(), addr, length, advice); } catch (Throwable t) { throw rethrow(t); }
    }

    /** munmap(addr, length). */
    public static int xskMunmap(MemorySegment addr, long length) { return munmap(addr, length); }

    /** poll(fds, nfds, timeout): ready count, 0 on timeout, -1 with {@link #errno()}. */
    public static int xskPoll(MemorySegment fds, long nfds, int timeoutMillis) { return poll(fds, nfds, timeoutMillis); }

    /** setsockopt(fd, level, name, value, len): 0, or -1 with {@link #errno()}. */
    public static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        try { return (int) SETSOCKOPT.invokeExact(CAPTURE.get(), fd, level, name, value, len); } catch (Throwable t) { throw rethrow(t); }
    }

    /** getsockopt(fd, level, name, value, &len): 0, or -1 with {@link #errno()}; len is an int cell. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        try { return (int) GETSOCKOPT.invokeExact(CAPTURE.get(), fd, level, name, value, len); } catch (Throwable t) { throw rethrow(t); }
    }

    /** sendto(fd, NULL, 0, flags, NULL, 0): the AF_XDP transmit kick. */
    public static long sendtoKick(int fd, int flags) {
        try {
            return (long) SENDTO.invokeExact(CAPTURE.get(), fd, MemorySegment.NULL, 0L, flags, MemorySegment.NULL, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** recvfrom(fd, NULL, 0, flags, NULL, NULL): the AF_XDP fill-ring wakeup. */
    public static long recvfromKick(int fd, int flags) {
        try {
            return (long) RECVFROM.invokeExact(CAPTURE.get(), fd, MemorySegment.NULL, 0L, flags, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** sched_setaffinity(0 = this thread, size, mask): 0, or -1 with {@link #errno()}. */
    public static int schedSetaffinity(MemorySegment mask) {
        try { return (int) SCHED_SETAFFINITY.invokeExact(CAPTURE.get(), 0, mask.byteSize(), mask); } catch (Throwable t) { throw rethrow(t); }
    }

    /** sched_getaffinity(0 = this thread, size, mask): 0, or -1 with {@link #errno()}. */
    public static int schedGetaffinity(MemorySegment mask) {
        try { return (int) SCHED_GETAFFINITY.invokeExact(CAPTURE.get(), 0, mask.byteSize(), mask); } catch (Throwable t) { throw rethrow(t); }
    }

    /** sched_getcpu(): the CPU the calling thread runs on. */
    public static int schedGetcpu() {
        try { return (int) SCHED_GETCPU.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static int geteuid() {
        try { return (int) GETEUID.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    /** The system page size. */
    public static int pageSize() {
        try { return (int) GETPAGESIZE.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    /** strerror(errno) as a Java string. */
    public static String strerror(int errno) {
        try { return cString((MemorySegment) STRERROR.invokeExact(errno)); } catch (Throwable t) { throw rethrow(t); }
    }

    static int vsnprintf(MemorySegment buf, long size, MemorySegment fmt, MemorySegment vaList) {
        try { return (int) VSNPRINTF.invokeExact(buf, size, fmt, vaList); } catch (Throwable t) { throw rethrow(t); }
    }

    // ================================================================ the one upcall

    /**
     * Creates the upcall stub for libbpf's print callback
     * {@code int (*)(enum libbpf_print_level, const char *fmt, va_list)}; {@code target} must be
     * a static method of that shape that never throws.
     */
    static MemorySegment printCallbackStub(MethodHandles.Lookup lookup, Class<?> owner, String method) {
        try {
            MethodHandle target = lookup.findStatic(owner, method,
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            return LINKER.upcallStub(target, FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    // ================================================================ helpers

    /** Reads a NUL-terminated string from a zero-length native pointer (null for NULL). */
    static String cString(MemorySegment p) {
        if (p.address() == 0) return null;
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

}
