package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agents' files in /run/xdpml/agents (IF.lock, IF.names) go with the agent: a finished agent
 * leaves none, one that was killed leaves them to the next claim's sweep, and a lock another live
 * process holds is never removed. Until 2026-12-06 every interface ever run on left its lock file
 * (843 on one test machine).
 */
class AgentLockFilesTest {
    @Test
    void aFinishedAgentLeavesNoFiles(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("alf")) {
            Files.writeString(file, "interfaces: [" + rig.rx + "]\nblocks: {enabled: true}\noutputs: {status: 0}\n");
            rig.start(file);
            assertThat(AgentPins.lockFile(rig.rx)).as("held while it runs").exists();
            // held for real: before 2026-12-06 (evening) the start read the file back through another fd,
            // which dropped the POSIX lock, and dpkg -r's prerm (which looks agents up in /proc/locks) found none
            assertThat(heldByThisProcess(AgentPins.lockFile(rig.rx))).as("a POSIX lock of this process on the file in /proc/locks").isTrue();
            assertThat(RunningNames.file(rig.rx)).exists();
            rig.stop();
            assertThat(AgentPins.lockFile(rig.rx)).as("the lock file went with the agent").doesNotExist();
            assertThat(RunningNames.file(rig.rx)).doesNotExist();
            rig.start(file); // and the interface can be had again
            assertThat(Files.readString(AgentPins.lockFile(rig.rx)).trim()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
        }
    }

    /**
     * A killed agent's lock and names are swept; so are names without their lock file (left by a
     * crash between the two unlinks, or a write that raced the agent's end), under the interface's
     * lock, taken for them and removed with them (before 2026-12-06 they stayed for good); a lock a
     * live process holds, and its names, stay untouched until its holder is gone.
     */
    @Test
    void theSweepRemovesWhatNoOneHoldsAndLeavesAHeldLock(@TempDir Path dir) throws Exception {
        String tag = "alfs" + ProcessHandle.current().pid();
        Path stale = AgentPins.lockFile(tag + "a");
        Path staleNames = RunningNames.file(tag + "a");
        Path held = AgentPins.lockFile(tag + "b");
        Path heldNames = RunningNames.file(tag + "b");
        Path orphan = RunningNames.file(tag + "c");
        Files.createDirectories(AgentPins.LOCKS);
        Files.writeString(stale, "1\n"); // a killed agent's: no holder, no pins
        Files.writeString(staleNames, "{}");
        Files.writeString(heldNames, "{\"model\": \"m\"}");
        Files.writeString(orphan, "{}");
        Process holder = holding(dir, held);
        try {
            AgentPins.sweepLocks();
            assertThat(stale).as("no one held it").doesNotExist();
            assertThat(staleNames).doesNotExist();
            assertThat(orphan).as("names without a lock file, no agent").doesNotExist();
            assertThat(AgentPins.lockFile(tag + "c")).as("the lock taken for them went with them").doesNotExist();
            assertThat(held).as("a live process holds it").exists();
            assertThat(Files.readString(held).trim()).as("untouched").isEqualTo(String.valueOf(holder.pid()));
            assertThat(Files.readString(heldNames)).as("names of an interface whose lock a live process holds").contains("\"m\"");
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
            for (Path f : new Path[] {stale, staleNames, orphan, AgentPins.lockFile(tag + "c")}) {
                Files.deleteIfExists(f);
            }
        }
        AgentPins.sweepLocks();
        assertThat(held).as("its holder gone, it is swept").doesNotExist();
        assertThat(heldNames).doesNotExist();
    }

    /** Another process, holding the POSIX lock of {@code lock} (with its pid inside) once this returns. */
    private static Process holding(Path dir, Path lock) throws Exception {
        Path hold = Files.writeString(dir.resolve("Hold.java"), AgentStartLockTest.HOLD);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(java, hold.toString(), lock.toString()).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        if (!"held".equals(r.readLine())) {
            holder.destroyForcibly();
            throw new AssertionError("the other process did not take the lock " + lock);
        }
        return holder;
    }

    /** Whether /proc/locks shows a POSIX lock of this process on {@code file}'s inode. */
    private static boolean heldByThisProcess(Path file) throws Exception {
        long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        String pid = String.valueOf(ProcessHandle.current().pid());
        return Files.readAllLines(Path.of("/proc/locks")).stream().map(l -> l.trim().split("\\s+"))
                .anyMatch(f -> f.length > 5 && f[1].equals("POSIX") && f[4].equals(pid) && f[5].endsWith(":" + ino));
    }
}
