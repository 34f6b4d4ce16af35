package io.xdpml.agent;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.flow.FlowFeature;
import io.xdpml.kernel.MapLock;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.ModelSlots;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A running agent's pipeline as another command sees it (through the pins): for {@code xdpml fw},
 * {@code deploy} and {@code blocks}, which act on the agent's program when one runs on the
 * interface instead of attaching their own (an interface takes one XDP program). What they change
 * goes through the same switch as the agent's reloads; the agent's file keeps its own settings,
 * which its next reload puts back.
 */
public final class RunningAgent implements AutoCloseable {
    private final AgentPins.Opened pins;
    private final AgentInfo info;

    private RunningAgent(AgentPins.Opened pins) {
        this.pins = pins;
        this.info = pins.info();
    }

    /** The live agent on {@code iface}, if one runs there. */
    public static Optional<RunningAgent> on(String iface) {
        if (iface == null || !AgentPins.interfaces().contains(iface)) {
            return Optional.empty();
        }
        AgentPins.Opened o = AgentPins.open(iface);
        RunningAgent a = new RunningAgent(o);
        if (!a.info.alive()) {
            o.close();
            return Optional.empty();
        }
        return Optional.of(a);
    }

    /**
     * The pid of the agent that pinned the blocks map pinned at {@code blocksPin} on {@code iface},
     * when that agent is no longer running (killed with -9: the kernel detached its program, its
     * pins stay until the next agent): nothing enforces what is written there. Empty otherwise.
     */
    public static java.util.OptionalLong deadOwner(String iface, Path blocksPin) {
        if (iface == null || !AgentPins.interfaces().contains(iface) || !java.nio.file.Files.exists(blocksPin)) {
            return java.util.OptionalLong.empty();
        }
        try (AgentPins.Opened o = AgentPins.open(iface); io.xdpml.kernel.BpfMap pinned = io.xdpml.kernel.BpfMap.openPinned(blocksPin)) {
            AgentInfo i = o.info();
            boolean same = o.has("xdpml_blocks") && o.map("xdpml_blocks").id() == pinned.id();
            return !i.alive() && same ? java.util.OptionalLong.of(i.pid()) : java.util.OptionalLong.empty();
        } catch (RuntimeException e) {
            return java.util.OptionalLong.empty();
        }
    }

    public AgentInfo info() { return info; }

    public String iface() { return pins.iface(); }

    /** "the running agent on IF (pid N)". */
    public String describe() {
        return "the running agent on " + pins.iface() + " (pid " + info.pid() + ", pins " + AgentPins.dir(pins.iface()) + ")";
    }

    public boolean has(Stage s) {
        return (info.stages() & (1 << s.ordinal())) != 0;
    }

    private void require(Stage s) {
        if (!has(s)) {
            throw new IllegalStateException(describe() + " has no " + s.key() + " stage: turn it on in its file ("
                    + info.config() + ") and restart it");
        }
    }

    /** The firewall stage's maps. */
    /**
     * Whether the agent's program spreads packets over CPUs (cpumap), read from its pinned maps:
     * what runs, whatever its file says now (until 2026-12-06 the file was read: edited since, or
     * unreadable, it could say otherwise).
     */
    public boolean spreadsOverCpus() {
        return io.xdpml.dataplane.CpuSpread.running(pins::map) != null;
    }

    public FirewallMaps firewall() {
        require(Stage.FIREWALL);
        return new FirewallMaps(pins::map);
    }

    /** Makes {@code c} the agent's firewall configuration (one switch, counted as a new generation). */
    public int installFirewall(FirewallConfig c) {
        FirewallMaps m = firewall();
        return MapLock.with(pins.map("xdpml_fw_gen"), () -> { // the agent's reloads take the same lock
            int next = m.prepare(c);
            int word = m.configWord().flip(ConfigWord.FIREWALL, next, true);
            m.removeGeneration(1 - next);
            info.withFirewallRules(c.rules().size()).write(pins.map(AgentPins.INFO));
            RunningNames.orElse(new RunningNames(c.rules().stream().map(Object::toString).toList(), null, null),
                    RunningNames.read(pins.iface())).write(pins.iface());
            return word >>> 16;
        });
    }

    /**
     * Makes {@code d}, model {@code m} of {@code file}, the agent's model (one switch, counted as a
     * new generation). Refused, nothing changed, when the agent reads the coarse clock and the
     * model reads a time (as the agent refuses it at start and reload; since 2026-12-06).
     */
    public int deployModel(ModelFile m, Deployment d, Path file) {
        require(Stage.MODEL);
        List<String> times = info.coarseClock() ? FlowFeature.needingPreciseClock(m.inputs()) : List.of();
        if (!times.isEmpty()) {
            throw new IllegalArgumentException(describe() + " reads the coarse clock (flows.clock: coarse"
                    + (info.config() != null ? " in " + info.config() : "") + "), but " + file + " reads " + String.join(", ", times) + " (times: they need clock: precise); nothing"
                    + " deployed. The clock is fixed at load: set flows.clock: precise in its file and restart the agent, or"
                    + " deploy a model without times");
        }
        ConfigWord word = new ConfigWord(pins.map("xdpml_fw_gen"), pins.map("xdpml_fw_sync"));
        try (ModelSlots slots = new ModelSlots(pins.map("xdpml_models"), word)) {
            return MapLock.with(pins.map("xdpml_fw_gen"), () -> { // the agent's reloads take the same lock
                int slot = slots.prepare(d);
                int w = word.flip(ConfigWord.MODEL, slot == 1 ? ConfigWord.MODEL : 0, true);
                info.withModelClasses(d.model().classCount()).write(pins.map(AgentPins.INFO));
                RunningNames.orElse(new RunningNames(null, m.classes(), file.toAbsolutePath().toString()), RunningNames.read(pins.iface()))
                        .write(pins.iface());
                return w >>> 16;
            });
        }
    }

    @Override
    public void close() {
        pins.close();
    }
}
