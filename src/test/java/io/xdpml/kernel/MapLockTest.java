package io.xdpml.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.FirewallProgram;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blocks' and measures' writers of two processes take turns: while this process holds the
 * measures map's lock, {@code xdpml blocks add --measure} in another JVM waits for it (the kernel
 * lists it as a waiter on the lock file in /proc/locks) and writes nothing; released, it adds its
 * measure. Before the lock, the agent's read-modify-writes (never shorten a block, remove only
 * what is still as written, sweep) could lose an {@code xdpml blocks add} made in between.
 */
class MapLockTest {
    @Test
    void aWriterInAnotherProcessWaitsForTheLock(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path pins = BpfFs.ROOT.resolve("xdpml-test-maplock-" + ProcessHandle.current().pid());
        try (FirewallProgram p = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true);
             AutoCloseable clean = () -> BpfFs.removeRecursively(pins)) {
            FirewallMeasures measures = p.measures();
            measures.pin(pins.resolve("lk0"));
            BpfMap map = p.object().map(FirewallMeasures.MAP);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> MapLock.run(map, () -> {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            Process child = null;
            try {
                assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
                long inode = (Long) Files.getAttribute(MapLock.file(map), "unix:ino");
                child = xdpml(dir.resolve("child.out"), "blocks", "add", "--iface", "lk0", "--pin-dir", pins.toString(), "--measure",
                        "port-drop:udp/53->192.0.2.7");
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!waiterOn(inode) && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(waiterOn(inode)).as("the other process waits for the lock (" + Files.readString(dir.resolve("child.out")) + ")")
                        .isTrue();
                assertThat(measures.list()).as("and has written nothing").isEmpty();
            } finally {
                release.countDown();
                holder.join();
            }
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as(Files.readString(dir.resolve("child.out"))).isZero();
            assertThat(measures.list()).as("released, it added its measure").hasSize(1);
        }
    }

    /**
     * Where no lock file can be had (/run read-only, as under a systemd unit without a runtime
     * directory), the step still runs, under this process's lock: a write never fails for it.
     */
    @Test
    void withoutALockFileTheStepStillRuns(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        try (FirewallProgram p = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true)) {
            BpfMap map = p.object().map(FirewallMeasures.MAP);
            assertThat(MapLock.with(map, () -> MapLock.with(map, () -> 42), notADirectory.resolve("locks"))).isEqualTo(42);
        }
    }

    /** Whether /proc/locks lists a process waiting for a lock on the file with this inode. */
    static boolean waiterOn(long inode) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] f = line.trim().split("\\s+");
            if (line.contains("->") && f.length > 6 && f[6].endsWith(":" + inode)) {
                return true;
            }
        }
        return false;
    }

    static Process xdpml(Path output, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", cp, "io.xdpml.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /**
     * The lock file of a map goes when the map does: closing the object that locked it removes it
     * (the kernel frees a program's maps a moment after the program, so this waits for it). Until
     * 2026-12-06 the files stayed until reboot (7,516 on one test machine).
     */
    @Test
    void aClosedMapsLockFileIsRemoved() throws Exception {
        TestData.assumeBpf();
        Path file;
        int id;
        try (FirewallProgram p = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true)) {
            BpfMap map = p.object().map(FirewallMeasures.MAP);
            id = map.id();
            file = MapLock.file(map);
            MapLock.run(map, () -> {});
            assertThat(file).exists();
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(MapLock.mapGone(id)).as("the kernel freed map " + id).isTrue();
        assertThat(file).as("its lock file went with it").doesNotExist();
    }

    /**
     * The sweep removes the file of a map that no longer exists (ENOENT by id), keeps the file of a
     * map that does, and never removes a file another live process holds locked.
     */
    @Test
    void theSweepRemovesOnlyFilesOfGoneMapsThatNoOneHolds(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        int gone1;
        int gone2;
        try (FirewallProgram p = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true);
             FirewallProgram q = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true)) {
            gone1 = p.object().map(FirewallMeasures.MAP).id();
            gone2 = q.object().map(FirewallMeasures.MAP).id();
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!(MapLock.mapGone(gone1) && MapLock.mapGone(gone2)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Path locks = Files.createDirectories(dir.resolve("locks"));
        Path stale = Files.createFile(locks.resolve("map-" + gone1));
        Path heldStale = Files.createFile(locks.resolve("map-" + gone2));
        Path other = Files.createFile(locks.resolve("not-a-lock"));
        try (FirewallProgram live = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true)) {
            BpfMap map = live.object().map(FirewallMeasures.MAP);
            Path liveFile = Files.createFile(locks.resolve("map-" + map.id()));
            Process holder = new ProcessBuilder("python3", "-c",
                    "import fcntl,sys,time\nf=open(sys.argv[1],'a')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(120)",
                    heldStale.toString()).redirectErrorStream(true).start();
            try {
                assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine()).isEqualTo("held");
                assertThat(MapLock.sweep(locks)).isEqualTo(1);
                assertThat(stale).as("its map is gone").doesNotExist();
                assertThat(heldStale).as("a live process holds it").exists();
                assertThat(liveFile).as("its map exists").exists();
                assertThat(other).exists();
            } finally {
                holder.destroyForcibly();
                holder.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(MapLock.sweep(locks)).as("its holder gone").isEqualTo(1);
            assertThat(heldStale).doesNotExist();
        }
    }
}
