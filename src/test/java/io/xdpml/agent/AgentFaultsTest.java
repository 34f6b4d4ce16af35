package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.cli.CliHarness;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent when things go wrong around it, and driven from other shells: the interface deleted
 * under it; the agent process killed with SIGKILL (a child JVM running {@code xdpml run
 * --config}), after {@code xdpml status --json} and {@code xdpml reload} were used against it;
 * the next agent on that interface cleaning up after it.
 */
class AgentFaultsTest {
    static String config(String iface, int droppedPort) {
        return """
                interfaces: [%s]
                blocks:
                  enabled: true
                firewall:
                  rules: |
                    default pass
                    rule drop udp port %d
                flows:
                  max-flows: 4096
                model:
                  file: model.json
                  mode: packet
                  actions: {low: pass, high: drop}
                sampling:
                  every: 4
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan]
                outputs:
                  status: 0
                """.formatted(iface, droppedPort);
    }

    @Test
    void anInterfaceDeletedUnderTheAgentEndsItAndItsPins(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("afd")) {
            Files.writeString(file, config(rig.rx, 19));
            rig.start(file);
            assertThat(AgentPins.dir(rig.rx).resolve("xdpml_agent")).exists();
            assertThat(rig.blocksPins.resolve(rig.rx)).exists();
            rig.send(AgentRig.udp("10.77.0.7", 53), 64);
            long t0 = System.nanoTime();
            rig.ns.exec("ip", "link", "del", rig.rx); // the veth pair goes with it
            int code = rig.exitCode(10);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("agent faults: interface deleted, run() returned %d after %.2f s%n", code, seconds);
            assertThat(code).isEqualTo(Agent.EXIT_INTERFACE_GONE);
            assertThat(seconds).as("seconds to notice").isLessThan(5);
            assertThat(rig.output()).contains("interface " + rig.rx + " is gone").contains("detached.");
            assertThat(AgentPins.dir(rig.rx)).as("agent pins").doesNotExist();
            assertThat(rig.blocksPins.resolve(rig.rx)).as("blocks pins").doesNotExist();
            assertThat(AgentPins.interfaces()).doesNotContain(rig.rx);
        }
    }

    /**
     * {@code nsenter --net=/var/run/netns/NS java ... io.xdpml.cli.Main ARGS}: xdpml in a JVM of its
     * own, inside the namespace. Not {@code ip netns exec}: that also gives the command a mount
     * namespace with a fresh /sys, without the bpffs at /sys/fs/bpf, so the agent would pin its maps
     * in a bpffs of its own that no other shell sees.
     */
    static Process xdpml(AgentRig rig, Path output, String... args) throws Exception {
        return xdpml(rig, output, List.of(), args);
    }

    /** As {@link #xdpml(AgentRig, Path, String...)}, the JVM started by {@code launcher} (e.g. nohup). */
    static Process xdpml(AgentRig rig, Path output, List<String> launcher, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/var/run/netns/" + rig.ns.name()));
        cmd.addAll(launcher);
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", cp, "io.xdpml.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    @Test
    void statusAndReloadFromAnotherShellThenKill9LeavesNothingAttached(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        Path childOut = dir.resolve("child.txt");
        try (AgentRig rig = new AgentRig("afk")) {
            Files.writeString(file, config(rig.rx, 19));
            // under nohup (SIGHUP ignored, as the JVM keeps it): xdpml reload asks through the pins, not by a signal
            Process child = xdpml(rig, childOut, List.of("nohup"), "run", "--config", file.toString(), "--pin-dir", rig.blocksPins.toString());
            try {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(Files.exists(AgentPins.dir(rig.rx).resolve("xdpml_agent")) && rig.attachedProgram().isPresent()
                        && Files.readString(childOut).contains("running on " + rig.rx))) {
                    assertThat(child.isAlive()).as("xdpml run: %s", Files.readString(childOut)).isTrue();
                    assertThat(System.nanoTime()).as("xdpml run did not start: %s", Files.readString(childOut)).isLessThan(deadline);
                    Thread.sleep(50);
                }
                AgentInfo info = rig.info();
                int pid = info.pid();
                assertThat(info.alive()).isTrue();
                assertThat(pid).isNotEqualTo((int) ProcessHandle.current().pid());
                assertThat(info.config()).isEqualTo(file);
                int program = rig.attachedProgram().getAsInt();

                rig.send(AgentRig.udp("10.77.0.6", 19), 128); // the rule drops them
                rig.send(AgentRig.udp("10.77.0.7", 20), 64);  // passed
                awaitPackets(rig, 192);

                // xdpml status --json
                CliHarness.Result st = CliHarness.run("status", "--iface", rig.rx, "--json");
                assertThat(st.code()).as("status: %s", st.err()).isZero();
                JsonNode s = new ObjectMapper().readTree(st.out());
                assertThat(fieldNames(s)).containsExactly("iface", "generation", "agent", "stages");
                assertThat(s.get("iface").asText()).isEqualTo(rig.rx);
                assertThat(s.get("generation").asInt()).isZero();
                assertThat(s.get("agent").get("pid").asInt()).isEqualTo(pid);
                assertThat(s.get("agent").get("alive").asBoolean()).isTrue();
                assertThat(fieldNames(s.get("stages"))).containsExactly("parse", "blocks", "firewall", "flow", "model", "sample", "deliver", "end");
                for (JsonNode stage : s.get("stages")) {
                    assertThat(fieldNames(stage)).contains("in", "passed", "dropped");
                }
                assertThat(s.get("stages").get("parse").get("in").asLong()).isEqualTo(192);
                assertThat(s.get("stages").get("firewall").get("dropped").asLong()).isEqualTo(128);
                assertThat(s.get("stages").get("firewall").get("rules").get(0).get("hits").asLong()).isEqualTo(128);
                assertThat(s.get("stages").get("model").get("in").asLong()).isEqualTo(64);

                assertThat(Files.readString(childOut)).contains("SIGHUP is ignored in this process");

                // xdpml reload: a changed file is applied
                Files.writeString(file, config(rig.rx, 20));
                CliHarness.Result r = CliHarness.run("reload", "--iface", rig.rx);
                assertThat(r.code()).as("reload: %s %s; the agent said: %s", r.out(), r.err(), Files.readString(childOut)).isZero();
                assertThat(r.out()).contains("generation 0 -> 1");
                assertThat(rig.word() >>> 16).isEqualTo(1);
                assertThat(rig.info().reloads()).isEqualTo(1);
                PipelineCounters before = rig.counters();
                rig.send(AgentRig.udp("10.77.0.6", 19), 64); // passed now
                rig.send(AgentRig.udp("10.77.0.7", 20), 32); // dropped now
                PipelineCounters after = awaitPackets(rig, before.packets() + 96);
                assertThat(after.dropped(Stage.FIREWALL) - before.dropped(Stage.FIREWALL)).as("port 20 dropped by the new rule").isEqualTo(32);

                // xdpml reload: a broken file is refused, the agent is not disturbed
                Files.writeString(file, config(rig.rx, 20).replace("max-flows: 4096", "max-flows: lots"));
                r = CliHarness.run("reload", "--iface", rig.rx);
                assertThat(r.code()).isEqualTo(1);
                assertThat(r.err()).containsPattern(Pattern.quote(file.toString()) + ":\\d+: .*max-flows");
                assertThat(rig.word() >>> 16).isEqualTo(1);
                assertThat(rig.info().reloads()).isEqualTo(1);
                assertThat(rig.info().rejected()).isZero();
                assertThat(child.isAlive()).isTrue();

                // a second agent, in this process, is refused: it names the child and its pins
                Files.writeString(file, config(rig.rx, 20));
                assertThatThrownBy(() -> rig.ns.run(() -> new Agent(AgentConfigLoader.load(file), UnaryOperator.identity(), true,
                        AgentRig.extras(rig.blocksPins), rig.out)))
                        .isInstanceOf(AgentPins.TakenException.class)
                        .hasMessageContaining("pid " + pid)
                        .hasMessageContaining(AgentPins.dir(rig.rx).toString());
                assertThat(rig.attachedProgram()).hasValue(program);

                // kill -9: the kernel detaches the program with the process's last link fd
                ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
                long t0 = System.nanoTime();
                while (rig.attachedProgram().isPresent() && System.nanoTime() - t0 < 5_000_000_000L) {
                    Thread.sleep(20);
                }
                System.out.printf("agent faults: xdpml run (pid %d) killed with SIGKILL, program detached after %.2f s%n", pid,
                        (System.nanoTime() - t0) / 1e9);
                assertThat(rig.attachedProgram()).as("XDP program after kill -9").isEmpty();
                assertThat(AgentPins.dir(rig.rx).resolve("xdpml_agent")).as("stale pins").exists();
                assertThat(rig.info().alive()).isFalse();
                // a block written into the dead agent's pins would be enforced by nothing: refused, saying why
                CliHarness.Result add = CliHarness.run("blocks", "add", "--iface", rig.rx, "--pin-dir", rig.blocksPins.toString(), "203.0.113.9");
                assertThat(add.code()).as("blocks add on a dead agent's pins: %s", add.out()).isNotZero();
                assertThat(add.err()).contains("(pid " + pid + ") is no longer running: nothing enforces them");

                // the next agent takes the interface and removes the stale pins
                rig.start(file);
                assertThat(rig.output()).contains(rig.rx + ": removed stale pins of agent pid " + pid);
                assertThat(rig.attachedProgram()).isPresent();
                assertThat(rig.info().pid()).isEqualTo((int) ProcessHandle.current().pid());
                assertThat(rig.counters().packets()).as("a fresh program").isZero();
                rig.send(AgentRig.udp("10.77.0.7", 20), 32);
                assertThat(awaitPackets(rig, 32).dropped(Stage.FIREWALL)).isEqualTo(32);
                assertThat(rig.stop()).isZero();
                assertThat(rig.attachedProgram()).isEmpty();
                assertThat(AgentPins.dir(rig.rx)).doesNotExist();
                assertThat(rig.blocksPins.resolve(rig.rx)).doesNotExist();
            } finally {
                child.destroyForcibly();
                child.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Under {@code ip netns exec} the agent's pins land in a bpffs no other shell sees (the command
     * gets a fresh /sys in a mount namespace of its own): {@code xdpml run} says so, and how to avoid it.
     */
    @Test
    void underIpNetnsExecRunWarnsThatItsPinsArePrivate(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path file = dir.resolve("agent.yaml");
        Path out = dir.resolve("run.txt");
        try (AgentRig rig = new AgentRig("afn")) {
            Files.writeString(file, "interfaces: [" + rig.rx + "]\noutputs:\n  status: 0\n");
            String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process p = new ProcessBuilder("ip", "netns", "exec", rig.ns.name(), java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", cp,
                    "io.xdpml.cli.Main", "run", "--config", file.toString(), "--duration", "0.5", "--pin-dir", rig.blocksPins.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly();
            }
            String text = Files.readString(out);
            assertThat(p.exitValue()).as(text).isZero();
            assertThat(text).contains("note: no bpffs at /sys/fs/bpf in network namespace " + rig.ns.name())
                    .contains("nsenter --net=/var/run/netns/" + rig.ns.name()).contains("running on " + rig.rx);
        }
    }

    static PipelineCounters awaitPackets(AgentRig rig, long packets) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        PipelineCounters c = rig.counters();
        while (c.packets() < packets && System.nanoTime() < deadline) {
            Thread.sleep(10);
            c = rig.counters();
        }
        assertThat(c.packets()).isEqualTo(packets);
        return c;
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> l = new ArrayList<>();
        for (Iterator<String> i = n.fieldNames(); i.hasNext(); ) {
            l.add(i.next());
        }
        return l;
    }
}
