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
}
