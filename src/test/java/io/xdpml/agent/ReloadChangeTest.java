package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.CpumapSection;
import io.xdpml.dataplane.CpuSpread;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reload finds changed between two files, and so re-installs ({@link InterfacePipeline.Change}). */
class ReloadChangeTest {
    static AgentConfig load(Path dir, String modelLines) throws Exception {
        Path f = dir.resolve("agent-" + Integer.toHexString(modelLines.hashCode()) + ".yaml");
        Files.writeString(f, """
                interfaces: [eth0]
                flows: {enabled: true}
                model:
                  file: model.json
                  mode: packet
                  actions: {low: pass, high: drop}
                %s
                """.formatted(modelLines));
        return AgentConfigLoader.load(f);
    }

    /**
     * A class's confidence threshold lives in the kernel's model slot: a reload that changes only
     * it must write the slot again (until 2026-12-05 it said "nothing changed" and the kernel kept
     * the old threshold; found by a review).
     */
    @Test
    void aChangedConfidenceThresholdIsAModelChange(@TempDir Path dir) throws Exception {
        AgentRig.portModel().write(dir.resolve("model.json"));
        AgentConfig at9 = load(dir, "  min-confidence: {high: 0.9}");
        AgentConfig at5 = load(dir, "  min-confidence: {high: 0.5}");
        AgentConfig again = load(dir, "  min-confidence: {high: 0.9}  # the same");
        assertThat(InterfacePipeline.Change.between(at9, at5).model()).as("0.9 -> 0.5").isTrue();
        assertThat(InterfacePipeline.Change.between(at9, again).any()).as("the same file again").isFalse();
        assertThat(InterfacePipeline.Change.between(at9, load(dir, "  min-confidence: 0.9")).model())
                .as("every class at 0.9 (low too) against high alone").isTrue();
    }

    /**
     * The CPU spread is fixed at load, but only while it is on: a spread that is off (its CPUs
     * follow those online at each load when not given) needs no restart when it differs (until
     * 2026-12-05 a CPU going offline made every reload "cpumap changed"; found by review).
     */
    @Test
    void aSpreadThatIsOffNeedsNoRestart(@TempDir Path dir) throws Exception {
        AgentRig.portModel().write(dir.resolve("model.json"));
        AgentConfig cpu0 = load(dir, "cpumap: {enabled: false, cpus: [0]}");
        AgentConfig cpu01 = load(dir, "cpumap: {enabled: false, cpus: [0, 1]}");
        assertThat(InterfacePipeline.restartNeeded(cpu0, cpu01)).isNull();
        AgentConfig on = load(dir, "cpumap: {enabled: true, cpus: [0, 1]}");
        assertThat(InterfacePipeline.restartNeeded(cpu01, on)).as("turned on").contains("cpumap");
    }

    /**
     * With the spread on and {@code cpus} left out, the CPUs are those online when the file is read;
     * a CPU going offline or online before a reload does not change what the file asks for (until
     * 2026-12-06 every such reload was rejected "cpumap changed (fixed at load)"; found by review).
     * The running agent's file was read when other CPUs were online: its section is the loader's
     * with that list ({@link AgentConfig#withCpumap}).
     */
    @Test
    void cpusLeftOutAreTheSameWhateverWentOfflineSince(@TempDir Path dir) throws Exception {
        AgentRig.portModel().write(dir.resolve("model.json"));
        AgentConfig now = load(dir, "cpumap: {}");
        CpumapSection read = now.cpumap();
        assertThat(read.enabled()).isTrue();
        assertThat(read.cpusGiven()).isFalse();
        List<Integer> online = read.spread().cpus();
        List<Integer> other = online.size() > 1 ? online.subList(0, online.size() - 1) : List.of(online.getFirst(), online.getFirst() + 1);
        AgentConfig atStart = now.withCpumap(new CpumapSection(true, new CpuSpread(other, read.spread().queueSize()), false));
        assertThat(InterfacePipeline.restartNeeded(atStart, now)).as("CPUs left out in both files").isNull();

        // what still needs a restart: the CPUs named (against those that run), a queue size, on/off
        if (online.size() > 1) { // "other" is online too: a file may name it
            AgentConfig named = load(dir, "cpumap: {cpus: " + other + "}");
            assertThat(InterfacePipeline.restartNeeded(atStart, named)).as("the CPUs that run, named").isNull();
            assertThat(InterfacePipeline.restartNeeded(named, now)).as("named " + other + ", then left out with " + online + " online")
                    .contains("cpumap changed");
        }
        assertThat(InterfacePipeline.restartNeeded(atStart, load(dir, "cpumap: {queue-size: 4096}"))).contains("cpumap changed");
        assertThat(InterfacePipeline.restartNeeded(atStart, load(dir, "cpumap: {enabled: false}"))).contains("cpumap changed");
        assertThat(InterfacePipeline.restartNeeded(atStart, now.withCpumap(new CpumapSection(true, new CpuSpread(online, 2048), true))))
                .as("named: the CPUs online now, not those that run").contains("cpumap changed");
    }
}
