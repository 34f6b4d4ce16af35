package io.xdpml.kernel;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One writer at a time for a BPF map that several processes change: the agent's loop and fleet
 * thread, and {@code xdpml blocks} from another shell. Each map operation is atomic on its own,
 * but a read-modify-write (never shorten a block that is there, remove an entry only if it is still
 * the one read, sweep what expired) is not: another process's write between the read and the
 * write is lost. Every such step of {@code Mitigation} and {@code FirewallMeasures} runs under this
 * lock.
 *
 * <p>The lock is keyed by the map's kernel id, which every process sees the same whether it loaded
 * the map or opened its pin: an exclusive POSIX record lock ({@link FileChannel#lock()}, fcntl) on
 * {@code /run/xdpml/locks/map-ID}, taken inside a per-id {@link ReentrantLock} of this process (a
 * JVM holds one file lock per file, for all its threads). Reentrant: the file lock is taken by the
 * outermost call only. The kernel releases a dead process's lock.
 *
 * <p>A file is removed only once its map is provably gone: {@code bpf_map_get_fd_by_id} fails with
 * ENOENT. Every writer holds an fd of the map while it locks, so no process can wait on, or
 * hold, the lock of a map that no longer exists, and unlinking its file cannot give two writers two
 * files (the general hazard of deleting lock files: A opens, B unlinks, C creates and locks a new
 * file while A locks the old one). The remover also takes the file's lock first (non-blocking) and
 * unlinks only while holding it, so a file some process holds is never removed. Removed: when this
 * process closes the last fd it had of a map it locked ({@link BpfObject#close()}, a pinned
 * {@link BpfMap#close()}), retried for a few seconds in the background because a program's maps are
 * freed by the kernel after the program, asynchronously; and all files of gone maps in the
 * directory once per process, at its first lock (what dead processes and other pins left). Since
 * 2026-12-06; before, the files stayed until reboot (7,516 on one test machine). A map id is reused
 * only after the kernel's ids wrap past 2^31. Where the file or its lock cannot be had ({@code /run}
 * read-only, as under a systemd unit without {@code RuntimeDirectory}; not allowed; no locks left),
 * the step runs under this process's lock alone, and that is said once on standard error: the
 * writers of this process still take turns.
 * A process stopped while it holds the lock (a suspended {@code xdpml blocks}, for the milliseconds it
 * holds it) keeps the other writers waiting until it goes on or dies.
 */
public final class MapLock {
    /** Where the lock files are. */
    public static final Path DIR = Path.of("/run/xdpml/locks");
    private static final ConcurrentHashMap<Integer, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    private static final java.util.concurrent.atomic.AtomicBoolean SWEPT = new java.util.concurrent.atomic.AtomicBoolean();
    private static final String PREFIX = "map-";

    private MapLock() {}

    /** Whether the kernel has no map with this id any more (ENOENT); another failure (EPERM) proves nothing. */
    static boolean mapGone(int id) {
        int fd = Native.mapGetFdById(id);
        if (fd >= 0) {
            Native.close(fd);
            return false;
        }
        return fd == -2; // -ENOENT
    }

    /**
     * Removes {@code dir/map-ID} if the map is gone and no process holds the file's lock: takes the
     * lock (not waiting) and unlinks while holding it.
     *
     * @return whether the file was removed
     */
    static boolean removeIfGone(Path dir, int id) {
        Path f = dir.resolve(PREFIX + id);
        if (!mapGone(id) || !Files.exists(f)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return false;
            }
            Files.deleteIfExists(f);
            return true; // closing the channel releases the lock of the unlinked file
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            return false; // gone already, not ours to remove, or this process holds it
        }
    }

    /** Removes every lock file in {@code dir} whose map is gone and whose lock is free; returns how many. */
    static int sweep(Path dir) {
        int removed = 0;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith(PREFIX) && n.substring(PREFIX.length()).matches("\\d{1,10}")) {
                    long id = Long.parseLong(n.substring(PREFIX.length()));
                    if (id > 0 && id <= Integer.MAX_VALUE && removeIfGone(dir, (int) id)) {
                        removed++;
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a directory that cannot be listed keeps its files; the locks still work
        }
        return removed;
    }

    /**
     * This process closed its fds of the maps with these ids: removes their lock files once the
     * kernel has freed them. Tried now, and with {@code retry} (an object closed: its programs'
     * maps are released by a kernel work item after them) in the background for a few seconds; a
     * map still there then is held by a pin or another process, and its file goes at a later sweep.
     */
    static void closed(int[] ids, boolean retry) {
        java.util.List<Integer> left = new java.util.ArrayList<>();
        for (int id : ids) {
            if (!removeIfGone(DIR, id) && !mapGone(id)) {
                left.add(id);
            }
        }
        if (left.isEmpty() || !retry) {
            return;
        }
        Thread.ofPlatform().daemon().name("xdpml-maplock-sweep").start(() -> {
            for (int i = 0; i < 50 && !left.isEmpty(); i++) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                left.removeIf(id -> removeIfGone(DIR, id) || mapGone(id));
            }
        });
    }

    /** The lock file of {@code map}. */
    public static Path file(BpfMap map) {
        return DIR.resolve("map-" + map.id());
    }

    /** Runs {@code step} holding {@code map}'s lock (waits for it); returns what it returns. */
    public static <T> T with(BpfMap map, Supplier<T> step) {
        return with(map, step, DIR);
    }

    /** {@link #with(BpfMap, Supplier)} with the lock files in {@code dir} (for the tests). */
    static <T> T with(BpfMap map, Supplier<T> step, Path dir) {
        int id = map.id();
        map.lockedId = id;
        ReentrantLock local = IN_PROCESS.computeIfAbsent(id, k -> new ReentrantLock());
        local.lock();
        try {
            if (local.getHoldCount() > 1) {
                return step.get();
            }
            FileChannel ch = null;
            FileLock held = null;
            try {
                ch = open(dir, id);
                held = ch.lock();
            } catch (IOException | SecurityException e) {
                if (!WARNED.getAndSet(true)) {
                    System.err.println("xdpml: cannot lock map " + map.name() + " for other processes (" + dir.resolve("map-" + id) + ": "
                            + e + "); its writers in this process still take turns, but an 'xdpml blocks' from another shell may"
                            + " be overwritten by this one's read-modify-writes");
                }
            }
            try {
                return step.get();
            } finally {
                close(held, ch);
            }
        } finally {
            local.unlock();
        }
    }

    /** {@link #with(BpfMap, Supplier)} for a step without a result. */
    public static void run(BpfMap map, Runnable step) {
        with(map, () -> {
            step.run();
            return null;
        });
    }

    /** Releases the file lock and closes its channel (either may be null); what fails there is left to the kernel. */
    private static void close(FileLock held, FileChannel ch) {
        try {
            if (held != null) {
                held.release();
            }
            if (ch != null) {
                ch.close();
            }
        } catch (IOException e) {
            // closing the channel releases the lock; a close that fails leaves the fd to the process's end
        }
    }

    private static FileChannel open(Path dir, int id) throws IOException {
        Files.createDirectories(dir);
        if (dir.equals(DIR) && !SWEPT.getAndSet(true)) {
            sweep(dir);
        }
        return FileChannel.open(dir.resolve("map-" + id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }
}
