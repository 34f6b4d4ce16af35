package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.AgentPins;
import io.xdpml.kernel.BpfFs;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code xdpml fleet demo} as a user runs it: a real broker, the fleet detector and two real
 * agents in namespaces; every step of the story must hold (exit code 0), with the figures it prints,
 * and nothing it created may be left behind.
 */
class FleetDemoTest {
    @Test
    void theStoryHoldsAndLeavesNothingBehind() throws Exception {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("fleet", "demo");
        String out = r.out();
        System.out.println(out);
        assertThat(r.code()).as(out + r.err()).isZero();
        assertThat(out).doesNotContain("FAILED")
                .contains("host A | DETECTED ").contains("portscan      10.77.0.9 ")
                .contains("host A | BLOCKED 10.77.0.9 for 120 s (portscan")
                .contains("host B | FLEET BLOCKED 10.77.0.9/32 for 120 s (portscan on host-a)")
                .containsPattern("ok: host B's kernel holds the block \\d+ ms after host A decided it")
                .contains("ok: host B dropped all 400 probes in XDP before it was scanned; its detectors saw none")
                .containsPattern("fleet detector \\| \\S+ fleet-scan +10\\.77\\.0\\.33 .*on 2 hosts")
                .contains("host A | FLEET BLOCKED 10.77.0.33/32").contains("host B | FLEET BLOCKED 10.77.0.33/32")
                .contains("ok: neither host's own detectors saw a scan in it")
                .contains("VERDICT: the fleet held");
        // host B's own summary: nothing detected, the 400 probes dropped by its blocks stage
        assertThat(out).containsPattern("host B \\| \\S+: detached\\. \\d+ packets seen by XDP, .*, 400 packets dropped by blocks")
                .contains("host B | 0 detections {portscan=0}");
        assertNothingLeftOf(ProcessHandle.current().pid());
    }

    /**
     * Ctrl-C or SIGTERM while both agents run: the JVM's shutdown hooks are all that runs. Before
     * 2026-12-06 the demo had none of its own: each agent's ~40 pinned maps (about 50 MB of kernel
     * memory), the blocks' pins and the temporary directory with the broker's logs stayed until
     * removed by hand (the interfaces' names hold the pid, so no later agent removed them).
     */
    @Test
    void sigtermWhileTheAgentsRunLeavesNothingBehind(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path output = dir.resolve("demo.txt");
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process demo = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-Djava.io.tmpdir=" + tmp, "-cp", cp,
                "io.xdpml.cli.Main", "fleet", "demo").redirectErrorStream(true).redirectOutput(output.toFile()).start();
        List<ProcessHandle> children;
        try {
            long deadline = System.nanoTime() + 180_000_000_000L;
            while (!Files.readString(output).contains("both agents run")) {
                assertThat(demo.isAlive()).as("the demo ended: %s", Files.readString(output)).isTrue();
                assertThat(System.nanoTime()).as("the agents did not start: %s", Files.readString(output)).isLessThan(deadline);
                Thread.sleep(100);
            }
            String host = "xfda" + demo.pid() % 100000 + "i";
            assertThat(AgentPins.dir(host)).as("host A's agent pins its maps").isDirectory();
            assertThat(tmp).isNotEmptyDirectory();
            children = demo.descendants().toList();
            assertThat(children).as("the broker's JVM").isNotEmpty();
            demo.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
            assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("the demo ended within 90 s of SIGTERM").isTrue();
        } finally {
            demo.destroyForcibly();
        }
        String said = Files.readString(output);
        assertNothingLeftOf(demo.pid());
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).as("the temporary directory's contents: %s", said).isEmpty();
        }
        for (ProcessHandle child : children) {
            assertThat(child.isAlive()).as("child %s of the demo", child.pid()).isFalse();
        }
        assertThat(said).contains("interrupted: stopping both agents");
    }

    /**
     * An address of the links' 169.254.77.0/29 on an interface already (another demo's, or one a
     * demo killed with -9 left): refused, naming it, before anything is created. Before 2026-12-06
     * a second demo ran on, its agents' replies routed out by the first demo's link.
     */
    @Test
    void aDemoIsRefusedWhileTheLinksAddressesAreTaken() throws Exception {
        TestData.assumeBpf();
        String dummy = "xfdt" + ProcessHandle.current().pid() % 100000 + "d";
        // .7/32: within the links' /29, yet on no route a running demo uses
        run("ip", "link", "add", dummy, "type", "veth", "peer", "name", dummy + "p"); // no dummy driver on every kernel
        try {
            run("ip", "addr", "add", "169.254.77.7/32", "dev", dummy);
            CliHarness.Result r = CliHarness.run("fleet", "demo");
            assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
            assertThat(r.err()).contains("cannot run here: 169.254.77.7/32 is on " + dummy + " already")
                    .contains("one fleet demo at a time");
            assertThat(r.out()).doesNotContain("namespaces");
        } finally {
            run("ip", "link", "del", dummy);
        }
    }

    /**
     * Another demo holds the demos' lock (here a process of its own holding /run/xdpml/fleet-demo.lock
     * with fcntl, as a JVM's FileChannel lock does): refused before the address check and before
     * anything is created. Before 2026-12-06 the address check alone decided, and two demos
     * starting together both found the addresses free.
     */
    @Test
    void aDemoIsRefusedWhileAnotherHoldsTheDemoLock() throws Exception {
        TestData.assumeBpf();
        java.nio.file.Files.createDirectories(java.nio.file.Path.of("/run/xdpml"));
        Process holder = new ProcessBuilder("python3", "-c", "import fcntl,sys,time\n"
                + "f=open('/run/xdpml/fleet-demo.lock','a')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(120)")
                .redirectErrorStream(true).start();
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine();
            assertThat(line).as("the other process holds the lock").isEqualTo("held");
            CliHarness.Result r = CliHarness.run("fleet", "demo");
            assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
            assertThat(r.err()).contains("cannot run here: another fleet demo is running").contains("one fleet demo at a time");
            assertThat(r.out()).doesNotContain("namespaces");
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    /**
     * A broker that cannot start is said plainly, under the command's whole name: before
     * 2026-12-06 every error a nested command threw was printed as "xdpml LEAF:", so this one read
     * "xdpml demo: ...", naming another command.
     */
    @Test
    void aBrokerThatCannotStartIsSaidUnderTheCommandsName() throws Exception {
        TestData.assumeBpf();
        System.setProperty("xdpml.broker.classpath", "/nonexistent");
        CliHarness.Result r;
        try {
            r = CliHarness.run("fleet", "demo");
        } finally {
            System.clearProperty("xdpml.broker.classpath");
        }
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("xdpml fleet demo: formatting the broker's storage failed: ")
                .contains("kafka.tools.StorageTool");
        assertNothingLeftOf(ProcessHandle.current().pid());
    }

    /** Nothing of the demo of process {@code pid} left: namespaces, links to the host, pins, the agents' files in /run/xdpml. */
    private static void assertNothingLeftOf(long pid) throws Exception {
        String id = String.valueOf(pid % 100000);
        assertThat(Files.readString(Path.of("/proc/net/dev"))).doesNotContainPattern("xfd[ab]" + id + "[giu]");
        try (Stream<Path> netns = list(Path.of("/run/netns")); Stream<Path> pins = list(BpfFs.ROOT);
                Stream<Path> agents = list(AgentPins.ROOT); Stream<Path> kafka = list(Path.of("/run/xdpml/kafka"));
                Stream<Path> names = list(Path.of("/run/xdpml/agents"))) {
            assertThat(netns.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("xdpml-fleet-") && n.contains("-" + pid + "-"));
            assertThat(pins.map(p -> p.getFileName().toString())).noneMatch(n -> n.matches("xdpml-fleet-demo-xfd[ab]" + id + "i"));
            assertThat(agents.map(p -> p.getFileName().toString())).noneMatch(n -> n.matches("xfd[ab]" + id + "i"));
            assertThat(kafka.map(p -> p.getFileName().toString())).noneMatch(n -> n.matches("xfd[ab]" + id + "i.*"));
            // the start locks stay by design (AgentPins), the names of what runs go
            assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.matches("xfd[ab]" + id + "i\\.names"));
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }

    private static Stream<Path> list(Path dir) throws IOException {
        return Files.isDirectory(dir) ? Files.list(dir) : Stream.empty();
    }
}
