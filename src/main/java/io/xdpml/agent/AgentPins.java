package io.xdpml.agent;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Where a running agent leaves its pipeline's maps for other shells: one bpffs directory per
 * interface, {@code /sys/fs/bpf/xdpml/agent/IF/}, one pin per map under its name (xdpml_agent
 * says who runs it). The program itself hangs on a BPF link that is never pinned: when the agent
 * dies, even by kill -9, the kernel detaches it; the pins it leaves are stale, and the next agent
 * on that interface removes them.
 */
public final class AgentPins {
    public static final Path ROOT = BpfFs.ROOT.resolve("xdpml").resolve("agent");
    static final String INFO = "xdpml_agent";
    /**
     * The interfaces an agent of this process holds: the pins' pid cannot tell two agents of one
     * process apart (nor this process from an earlier one with the same pid).
     */
    private static final Set<String> CLAIMED = ConcurrentHashMap.newKeySet();

    private AgentPins() {}

    public static Path dir(String iface) {
        return ROOT.resolve(iface);
    }

    /** Thrown when another live agent runs on the interface. */
    public static final class TakenException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TakenException(String message) {
            super(message);
        }
    }

    /**
     * Makes {@code iface} this agent's: refuses when a live agent runs there (naming its pid and pin
     * directory); removes the pins a dead one left.
     *
     * @return a note on stale pins removed, or null
     */
    static String claim(String iface) {
        Path d = dir(iface);
        if (!CLAIMED.add(iface)) {
            throw new TakenException("an xdpml agent of this process (pid " + ProcessHandle.current().pid() + ") already runs on "
                    + iface + " (its maps are pinned at " + d + "): one program per interface. Close it first.");
        }
        try {
            if (!SWEPT.getAndSet(true)) {
                sweepLocks();
            }
            if (!lock(iface)) {
                claimPins(iface, d, false); // names the running agent when its pins say who it is
                throw new TakenException("another xdpml agent" + lockHolder(iface) + " is starting on " + iface + " (it holds "
                        + lockFile(iface) + "): one program per interface; 'xdpml status --iface " + iface
                        + "' shows it once it runs.");
            }
            return claimPins(iface, d, true);
        } catch (RuntimeException e) {
            unlock(iface);
            CLAIMED.remove(iface);
            throw e;
        }
    }

    /** Where the agents' start locks are: one file per interface, locked while an agent holds it. */
    static final Path LOCKS = Path.of("/run/xdpml/agents");

    /** The interface's start lock file. */
    static Path lockFile(String iface) {
        return LOCKS.resolve(iface + ".lock");
    }

    /** The start locks this process holds, by interface. */
    private static final Map<String, FileChannel> LOCKED = new ConcurrentHashMap<>();

    /**
     * Takes the interface's lock for this process's lifetime on it: the pins say who runs only once
     * they are written, so two agents starting together both found none, and the loser's clean-up
     * removed the winner's pins. The kernel drops a dead process's lock. Where {@code /run} cannot
     * hold it (read-only), the pins alone decide, as before.
     *
     * <p>The file is removed when the agent ends ({@link #remove}) and by {@link #sweepLocks} when
     * no one holds it, always by its holder while it holds the lock (since 2026-12-06; before, every
     * interface ever run on left its file, 843 on one test machine). A remover's unlink can come
     * between another starter's open and its lock, which then locks a file no longer at the path
     * while a third creates and locks a new one: so after locking, a starter compares the file key
     * (device, inode) the path names with the one it named just after the open; another (or no
     * file) means the path names another inode, and it tries again with what the path names now. It
     * writes its pid into the file for others to name it.
     */
    private static boolean lock(String iface) {
        for (int attempt = 0; attempt < 20; attempt++) {
            FileChannel ch;
            Object key;
            try {
                Files.createDirectories(LOCKS);
                ch = FileChannel.open(lockFile(iface), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                key = fileKey(lockFile(iface));
            } catch (IOException | SecurityException e) {
                return true;
            }
            try {
                if (ch.tryLock() == null) {
                    ch.close();
                    return false;
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                // held by this process already (CLAIMED keeps that from happening); closing this channel would drop that lock
                return true;
            } catch (IOException e) {
                closeQuietly(ch);
                return true;
            }
            if (key != null && holdsThePath(ch, lockFile(iface), key)) {
                LOCKED.put(iface, ch);
                removeLocksOnExit();
                return true;
            }
            closeQuietly(ch); // locked a file removed after it was opened: take the one the path names now
        }
        return true; // the path kept changing under it: the pins decide, as where /run cannot hold a lock
    }

    /**
     * Whether the locked {@code ch} is still the file at {@code path}: writes this process's pid into
     * it (for a refused starter and the package's prerm to name) and compares the path's file key
     * (device, inode: a stat, no open) with {@code key}, the one the path named just after {@code ch}
     * was opened. Never by reading the path back: opening and closing another fd of the file drops
     * every POSIX lock this process holds on it (fcntl semantics), so the agent ran unlocked (the
     * package check found it: dpkg -r's prerm looks agents up in /proc/locks and found none). A
     * remover's unlink and a third's create between the open and the stat would give that stat the
     * new file's key: the window is a few microseconds, and the pins' check stays behind it.
     */
    private static boolean holdsThePath(FileChannel ch, Path path, Object key) {
        String pid = ProcessHandle.current().pid() + "\n";
        try {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap(pid.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
            return key.equals(fileKey(path));
        } catch (IOException e) {
            return false;
        }
    }

    /** The file key (device and inode) {@code path} names now, by stat; null when there is no file. */
    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Removes the start locks (and names) that no process holds and whose interface has no agent's
     * pins: what agents that ended without {@link #remove} (killed) left. Each is locked first,
     * checked to still be the file at its path, and unlinked while locked; a held one is left.
     * Names without their lock file (IF.names, no IF.lock: a names file that outlived its lock, by a
     * crash between the two unlinks, a write by {@code fw load} or {@code deploy} racing the agent's
     * end, or an older version's sweep) are removed the same way, under the interface's lock: the
     * sweep creates IF.lock and takes it as a starter would, so never while an agent holds it (a
     * starter that finds it held meanwhile is refused as by any holder), then unlinks both (since
     * 2026-12-06; before, such a file stayed for good). Runs once per process, at its first claim.
     *
     * @return how many interfaces' files were removed
     */
    static int sweepLocks() {
        int removed = 0;
        try (Stream<Path> s = Files.list(LOCKS)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                boolean lock = n.endsWith(".lock");
                if (!lock && !n.endsWith(".names")) {
                    continue;
                }
                String iface = n.substring(0, n.length() - (lock ? ".lock" : ".names").length());
                // not one this process claims: between its lock and LOCKED.put another thread's claim holds a
                // lock the sweep's tryLock would meet as an OverlappingFileLockException, and closing the
                // sweep's channel then drops it (POSIX locks go with any of the process's fds of the file)
                if (CLAIMED.contains(iface) || LOCKED.containsKey(iface) || Files.exists(dir(iface).resolve(INFO))) {
                    continue;
                }
                // names with their lock file go with it (the lock's entry); without: under a lock taken for them
                if (lock ? removeUnheld(f, iface, false)
                        : Files.exists(f) && !Files.exists(lockFile(iface)) && removeUnheld(lockFile(iface), iface, true)) {
                    removed++;
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a directory that cannot be listed keeps its files; the locks still work
        }
        return removed;
    }

    /** Locks the lock file {@code f} (created if {@code create}), and unlinks the names and it while no other holds it. */
    private static boolean removeUnheld(Path f, String iface, boolean create) {
        StandardOpenOption[] open = create ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE} : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        try (FileChannel ch = FileChannel.open(f, open)) {
            Object key = fileKey(f);
            if (key == null || ch.tryLock() == null || !holdsThePath(ch, f, key) || Files.exists(dir(iface).resolve(INFO))) {
                return false;
            }
            Files.deleteIfExists(RunningNames.file(iface));
            Files.delete(f);
            return true;
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            return false;
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean SWEPT = new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.util.concurrent.atomic.AtomicBoolean HOOKED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A JVM ended by a signal (SIGTERM, Ctrl-C) runs no agent's close: its hook unlinks the lock
     * files this process still holds (and their names), while it holds them, as {@link #remove} would.
     * Hooks run at the same time: an agent's close may be in {@link #unlock} meanwhile. So the hook
     * takes each lock out of {@link #LOCKED} first and unlinks only the ones it took (an unlock that
     * took one has unlinked it and let it go, and the path may already be another starter's file), and
     * leaves the channels open: the process's end releases the locks after every hook has run.
     * Before this (a review of 2026-12-06) it walked the keys and unlinked the paths, which could
     * remove a new starter's file.
     */
    private static void removeLocksOnExit() {
        if (!HOOKED.getAndSet(true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (String iface : java.util.List.copyOf(LOCKED.keySet())) {
                    if (LOCKED.remove(iface) == null) {
                        continue; // unlocked by the agent's close meanwhile
                    }
                    try {
                        Files.deleteIfExists(RunningNames.file(iface));
                        Files.deleteIfExists(lockFile(iface));
                    } catch (IOException e) {
                        // left to the next claim's sweep
                    }
                }
            }, "xdpml-agent-locks"));
        }
    }

    /** " (pid N)" of the process that holds the interface's start lock, as it wrote it; "" when unknown. */
    private static String lockHolder(String iface) {
        try {
            String pid = new String(Files.readAllBytes(lockFile(iface)), java.nio.charset.StandardCharsets.US_ASCII).trim();
            return pid.matches("\\d+") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void unlock(String iface) {
        FileChannel ch = LOCKED.remove(iface);
        if (ch != null) {
            try {
                // unlinked while held: a starter that opened it meanwhile finds, once it has the lock, that the path is not its file
                Files.deleteIfExists(lockFile(iface));
            } catch (IOException e) {
                // it stays, and a later sweep removes it
            }
            closeQuietly(ch); // releases the lock
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // the process's end closes it
        }
    }

    /** With {@code clear} false, only throws when a live agent's pins are there (another holds the start lock). */
    private static String claimPins(String iface, Path d, boolean clear) {
        if (!Files.exists(d.resolve(INFO))) {
            if (clear && Files.exists(d)) {
                BpfFs.removeRecursively(d);
            }
            return null;
        }
        AgentInfo info;
        try (BpfMap m = BpfMap.openPinned(d.resolve(INFO))) {
            info = AgentInfo.read(m);
        }
        // the same pid as this process but not claimed by it: an earlier process whose pid was reused
        if (info.alive() && info.pid() != ProcessHandle.current().pid()) {
            throw new TakenException("an xdpml agent (pid " + info.pid() + ", config " + info.config() + ") already runs on " + iface
                    + " (its maps are pinned at " + d + "): one program per interface. Stop it, or change its configuration with"
                    + " 'xdpml reload --iface " + iface + "'; 'xdpml status --iface " + iface + "' shows it.");
        }
        if (!clear) {
            return null;
        }
        BpfFs.removeRecursively(d);
        return "removed stale pins of agent pid " + info.pid() + " (no longer running) at " + d;
    }

    /** Pins every map of the pipeline (named xdpml_*) in the interface's directory. */
    static void pin(BpfObject loaded, String iface) {
        Path d = BpfFs.createDirectories(dir(iface));
        for (BpfMap m : loaded.maps()) {
            if (m.name().startsWith("xdpml_")) {
                m.pin(d.resolve(m.name()));
            }
        }
    }

    /** Removes the interface's pins and gives up this process's claim on it. */
    static void remove(String iface) {
        try {
            BpfFs.removeRecursively(dir(iface));
            RunningNames.remove(iface);
        } finally {
            unlock(iface);
            CLAIMED.remove(iface);
        }
    }

    /** The interfaces with an agent's pins (live or stale). */
    public static java.util.List<String> interfaces() {
        if (!Files.isDirectory(ROOT)) {
            return java.util.List.of();
        }
        try (Stream<Path> s = Files.list(ROOT)) {
            return s.filter(p -> Files.exists(p.resolve(INFO))).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The maps of the agent on {@code iface} opened from their pins; close them all. */
    public static final class Opened implements AutoCloseable {
        private final Map<String, BpfMap> maps = new LinkedHashMap<>();
        private final String iface;

        Opened(String iface) {
            this.iface = iface;
            Path d = dir(iface);
            if (!Files.exists(d.resolve(INFO))) {
                throw new IllegalArgumentException("no xdpml agent on " + iface + " (nothing pinned at " + d + ")");
            }
            try (Stream<Path> s = Files.list(d)) {
                for (Path p : s.sorted().toList()) {
                    maps.put(p.getFileName().toString(), BpfMap.openPinned(p));
                }
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(e);
            }
        }

        public String iface() { return iface; }

        public BpfMap map(String name) {
            BpfMap m = maps.get(name);
            if (m == null) {
                throw new IllegalStateException("the agent on " + iface + " has no map " + name + " pinned");
            }
            return m;
        }

        public boolean has(String name) { return maps.containsKey(name); }

        public AgentInfo info() { return AgentInfo.read(map(INFO)); }

        @Override
        public void close() {
            maps.values().forEach(BpfMap::close);
        }
    }

    public static Opened open(String iface) {
        return new Opened(iface);
    }
}
