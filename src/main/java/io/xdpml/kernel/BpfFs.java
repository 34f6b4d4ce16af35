package io.xdpml.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The BPF filesystem (bpffs) where programs and maps are pinned. */
public final class BpfFs {
    private BpfFs() {}

    /** The conventional mount point. */
    public static final Path ROOT = Path.of("/sys/fs/bpf");
    /** BPF_FS_MAGIC, the {@code f_type} statfs reports for bpffs. */
    static final long BPF_FS_MAGIC = 0xcafe4a11L;
    /** struct statfs is 120 bytes on x86-64; f_type (long) at offset 0. */
    static final int STATFS_SIZE = 120;
    static final int STATFS_F_TYPE = 0;

    /** Whether {@code dir} is on a bpffs. */
    public static boolean isBpfFs(Path dir) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(STATFS_SIZE, 8);
            if (Native.statfs(a.allocateFrom(dir.toString()), buf) != 0) return false;
            return buf.get(JAVA_LONG, STATFS_F_TYPE) == BPF_FS_MAGIC;
        }
    }

    /** Mounts bpffs at /sys/fs/bpf unless it is there already; returns the mount point. */
    public static Path ensureMounted() {
        if (isBpfFs(ROOT)) return ROOT;
        try (Arena a = Arena.ofConfined()) {
            int rc = Native.mount(a.allocateFrom("bpf"), a.allocateFrom(ROOT.toString()), a.allocateFrom("bpf"), 0, null);
            if (rc != 0) throw new KernelException("mount(bpf, " + ROOT + ", bpf)", Native.errno());
        }
        return ROOT;
    }

    /** Creates a directory (and parents) under bpffs for pins, mounting bpffs first if needed. */
    public static Path createDirectories(Path dir) {
        ensureMounted();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("creating bpffs directory " + dir, e);
        }
    }

    /**
     * {@link #createDirectories}, for pins that are the process's own: the JVM's cleanup hook
     * removes the directory, pins and all, if the caller's own removal ({@link #removeRecursively})
     * has not run by exit. A signal (Ctrl-C, SIGTERM) skips the caller's finally: before
     * 2026-12-06 an interrupted {@code xdpml bench xsk} left its XSKMAP pinned until reboot.
     */
    public static Path createDirectoriesRemovedOnExit(Path dir) {
        Path d = createDirectories(dir);
        KernelCleanup.register(d);
        return d;
    }

    /**
     * Has the exit hook remove {@code dir} (pins that code of this process makes there, such as an
     * agent's) also when the JVM ends by a signal, which skips the caller's finally. Nothing is
     * created; absent at exit is fine.
     */
    public static void removeOnExit(Path dir) {
        KernelCleanup.register(dir);
    }

    /** Removes a pin (file); no error when absent. */
    public static void removePin(Path pin) {
        try {
            Files.deleteIfExists(pin);
        } catch (IOException e) {
            throw new UncheckedIOException("removing pin " + pin, e);
        }
    }

    /**
     * Removes a directory of pins recursively; no error when absent. Another thread may remove
     * the same pins at the same time (the cleanup hook on SIGTERM while the caller's own finally
     * runs): what vanishes meanwhile is not an error, and the directory stays registered with the
     * hook until it is gone, so that an exit half-way through this removal still leaves nothing.
     */
    public static void removeRecursively(Path dir) {
        for (int attempt = 1; ; attempt++) {
            try {
                io.xdpml.util.TempDirectory.removeRecursively(dir);
                KernelCleanup.unregister(dir);
                return;
            } catch (DirectoryNotEmptyException e) { // a pin made there meanwhile
                if (attempt == 3) throw new UncheckedIOException("removing " + dir, e);
            } catch (IOException e) {
                throw new UncheckedIOException("removing " + dir, e);
            }
        }
    }
}
