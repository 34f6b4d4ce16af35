package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** A BPF program of a {@link BpfObject}; valid while its object is open. */
public final class BpfProgram {
    /** struct bpf_prog_info prefix read here: type@0 id@4 (we ask the kernel for 8 bytes only). */
    static final int PROG_INFO_TYPE = 0;
    static final int PROG_INFO_ID = 4;
    static final int PROG_INFO_PREFIX = 8;

    private final BpfObject object;
    private final MemorySegment handle;
    private final String name;

    BpfProgram(BpfObject object, MemorySegment handle, String name) {
        this.object = object;
        this.handle = handle;
        this.name = name;
    }

    /** The program (function) name. */
    public String name() { return name; }

    /** The object this program belongs to. */
    public BpfObject object() { return object; }

    /** The program fd (the object must be loaded). */
    public int fd() {
        object.requireLoaded("program " + name + " fd()");
        return Native.programFd(handle);
    }

    /** The kernel's id of the loaded program (as reported by bpf_xdp_query_id or bpftool). */
    public int id() {
        int fd = fd();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(PROG_INFO_PREFIX, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, PROG_INFO_PREFIX);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(prog=" + name + ")");
            return info.get(JAVA_INT, PROG_INFO_ID);
        }
    }

    /** Pins the program in bpffs at {@code path} (the directory must exist, see {@link BpfFs}). */
    public void pin(Path path) {
        try (Arena a = Arena.ofConfined()) {
            KernelException.check(Native.objPin(fd(), a.allocateFrom(path.toString())),
                    "bpf_obj_pin(prog=" + name + ", " + path + ")");
        }
    }

    /** A reusable BPF_PROG_TEST_RUN runner with its own native buffers. */
    public TestRun testRun() { return new TestRun(this, TestRun.DEFAULT_DATA_OUT); }

    /** Same, with a data-out buffer of {@code dataOutCapacity} bytes. */
    public TestRun testRun(int dataOutCapacity) { return new TestRun(this, dataOutCapacity); }

    @Override
    public String toString() { return "BpfProgram[" + name + "]"; }
}
