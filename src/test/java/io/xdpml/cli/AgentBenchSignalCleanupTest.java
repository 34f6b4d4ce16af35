package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml bench soak} and {@code xdpml bench metrics} in a JVM of their own, stopped by SIGTERM
 * while their agent runs (the JVM's shutdown hooks run, the benches' finally blocks do not): the
 * agent's pins, the bench's blocks pins, its agent's start lock file, its namespace and its
 * temporary directory are all gone afterwards. Before 2026-12-06 the pin directories
 * /sys/fs/bpf/xdpml/agent/xs&lt;PID&gt;r and /sys/fs/bpf/xdpml-bench-soak-xs&lt;PID&gt; (and the metrics
 * bench's xm ones) stayed until the next bench of the same pid or a reboot.
 */
class AgentBenchSignalCleanupTest {
    @Test
    void sigtermDuringBenchSoakLeavesNothing() throws Exception {
        sigtermLeavesNothing("xs", "xdpml-bench-soak-", "xdpml-soak", List.of("bench", "soak", "--seconds", "600"));
    }

    @Test
    void sigtermDuringBenchMetricsLeavesNothing() throws Exception {
        sigtermLeavesNothing("xm", "xdpml-bench-metrics-", "xdpml-benchm", List.of("bench", "metrics", "--seconds", "600", "--runs", "1"));
    }

    private static void sigtermLeavesNothing(String tag, String blocksPrefix, String namespacePrefix, List<String> args) throws Exception {
        TestData.assumeBpf();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path tmp = Files.createTempDirectory("xdpml-bench-signal-tmp");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), "io.xdpml.cli.Main"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("out").toFile()).start();
        String id = tag + (p.pid() % 1_000_000);
        Path agentPins = Path.of("/sys/fs/bpf/xdpml/agent/" + id + "r");
        Path blocksPins = Path.of("/sys/fs/bpf/" + blocksPrefix + id);
        Path lock = Path.of("/run/xdpml/agents/" + id + "r.lock");
        List<String> before = BenchSignalCleanupTest.namespaces();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(agentPins.resolve("xdpml_agent")) && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(100);
            }
            String out = Files.readString(tmp.resolve("out"));
            assertThat(p.isAlive()).as("the bench still runs: " + out).isTrue();
            assertThat(agentPins).as("its agent's pins while it runs").exists();
            assertThat(blocksPins).as("its blocks pins while it runs").exists();
            assertThat(lock).as("its agent's lock while it runs").exists();
            assertThat(BenchSignalCleanupTest.entries(tmp)).as("its temporary directory while it runs").anyMatch(n -> n.startsWith("xdpml-bench-"));
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            assertThat(agentPins).as("after SIGTERM").doesNotExist();
            assertThat(blocksPins).as("after SIGTERM").doesNotExist();
            assertThat(lock).as("after SIGTERM").doesNotExist();
            assertThat(BenchSignalCleanupTest.entries(tmp)).as("what it left in its java.io.tmpdir after SIGTERM").containsExactly("out");
            assertThat(BenchSignalCleanupTest.namespaces()).as("its namespace after SIGTERM")
                    .noneMatch(n -> n.startsWith(namespacePrefix) && !before.contains(n));
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            io.xdpml.kernel.BpfFs.removeRecursively(agentPins); // what a failed run left
            io.xdpml.kernel.BpfFs.removeRecursively(blocksPins);
            Files.deleteIfExists(lock);
            Files.deleteIfExists(lock.resolveSibling(id + "r.names"));
            try (var left = Files.walk(tmp)) {
                for (Path f : left.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

}
