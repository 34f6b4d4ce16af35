package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real {@code xdpml bench xsk} in a JVM of its own, stopped by SIGTERM (what Ctrl-C does to it:
 * the JVM's shutdown hook runs, the command's finally blocks do not) while its C consumer is
 * receiving: its namespace, its pinned XSKMAP and its temporary directory (the compiled C consumer)
 * are gone afterwards, and so is the consumer. Before 2026-12-06 the pin directory /sys/fs/bpf/xdpml-bench-xsk-PID stayed
 * (the namespace was already deleted); the temporary directory xdpml-xsk-bench* stayed too.
 * The child gets a java.io.tmpdir of its own, so that what it leaves there is seen.
 */
class BenchSignalCleanupTest {
    @Test
    void sigtermDuringBenchXskLeavesNoPinsNoNamespaceNoTempDirectory() throws Exception {
        TestData.assumeBpf();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path tmp = Files.createTempDirectory("xdpml-bench-signal-tmp");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), "io.xdpml.cli.Main", "bench", "xsk", "--frames", "200000000", "--runs", "1",
                "--sample", "1", "--drain-rounds", "0"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Path pins = Path.of("/sys/fs/bpf/xdpml-bench-xsk-" + p.pid());
        String namespacePrefix = "xdpml-xskbench-" + p.pid() + "-";
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!consumerRunning(p) && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(100);
            }
            assertThat(p.isAlive()).as("the bench still runs").isTrue();
            assertThat(Files.exists(pins)).as(pins + " while it runs").isTrue();
            assertThat(namespaces()).as("its namespace while it runs").anyMatch(n -> n.startsWith(namespacePrefix));
            assertThat(entries(tmp)).as("its temporary directory while it runs").anyMatch(n -> n.startsWith("xdpml-xsk-bench"));
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(children).as("its C consumer after SIGTERM (before 2026-12-06 it busy-polled on, an orphan)")
                    .noneMatch(ProcessHandle::isAlive);
            assertThat(Files.exists(pins)).as(pins + " after SIGTERM").isFalse();
            assertThat(namespaces()).as("its namespace after SIGTERM").noneMatch(n -> n.startsWith(namespacePrefix));
            assertThat(entries(tmp)).as("what it left in its java.io.tmpdir after SIGTERM").isEmpty();
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            try (var left = Files.walk(tmp)) {
                for (Path f : left.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /** Whether the bench's C consumer (a child process) is receiving: the measurement is under way. */
    private static boolean consumerRunning(Process p) {
        return p.descendants().anyMatch(d -> d.info().command().map(c -> c.endsWith("/xsk_consumer")).orElse(false));
    }

    /** The names in {@code dir} (also for AgentBenchSignalCleanupTest). */
    static List<String> entries(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).toList();
        }
    }

    /** The network namespaces there are now. */
    static List<String> namespaces() throws Exception {
        Process ip = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(ip.getInputStream().readAllBytes());
        ip.waitFor();
        return out.lines().map(l -> l.split(" ")[0]).toList();
    }
}
