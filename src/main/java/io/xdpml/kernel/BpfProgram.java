package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** A BPF program of a {@link BpfObject}; valid while its object is open. */
public final class BpfProgram {
    /** struct bpf_prog_info prefix read here: type@0 id@4 (we ask the kernel for 8 bytes only). */
    static final int PROG_INFO_TYPE = 0;
    static final int PROG_INFO_ID = 4;
    static final int PROG_INFO_PREFIX = 8;

    /**
     * struct bpf_prog_info (linux/bpf.h, 232 bytes in 6.x; an older kernel fills less and says so
     * in the length it returns): the fields {@link #info} reads.
     */
    static final int PROG_INFO_SIZE = 232;
    static final int PROG_INFO_JITED_LEN = 16;
    static final int PROG_INFO_XLATED_LEN = 20;
    static final int PROG_INFO_JITED_INSNS = 24;
    static final int PROG_INFO_XLATED_INSNS = 32;
    static final int PROG_INFO_NAME = 64;
    static final int PROG_INFO_NAME_LEN = 16;
    static final int PROG_INFO_VERIFIED_INSNS = 216;
    static final int PROG_INFO_NR_LINE_INFO = 148;
    static final int PROG_INFO_LINE_INFO = 152;
    static final int PROG_INFO_LINE_INFO_REC_SIZE = 172;
    /** struct bpf_line_info: insn_off@0 file_name_off@4 line_off@8 line_col@12. */
    static final int LINE_INFO_SIZE = 16;

    /**
     * What the kernel says of a loaded program (struct bpf_prog_info).
     *
     * @param xlatedBytes  the program as the verifier left it: dead branches removed, helpers and
     *                     map lookups rewritten (8 bytes per instruction)
     * @param jitedBytes   its machine code (0 without the JIT)
     * @param verifiedInstructions instructions the verifier processed, over every path it walked
     *                     (0 before kernel 5.16)
     */
    public record Info(int type, int id, String name, int xlatedBytes, int jitedBytes, int verifiedInstructions) {
        /** BPF instructions after verification (a 64-bit immediate load counts two). */
        public int xlatedInstructions() {
            return xlatedBytes / 8;
        }
    }

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

    /** enum bpf_attach_type BPF_XDP_CPUMAP: an XDP program run by a CPUMAP entry on its CPU. */
    public static final int BPF_XDP_CPUMAP = 35;

    /**
     * Sets the attach type the kernel verifies the program for (before load), e.g.
     * {@link #BPF_XDP_CPUMAP} for a program that a CPUMAP entry runs.
     */
    public void setExpectedAttachType(int attachType) {
        object.requireNotLoaded("setExpectedAttachType(" + name + ")");
        int rc = Native.programSetExpectedAttachType(handle, attachType);
        if (rc < 0) throw new KernelException("bpf_program__set_expected_attach_type(" + name + ", " + attachType + ")", -rc);
    }

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

    /** The kernel's facts about the loaded program: sizes before and after the JIT, verifier work. */
    public Info info() {
        int fd = fd();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(PROG_INFO_SIZE, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, PROG_INFO_SIZE);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(prog=" + name + ")");
            int filled = len.get(JAVA_INT, 0);
            byte[] n = info.asSlice(PROG_INFO_NAME, PROG_INFO_NAME_LEN).toArray(JAVA_BYTE);
            int end = 0;
            while (end < n.length && n[end] != 0) {
                end++;
            }
            return new Info(info.get(JAVA_INT, PROG_INFO_TYPE), info.get(JAVA_INT, PROG_INFO_ID),
                    new String(n, 0, end, java.nio.charset.StandardCharsets.US_ASCII), info.get(JAVA_INT, PROG_INFO_XLATED_LEN),
                    info.get(JAVA_INT, PROG_INFO_JITED_LEN),
                    filled >= PROG_INFO_VERIFIED_INSNS + 4 ? info.get(JAVA_INT, PROG_INFO_VERIFIED_INSNS) : 0);
        }
    }

    /**
     * The program's instructions as the verifier left them (8 bytes each, as {@code bpftool prog
     * dump xlated} reads them; map addresses replaced by map ids). Needs the privilege to read raw
     * kernel addresses (root with the default {@code kptr_restrict}); empty when the kernel withholds
     * them.
     */
    public byte[] xlatedInstructions() {
        int fd = fd();
        int bytes = info().xlatedBytes();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment insns = a.allocate(Math.max(bytes, 8), 8);
            MemorySegment info = a.allocate(PROG_INFO_SIZE, 8);
            info.set(JAVA_INT, PROG_INFO_XLATED_LEN, bytes);
            info.set(JAVA_LONG, PROG_INFO_XLATED_INSNS, insns.address());
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, PROG_INFO_SIZE);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(prog=" + name + ", xlated)");
            if (info.get(JAVA_LONG, PROG_INFO_XLATED_INSNS) == 0) {
                return new byte[0];
            }
            int got = Math.min(bytes, info.get(JAVA_INT, PROG_INFO_XLATED_LEN));
            return insns.asSlice(0, got).toArray(JAVA_BYTE);
        }
    }

    /**
     * How many of the program's instructions, as the verifier left them, come from each source
     * file (the kernel's line info: each record names the file and line of the instructions from
     * its offset to the next record's; a record of line 0, code the compiler made up, counts for the
     * file before it). Keys are file names without directories, in order of first appearance.
     * Empty when the program has no line info (compiled without -g).
     */
    public java.util.Map<String, Integer> instructionsBySourceFile() {
        int fd = fd();
        int total = info().xlatedInstructions();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = a.allocate(PROG_INFO_SIZE, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, PROG_INFO_SIZE);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(prog=" + name + ")");
            int n = info.get(JAVA_INT, PROG_INFO_NR_LINE_INFO);
            java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
            if (n == 0) {
                return out;
            }
            MemorySegment lines = a.allocate((long) n * LINE_INFO_SIZE, 8);
            info.fill((byte) 0);
            info.set(JAVA_INT, PROG_INFO_NR_LINE_INFO, n);
            info.set(JAVA_INT, PROG_INFO_LINE_INFO_REC_SIZE, LINE_INFO_SIZE);
            info.set(JAVA_LONG, PROG_INFO_LINE_INFO, lines.address());
            len.set(JAVA_INT, 0, PROG_INFO_SIZE);
            KernelException.check(Native.objGetInfoByFd(fd, info, len), "bpf_obj_get_info_by_fd(prog=" + name + ", line info)");
            String file = "?";
            for (int i = 0; i < n; i++) {
                long r = (long) i * LINE_INFO_SIZE;
                int from = lines.get(JAVA_INT, r);
                int to = i + 1 < n ? lines.get(JAVA_INT, r + LINE_INFO_SIZE) : total;
                int line = lines.get(JAVA_INT, r + 12) >>> 10; // line_col: line << 10 | column
                if (line != 0) {
                    String f = object.btfString(lines.get(JAVA_INT, r + 4));
                    file = f == null ? "?" : f.substring(f.lastIndexOf('/') + 1);
                }
                out.merge(file, to - from, Integer::sum);
            }
            return out;
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
