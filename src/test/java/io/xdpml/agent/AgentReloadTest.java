package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.kernel.BpfMap;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.kernel.ModelSlots;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads of the agent under traffic are atomic and lose nothing, and a bad reload changes
 * nothing. The agent runs on a veth end with blocks, firewall, flows, a model and sampling to the
 * mirror ring; frames of two kinds flow into it without pause: X (UDP to port 1000) and Y (UDP to
 * port 2000). Two configurations judge them oppositely:
 * <ul>
 * <li>A: the firewall drops UDP port 2000 (Y); the model (one tree on the responder's port: low
 * &lt;= 1500 &lt; high) passes low (X) and drops high (Y);</li>
 * <li>B: the firewall drops UDP port 1000 (X); the model drops low (X) and passes high (Y).</li>
 * </ul>
 * In either configuration the firewall already dropped what the model would drop, so the model
 * stage drops nothing. A packet judged by one configuration's firewall and the other's model is
 * dropped by the model stage: the kernel's own counter {@code dropped[model]} counts mixed
 * judgments. A control run that switches the firewall and the model with two separate updates of
 * the configuration word shows the counter does see them.
 */
class AgentReloadTest {
    static final int X_PORT = 1000;
    static final int Y_PORT = 2000;
    static final int RELOADS = 100;

    /** Configuration A ({@code a}) or B on {@code iface}. */
    static String config(String iface, boolean a, int maxFlows) {
        return """
                interfaces: [%s]
                blocks:
                  enabled: true
                firewall:
                  rules: |
                    default pass
                    rule drop udp port %d
                flows:
                  max-flows: %d
                model:
                  file: model.json
                  mode: packet
                  actions: {low: %s, high: %s}
                sampling:
                  every: %d
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan, synflood]
                  window: 1s
                outputs:
                  status: 0
                """.formatted(iface, a ? Y_PORT : X_PORT, maxFlows, a ? "pass" : "drop", a ? "drop" : "pass", a ? 10 : 11);
    }

    static final byte[] X = AgentRig.udp("10.77.0.1", X_PORT);
    static final byte[] Y = AgentRig.udp("10.77.0.1", Y_PORT);

    /** The model's counters, read through the pins. */
    static ModelStats modelStats(AgentPins.Opened o) {
        long[] all = o.map("xdpml_model_stats").sumPerCpuLongs(0);
        int n = ModelCounter.SLOTS;
        int k = ModelStats.CLASSES;
        return new ModelStats(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, n + k), Arrays.copyOfRange(all, n + k, n + 2 * k));
    }

    /** Waits until the agent has counted {@code reloads} reloads; returns its info then. */
    static AgentInfo awaitReloads(AgentPins.Opened o, AgentRig rig, int reloads) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        AgentInfo info = o.info();
        while (info.reloads() < reloads) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agent did not reload (" + info + "); its output:\n" + rig.output());
            }
            Thread.sleep(1);
            info = o.info();
        }
        return info;
    }

    /** Waits until the program has counted {@code sent} packets (live frames reach it in the peer's NAPI, just after the send). */
    static PipelineCounters awaitPackets(AgentRig rig, long sent) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        PipelineCounters c = rig.counters();
        while (c.packets() < sent && System.nanoTime() < deadline) {
            Thread.sleep(10);
            c = rig.counters();
        }
        return c;
    }

    @Test
    void hundredReloadsUnderTrafficAreAtomicAndLoseNothing(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("arl")) {
            AgentRig.writeAtomically(file, config(rig.rx, true, 4096));
            Agent agent = rig.start(file);
            try (AgentPins.Opened pins = AgentPins.open(rig.rx)) {
                ConfigWord word = new ConfigWord(pins.map("xdpml_fw_gen"), pins.map("xdpml_fw_sync"));
                int generation0 = word.generation();
                assertThat(pins.info().reloads()).isZero();
                long started = System.nanoTime();
                long sent;
                long sentX;
                long sentY;
                try (AgentRig.Traffic traffic = rig.traffic(X, Y, 16, 300)) { // ~9,600 frames/s
                    Thread.sleep(300);
                    for (int i = 0; i < RELOADS; i++) {
                        boolean a = i % 2 == 1; // B, A, B, ... : the 100th is A
                        AgentRig.writeAtomically(file, config(rig.rx, a, 4096));
                        agent.requestReload();
                        AgentInfo info = awaitReloads(pins, rig, i + 1);
                        assertThat(info.rejected()).as("reload %d rejected; agent output:%n%s", i + 1, rig.output()).isZero();
                    }
                    Thread.sleep(300);
                    traffic.close();
                    sent = traffic.sent();
                    sentX = traffic.sentX();
                    sentY = traffic.sentY();
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                PipelineCounters c = awaitPackets(rig, sent);
                ModelStats m = modelStats(pins);
                long[] fw = new FirewallMaps(pins::map).counters();
                long low = m.classPackets(0);
                long high = m.classPackets(1);
                AgentInfo info = pins.info();
                System.out.printf("agent reload test: %d reloads in %.1f s, %d frames sent (X %d, Y %d), %d reached the program; "
                        + "firewall dropped %d, model passed X (A) %d and Y (B) %d, mixed judgments (model drops) %d, generation %d -> %d%n",
                        RELOADS, seconds, sent, sentX, sentY, c.packets(), c.dropped(Stage.FIREWALL), low, high, c.dropped(Stage.MODEL),
                        generation0, word.generation());

                assertThat(c.dropped(Stage.MODEL)).as("packets judged by one configuration's firewall and the other's model").isZero();
                assertThat(c.packets()).as("every frame sent reached the program (no packet lost)").isEqualTo(sent);
                assertThat(c.tailCallFailed()).isZero();
                assertThat(c.dropped(Stage.BLOCKS)).isZero();
                // every packet: dropped by the firewall (X under B, Y under A), or classified and passed (X under A, Y under B)
                assertThat(c.dropped(Stage.FIREWALL) + low + high).as("firewall drops + model passes").isEqualTo(sent);
                assertThat(c.action(2)).as("XDP_PASS at the end").isEqualTo(low + high);
                assertThat(m.counter(ModelCounter.CLASSIFIED)).isEqualTo(low + high);
                assertThat(m.counter(ModelCounter.GAVE_UP)).isZero();
                assertThat(fw[FirewallCounter.DROP_RULE.id()]).as("firewall drops by rule").isEqualTo(c.dropped(Stage.FIREWALL));
                assertThat(fw[FirewallCounter.PASS_DEFAULT.id()]).as("firewall passes").isEqualTo(low + high);
                assertThat(low).as("X passed under A").isPositive().isLessThan(sentX);
                assertThat(high).as("Y passed under B").isPositive().isLessThan(sentY);
                assertThat(c.dropped(Stage.FIREWALL) - (sentX - low)).as("Y dropped by A's firewall").isEqualTo(sentY - high);

                assertThat(word.generation() - generation0).as("configuration generations").isEqualTo(RELOADS);
                assertThat(info.reloads()).isEqualTo(RELOADS);
                assertThat(info.rejected()).isZero();
                assertThat(rig.output().lines().filter(l -> l.startsWith("reloaded ")).count()).isEqualTo(RELOADS);
                assertThat(rig.output()).contains("changed firewall, model, sampling/delivery");

                // the last file (A) is what judges now: X passes, Y is dropped by the firewall
                rig.send(X, 640);
                rig.send(Y, 640);
                PipelineCounters after = awaitPackets(rig, sent + 1280);
                ModelStats m2 = modelStats(pins);
                assertThat(after.packets()).isEqualTo(sent + 1280);
                assertThat(m2.classPackets(0) - low).as("X classified low and passed (A)").isEqualTo(640);
                assertThat(m2.classPackets(1) - high).as("Y never reached the model (A's firewall)").isZero();
                assertThat(after.dropped(Stage.FIREWALL) - c.dropped(Stage.FIREWALL)).isEqualTo(640);
                assertThat(after.dropped(Stage.MODEL)).isZero();

                // the control, on the same agent and traffic: the same switches in two steps are caught
                twoStepSwitchesAreCaught(rig, pins, dir, after);
            }
        }
    }

    /** The rules' texts `xdpml status` shows for the agent's firewall, in slot order. */
    @SuppressWarnings("unchecked")
    static List<String> statusRules(AgentRig rig) {
        Map<String, Object> fw = AgentVethTest.stage(StatusReport.of(rig.rx), Stage.FIREWALL);
        return ((List<Map<String, Object>>) fw.get("rules")).stream().map(r -> String.valueOf(r.get("rule"))).toList();
    }

    /** Everything a reload may touch, as text: equal before and after means nothing changed. */
    static String snapshot(AgentPins.Opened o) {
        StringBuilder b = new StringBuilder();
        ConfigWord word = new ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync"));
        FirewallMaps fw = new FirewallMaps(o::map);
        b.append("word ").append(Integer.toHexString(word.read())).append('\n');
        b.append("firewall generation ").append(fw.activeGeneration()).append('\n');
        try (Arena a = Arena.ofConfined()) {
            b.append("firewall config ").append(HexFormat.of().formatHex(fw.activeConfig(a).toArray(ValueLayout.JAVA_BYTE))).append('\n');
            for (String slot : List.of("xdpml_models", "xdpml_deliver_config")) {
                BpfMap m = o.map(slot);
                for (int i = 0; i < 2; i++) {
                    MemorySegment v = a.allocate(m.valueSize(), 8);
                    m.lookup(i, v);
                    b.append(slot).append('[').append(i).append("] ").append(Arrays.hashCode(v.toArray(ValueLayout.JAVA_BYTE))).append('\n');
                }
            }
        }
        b.append("firewall lists ").append(fw.activeListEntries().stream().sorted().toList()).append('\n');
        b.append("firewall rule entries ").append(fw.activeRuleEntries()).append(", all ").append(fw.rules().keys().size()).append('\n');
        b.append("firewall counters ").append(Arrays.toString(fw.counters())).append('\n');
        b.append("rule hits ").append(Arrays.toString(fw.ruleHits(1))).append('\n');
        b.append("pipeline ").append(PipelineCounters.of(o.map("xdpml_pipeline_stats").sumPerCpuLongs(0))).append('\n');
        b.append("model ").append(modelStats(o)).append('\n');
        b.append("deliver ").append(Arrays.toString(o.map("xdpml_xsk_counters").sumPerCpuLongs(0))).append('\n');
        return b.toString();
    }

    @Test
    void aBadReloadIsRejectedWholeAndChangesNothing(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("arb")) {
            AgentRig.writeAtomically(file, config(rig.rx, true, 4096));
            Agent agent = rig.start(file);
            try (AgentPins.Opened pins = AgentPins.open(rig.rx)) {
                // two good reloads first (to B, back to A): both halves of every stage have been written
                AgentRig.writeAtomically(file, config(rig.rx, false, 4096));
                agent.requestReload();
                awaitReloads(pins, rig, 1);
                AgentRig.writeAtomically(file, config(rig.rx, true, 4096));
                agent.requestReload();
                awaitReloads(pins, rig, 2);
                rig.send(X, 320);
                rig.send(Y, 320);
                awaitPackets(rig, 640);
                String before = snapshot(pins);
                int generation = new ConfigWord(pins.map("xdpml_fw_gen"), pins.map("xdpml_fw_sync")).generation();

                // 1. a syntax error
                String broken = config(rig.rx, false, 4096).replace("  every: 11", "  every: [11");
                AgentRig.writeAtomically(file, broken);
                agent.requestReload();
                AgentInfo info = awaitReloads(pins, rig, 3);
                assertThat(info.rejected()).isEqualTo(1);
                assertThat(snapshot(pins)).as("after a file with a syntax error").isEqualTo(before);
                assertThat(rig.output()).contains("reload rejected: 1 problem").containsPattern(java.util.regex.Pattern.quote(file.toString()) + ":\\d+: ");

                // 2. a good file otherwise (B), but a setting fixed at load changed
                AgentRig.writeAtomically(file, config(rig.rx, false, 8192));
                agent.requestReload();
                info = awaitReloads(pins, rig, 4);
                assertThat(info.rejected()).isEqualTo(2);
                assertThat(snapshot(pins)).as("after a file changing flows.max-flows").isEqualTo(before);
                assertThat(rig.output()).contains("reload rejected: flow table settings changed (fixed at load)");
                assertThat(new ConfigWord(pins.map("xdpml_fw_gen"), pins.map("xdpml_fw_sync")).generation()).isEqualTo(generation);
                assertThat(agent.config().flows().maxFlows()).isEqualTo(4096);
                assertThat(agent.config().model().actionsByClass().toString()).contains("PASS, DROP");
                assertThat(info.reloads()).isEqualTo(4);
                assertThat(info.firewallRules()).isEqualTo(1);
                assertThat(info.modelClasses()).isEqualTo(2);
                assertThat(statusRules(rig)).as("status names what runs (A's rule), not the rejected file's (B's)")
                        .containsExactly("rule drop udp from any to any port " + Y_PORT);

                // the same two files rejected again while traffic flows: every packet is judged by A throughout
                ModelStats m0 = modelStats(pins);
                PipelineCounters c0 = rig.counters();
                long sentX;
                long sentY;
                try (AgentRig.Traffic traffic = rig.traffic(X, Y, 16, 300)) {
                    Thread.sleep(200);
                    AgentRig.writeAtomically(file, broken);
                    agent.requestReload();
                    awaitReloads(pins, rig, 5);
                    Thread.sleep(100);
                    AgentRig.writeAtomically(file, config(rig.rx, false, 8192));
                    agent.requestReload();
                    info = awaitReloads(pins, rig, 6);
                    Thread.sleep(200);
                    traffic.close();
                    sentX = traffic.sentX();
                    sentY = traffic.sentY();
                }
                PipelineCounters c1 = awaitPackets(rig, c0.packets() + sentX + sentY);
                ModelStats m1 = modelStats(pins);
                assertThat(info.rejected()).isEqualTo(4);
                assertThat(c1.packets() - c0.packets()).isEqualTo(sentX + sentY);
                assertThat(m1.classPackets(0) - m0.classPackets(0)).as("X passed by A's firewall, classified low").isEqualTo(sentX);
                assertThat(m1.classPackets(1) - m0.classPackets(1)).as("Y dropped by A's firewall").isZero();
                assertThat(c1.dropped(Stage.FIREWALL) - c0.dropped(Stage.FIREWALL)).isEqualTo(sentY);
                assertThat(c1.dropped(Stage.MODEL)).isZero();
                assertThat(new ConfigWord(pins.map("xdpml_fw_gen"), pins.map("xdpml_fw_sync")).generation()).isEqualTo(generation);

                // a good reload to a policy that drops every VXLAN tunnel: taken, and said, as at attach
                assertThat(rig.output()).doesNotContain("passes no UDP to the VXLAN port");
                AgentRig.writeAtomically(file, config(rig.rx, true, 4096).replace("default pass", "default drop"));
                agent.requestReload();
                info = awaitReloads(pins, rig, 7);
                assertThat(info.rejected()).isEqualTo(4);
                assertThat(rig.output()).contains(rig.rx + ": firewall: the policy passes no UDP to the VXLAN port 4789");

                // rules put in by another writer (xdpml fw load on the agent's interface): the next reload, of the
                // unchanged file, puts the file's back (until 2026-12-05 it said "nothing changed" and kept them)
                FirewallMaps fw = new FirewallMaps(pins::map);
                long fileRules = fw.activeRuleEntries();
                Path other = dir.resolve("other.fw");
                Files.writeString(other, "default pass\nrule drop udp port 1\nrule drop udp port 2\nrule drop udp port 3\n");
                io.xdpml.cli.CliHarness.Result load = io.xdpml.cli.CliHarness.run("fw", "load", other.toString(), "--iface", rig.rx);
                assertThat(load.code()).as("fw load: %s", load).isZero();
                assertThat(fw.activeRuleEntries()).as("fw load's rules run").isNotEqualTo(fileRules);
                assertThat(statusRules(rig)).as("status names fw load's rules").hasSize(3).last().asString().contains("port 3");
                agent.requestReload();
                info = awaitReloads(pins, rig, 8);
                assertThat(info.rejected()).isEqualTo(4);
                assertThat(fw.activeRuleEntries()).as("the file's rules again").isEqualTo(fileRules);
                assertThat(statusRules(rig)).containsExactly("rule drop udp from any to any port " + Y_PORT);
                assertThat(rig.output()).contains("put back over another writer's");

                // a detections file that cannot be opened rejects the reload before anything switches
                String snap = snapshot(pins);
                Path nowhere = dir.resolve("no-such-dir").resolve("detections.jsonl");
                AgentRig.writeAtomically(file, config(rig.rx, false, 4096).replace("  status: 0", "  status: 0\n  json: " + nowhere));
                agent.requestReload();
                info = awaitReloads(pins, rig, 9);
                assertThat(info.rejected()).isEqualTo(5);
                assertThat(rig.output()).contains("reload rejected: cannot open outputs.json " + nowhere);
                assertThat(snapshot(pins)).as("after a file whose outputs.json cannot be opened").isEqualTo(snap);
                System.out.printf("agent bad reload test: 4 reloads rejected (syntax error; flows.max-flows changed; both again under "
                        + "traffic: %d X passed, %d Y dropped by A's firewall), generation %d kept%n", sentX, sentY, generation);
            }
        }
    }

    /**
     * The control: the same traffic, the same two configurations, but switched as a careless
     * reload would: the firewall's bit with one update of the configuration word, the model's with
     * another a few milliseconds later (through the agent's pinned maps, as another process could).
     * Packets in between are judged by a mix, and the model stage drops them: the counter the
     * reload test holds at zero does see a non-atomic switch.
     */
    static void twoStepSwitchesAreCaught(AgentRig rig, AgentPins.Opened pins, Path dir, PipelineCounters before) throws Exception {
        Path fileA = dir.resolve("a.yaml");
        Path fileB = dir.resolve("b.yaml");
        AgentRig.writeAtomically(fileA, config(rig.rx, true, 4096));
        AgentRig.writeAtomically(fileB, config(rig.rx, false, 4096));
        AgentConfig a = AgentConfigLoader.load(fileA);
        AgentConfig b = AgentConfigLoader.load(fileB);
        Deployment da = InterfacePipeline.deployment(a);
        Deployment db = InterfacePipeline.deployment(b);
        int swaps = 40;
        long sent;
        FirewallMaps fw = new FirewallMaps(pins::map);
        ConfigWord word = fw.configWord();
        try (ModelSlots slots = new ModelSlots(pins.map("xdpml_models"), word)) {
            try (AgentRig.Traffic traffic = rig.traffic(X, Y, 16, 300)) {
                Thread.sleep(200);
                for (int i = 0; i < swaps; i++) {
                    boolean toB = i % 2 == 0; // A is in force: B, A, B, ...
                    int g = fw.prepare((toB ? b : a).firewall().rules());
                    int slot = slots.prepare(toB ? db : da);
                    word.flip(ConfigWord.FIREWALL, g, true); // the firewall first ...
                    Thread.sleep(5);
                    word.flip(ConfigWord.MODEL, slot == 1 ? ConfigWord.MODEL : 0, false); // ... the model later
                    slots.flipped();
                    fw.removeGeneration(1 - g);
                    Thread.sleep(5);
                }
                Thread.sleep(200);
                traffic.close();
                sent = traffic.sent();
            }
        }
        PipelineCounters c = awaitPackets(rig, before.packets() + sent);
        long mixed = c.dropped(Stage.MODEL) - before.dropped(Stage.MODEL);
        System.out.printf("agent reload control: %d two-step switches, %d frames sent, %d reached the program, "
                + "mixed judgments (model drops) %d%n", swaps, sent, c.packets() - before.packets(), mixed);
        assertThat(c.packets() - before.packets()).isEqualTo(sent);
        assertThat(mixed).as("packets judged by one configuration's firewall and the other's model, switched in two steps").isPositive();
    }
}
