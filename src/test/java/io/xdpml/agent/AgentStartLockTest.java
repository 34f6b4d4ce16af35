package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.testing.TestData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents starting on one interface at the same time: the one that finds the interface's start
 * lock held (another process is loading, its pins not written yet) is refused before it loads,
 * attaches or removes anything, naming the holder; when the holder is gone, an agent starts. Until
 * 2026-12-05 both found no pins, and the loser's clean-up after its EBUSY removed the winner's pins
 * (found by a review).
 */
class AgentStartLockTest {
    /** Another process that holds a file's POSIX lock, as an agent holds its interface's (a JDK single-file program). */
    static final String HOLD = """
            import java.nio.channels.FileChannel;
            import java.nio.file.*;
            public class Hold {
                public static void main(String[] a) throws Exception {
                    try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                        c.lock();
                        c.truncate(0);
                        c.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\\n").getBytes()), 0);
                        System.out.println("held");
                        System.out.flush();
                        Thread.sleep(120_000);
                    }
                }
            }
            """;

    @Test
    void anAgentStartingWhileAnotherHoldsTheInterfaceIsRefused(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        Path hold = dir.resolve("Hold.java");
        Files.writeString(hold, HOLD);
        try (AgentRig rig = new AgentRig("asl")) {
            Files.writeString(file, "interfaces: [" + rig.rx + "]\nblocks: {enabled: true}\noutputs: {status: 0}\n");
            Files.createDirectories(AgentPins.LOCKS);
            String java = ProcessHandle.current().info().command().orElse("java");
            Process holder = new ProcessBuilder(java, hold.toString(), AgentPins.lockFile(rig.rx).toString())
                    .redirectErrorStream(true).start();
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
                assertThat(r.readLine()).as("the holder took the lock").isEqualTo("held");
                assertThatThrownBy(() -> rig.ns.run(() -> new Agent(AgentConfigLoader.load(file), UnaryOperator.identity(), true,
                        AgentRig.extras(rig.blocksPins), rig.out)))
                        .isInstanceOf(AgentPins.TakenException.class)
                        .hasMessageContaining("is starting on " + rig.rx)
                        .hasMessageContaining("pid " + holder.pid());
                assertThat(AgentPins.dir(rig.rx)).as("nothing pinned").doesNotExist();
            } finally {
                holder.destroyForcibly();
                holder.waitFor(10, TimeUnit.SECONDS);
            }
            Agent agent = rig.start(file); // the lock went with its holder
            assertThat(AgentPins.dir(rig.rx).resolve("xdpml_agent")).exists();
            assertThat(Files.readString(AgentPins.lockFile(rig.rx)).trim()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            assertThat(agent).isNotNull();
        }
    }
}
