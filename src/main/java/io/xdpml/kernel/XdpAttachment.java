package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An XDP program attached to an interface with {@code bpf_xdp_attach} (netlink). Created inside
 * a {@link NetworkNamespace#run} call it belongs to that namespace: {@link #replace} and {@link
 * #close()} run there whatever thread calls them.
 *
 * <p>{@link #close()} detaches only if our program is still the one attached (XDP_FLAGS_REPLACE
 * with our fd as the expected old program) and is idempotent. Open attachments are registered
 * with a JVM shutdown hook that detaches them on normal exit, SIGINT and SIGTERM.
 */
public final class XdpAttachment implements AutoCloseable {
    /** XDP_FLAGS_* (linux/if_link.h). */
    static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    static final int XDP_FLAGS_SKB_MODE = 2;
    static final int XDP_FLAGS_DRV_MODE = 4;
    static final int XDP_FLAGS_REPLACE = 16;

    /** struct bpf_xdp_attach_opts (16 bytes): sz@0 old_prog_fd@8. */
    static final int ATTACH_OPTS_SIZE = 16;
    static final int ATTACH_OPTS_OLD_PROG_FD = 8;

    static final int EEXIST = 17;
    static final int ENODEV = 19;

    private final int ifindex;
    private final XdpMode mode;
    private final String fallbackReason;
    private final NetworkNamespace namespace;
    private volatile BpfProgram program;
    /** Our own descriptor of the attached program: detach works even after its object closed. */
    private volatile int programFd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private XdpAttachment(BpfProgram program, int ifindex, XdpMode mode, String fallbackReason,
                          NetworkNamespace namespace) {
        this.program = program;
        this.programFd = dupOrThrow(program);
        this.ifindex = ifindex;
        this.mode = mode;
        this.fallbackReason = fallbackReason;
        this.namespace = namespace;
    }

    private static int dupOrThrow(BpfProgram p) {
        int fd = Native.dup(p.fd());
        if (fd < 0) throw new KernelException("fcntl(F_DUPFD_CLOEXEC, prog=" + p.name() + ")", Native.errno());
        return fd;
    }

    /**
     * Attaches {@code prog} to {@code ifindex} (in the calling thread's namespace). Fails with
     * EBUSY if another XDP program is attached in that mode. {@link XdpMode#AUTO} tries native
     * mode and falls back to generic, remembering why.
     */
    public static XdpAttachment attach(BpfProgram prog, int ifindex, XdpMode mode) {
        int fd = prog.fd();
        XdpMode used = mode;
        String reason = null;
        if (mode == XdpMode.AUTO) {
            int rc = Native.xdpAttach(ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE, null);
            if (rc == 0) {
                used = XdpMode.NATIVE;
            } else {
                String nativeError = KernelException.format(call(ifindex, "UPDATE_IF_NOEXIST|DRV_MODE", prog), -rc);
                reason = nativeError;
                check(Native.xdpAttach(ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE, null),
                        () -> call(ifindex, "UPDATE_IF_NOEXIST|SKB_MODE", prog) + " (after native: " + nativeError + ")");
                used = XdpMode.GENERIC;
            }
        } else {
            check(Native.xdpAttach(ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | mode.flag, null),
                    () -> call(ifindex, "UPDATE_IF_NOEXIST|" + flagName(mode), prog));
        }
        XdpAttachment a;
        try {
            a = new XdpAttachment(prog, ifindex, used, reason, NetworkNamespace.current());
        } catch (RuntimeException e) {
            Native.xdpDetach(ifindex, used.flag, null); // cannot track it: do not leave it attached
            throw e;
        }
        KernelCleanup.register(a);
        return a;
    }

    private static String call(int ifindex, String flags, BpfProgram prog) {
        return "bpf_xdp_attach(ifindex=" + ifindex + ", prog=" + prog.name() + ", flags=" + flags + ")";
    }

    private static String flagName(XdpMode m) { return m == XdpMode.NATIVE ? "DRV_MODE" : "SKB_MODE"; }

    private static void check(int rc, Supplier<String> call) {
        if (rc < 0) throw KernelException.of(call.get(), rc);
    }

    /** The mode in use (NATIVE or GENERIC, never AUTO). */
    public XdpMode mode() { return mode; }

    /** Why AUTO fell back to generic mode (the native attach error), or null. */
    public String fallbackReason() { return fallbackReason; }

    /** The interface index. */
    public int ifindex() { return ifindex; }

    /** The program currently attached through this attachment. */
    public BpfProgram program() { return program; }

    /** Atomically swaps the attached program for {@code next} (XDP_FLAGS_REPLACE with our old fd). */
    public synchronized void replace(BpfProgram next) {
        if (closed.get()) throw new IllegalStateException("attachment closed");
        BpfProgram old = program;
        int oldFd = programFd;
        int nextFd = dupOrThrow(next);
        int rc = inNamespace(() -> {
            try (Arena a = Arena.ofConfined()) {
                return Native.xdpAttach(ifindex, nextFd, XDP_FLAGS_REPLACE | mode.flag, opts(a, oldFd));
            }
        });
        if (rc < 0) {
            Native.close(nextFd);
            throw KernelException.of("bpf_xdp_attach(ifindex=" + ifindex + ", prog=" + next.name() + ", flags=REPLACE|"
                    + flagName(mode) + ", old_prog_fd=" + oldFd + " (" + old.name() + "))", rc);
        }
        program = next;
        programFd = nextFd;
        Native.close(oldFd);
    }

    /**
     * Detaches if our program is still attached; idempotent, safe from any thread and from the
     * shutdown hook: no lock is held, and the calling thread enters the namespace itself rather
     * than waiting for the namespace's thread (which may be the one busy or blocked).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        int fd = programFd;
        try {
            if (namespace != null && namespace.isClosed()) return; // its interfaces are gone
            int rc;
            try {
                rc = namespace == null ? detach(fd) : namespace.callOnThisThread(() -> detach(fd));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            // EEXIST: another program replaced ours; ENODEV: the interface is gone. Both: nothing to do.
            if (rc < 0 && rc != -EEXIST && rc != -ENODEV) {
                throw KernelException.of("bpf_xdp_detach(ifindex=" + ifindex + ", flags=REPLACE|" + flagName(mode)
                        + ", old_prog_fd=" + fd + ")", rc);
            }
        } finally {
            KernelCleanup.unregister(this);
            Native.close(fd);
        }
    }

    private int detach(int fd) {
        try (Arena a = Arena.ofConfined()) {
            return Native.xdpDetach(ifindex, XDP_FLAGS_REPLACE | mode.flag, opts(a, fd));
        }
    }

    private static MemorySegment opts(Arena a, int oldFd) {
        MemorySegment o = a.allocate(ATTACH_OPTS_SIZE, 8);
        o.set(JAVA_LONG, 0, ATTACH_OPTS_SIZE);
        o.set(JAVA_INT, ATTACH_OPTS_OLD_PROG_FD, oldFd);
        return o;
    }

    private int inNamespace(java.util.concurrent.Callable<Integer> c) {
        try {
            if (namespace == null || namespace.isNamespaceThread()) return c.call();
            return namespace.run(c);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The id of the XDP program attached to {@code ifindex} in {@code mode} (AUTO: whichever
     * single program is attached), empty when none. Uses {@code bpf_xdp_query_id}.
     */
    public static OptionalInt attachedProgramId(int ifindex, XdpMode mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(JAVA_INT);
            int rc = Native.xdpQueryId(ifindex, mode.flag, id);
            if (rc < 0) throw KernelException.of("bpf_xdp_query_id(ifindex=" + ifindex + ", mode=" + mode + ")", rc);
            int v = id.get(JAVA_INT, 0);
            return v == 0 ? OptionalInt.empty() : OptionalInt.of(v);
        }
    }

    /** Detaches every attachment still open (what the shutdown hook does first). */
    static void detachAll() {
        KernelCleanup.detachAll();
    }

    @Override
    public String toString() {
        return "XdpAttachment[ifindex=" + ifindex + ", " + mode + ", " + program.name() + (closed.get() ? ", closed" : "") + "]";
    }
}
