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
 * outermost call only. The kernel releases a dead process's lock. The files are empty and stay
 * ({@code /run} is a tmpfs, emptied at boot): deleting one while another process waits on it
 * would give two writers two files. Where the file or its lock cannot be had ({@code /run}
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

    private MapLock() {}

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
        return FileChannel.open(dir.resolve("map-" + id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }
}
