package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.ModelAction;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.agent.config.SamplingSection;
import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.DataPlaneSetup;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.Stages;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.MapLock;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.kernel.ClassifierProgram;
import java.util.List;

/**
 * The composed program of one interface as the agent's configuration wants it: which stages, their
 * constants and map sizes before load, their first configuration after load (before attach), and
 * later the same stages' reloads. One per interface; the processor loads and attaches the program.
 */
final class InterfacePipeline implements DataPlaneSetup {
    private final String iface;
    private AgentConfig config;
    private BpfObject object;
    private FirewallMaps firewall;
    private ClassifierProgram classifier;
    private DeliverySettings delivery;
    private ConfigWord word;

    InterfacePipeline(String iface, AgentConfig config) {
        this.iface = iface;
        this.config = config;
    }

    String iface() { return iface; }

    AgentConfig config() { return config; }

    /** The stages a configuration turns on (sampling and delivery included). */
    static Stages stagesOf(AgentConfig c) {
        return c.stages();
    }

    @Override
    public Stages stages() {
        return stagesOf(config);
    }

    @Override
    public int vxlanPort() {
        return config.parse().vxlanPort();
    }

    @Override
    public io.xdpml.kernel.XdpMode mode() {
        return config.interfaces().stream().filter(i -> i.name().equals(iface)).map(i -> i.mode()).findFirst()
                .orElse(io.xdpml.kernel.XdpMode.AUTO);
    }

    /** Bytes of the flow-record ring when flows are exported: about 11,400 records of 368 bytes. */
    static final int FLOW_RECORDS_EXPORTING = 4 << 20;

    @Override
    public void configure(BpfObject o) {
        AgentConfig c = config;
        o.setConstant("cfg_vxlan_port", c.parse().vxlanPort());
        if (c.blocks().enabled()) {
            o.setMaxEntries("xdpml_blocks", c.blocks().maxSources());
            o.setMaxEntries("xdpml_flow_blocks", c.blocks().maxFlows());
        }
        if (c.firewall().enabled()) {
            o.setMaxEntries("xdpml_fw_ct", c.firewall().maxConnections());
            o.setMaxEntries("xdpml_fw_ct_new", c.firewall().maxConnections()); // the unassured connections: the same capacity
            o.setMaxEntries("xdpml_fw_rate", c.firewall().maxSources());
        }
        if (c.flows().enabled()) {
            o.setMaxEntries("xdpml_flows", c.flows().maxFlows());
            o.setConstant("cfg_idle_timeout_ns", c.flows().idleTimeout().toNanos());
            o.setConstant("cfg_active_timeout_ns", c.flows().activeTimeout().toNanos());
            io.xdpml.flow.Admission.configure(o, c.flows().probationSlots(), c.flows().promotionBudget());
            // a secret drawn at every load: nobody can find offline a key that takes a known flow's
            // probation slot or escapes sampling by flow (docs/flows.md, "Admission")
            io.xdpml.flow.FlowHash.install(o, io.xdpml.flow.FlowHash.randomSeed());
            o.setConstant("cfg_coarse_clock", c.flows().coarseClock() ? 1 : 0);
            if (c.outputs().wantsFlows()) {
                o.setMaxEntries("xdpml_flow_records", FLOW_RECORDS_EXPORTING); // drained every 100 ms
            }
            if (c.sampleFlowN() > 0) {
                o.setConstant("cfg_sample_flow_n", c.sampleFlowN());
            }
        }
        if (c.cpumap().enabled()) {
            c.cpumap().spread().configure(o); // last: it reads the constants set above
        }
    }

    @Override
    public void loaded(BpfObject o) {
        object = o;
        firewall = new FirewallMaps(o::map);
        word = firewall.configWord();
        classifier = new ClassifierProgram(o);
        delivery = DeliverySettings.of(o);
        // the first configuration: the same switch as every reload, before any packet
        apply(config, Change.between(null, config), false);
    }

    BpfObject object() { return object; }

    ConfigWord word() { return word; }

    FirewallMaps firewall() { return firewall; }

    ClassifierProgram classifier() { return classifier; }

    /**
     * Applies the parts of {@code next} that {@code change} names, all in one switch of the
     * configuration word: every packet is judged wholly by the old or wholly by the new. Whatever
     * fails before the switch leaves the running state as it was (the inactive halves it wrote are
     * never read).
     */
    synchronized boolean apply(AgentConfig next, Change change, boolean reload) {
        // one writer of the configuration word across processes: `xdpml fw load` and `deploy` on this
        // interface (RunningAgent) take the same lock, or one's switch could lose the other's bit
        return MapLock.with(object.map("xdpml_fw_gen"), () -> applyLocked(next, change, reload));
    }

    /**
     * @return whether another writer had switched the word since this pipeline's last switch (or a
     *         switch of its own failed to be put back): then every stage's settings were installed
     *         anew, not only those {@code change} names
     */
    private boolean applyLocked(AgentConfig next, Change asked, boolean reload) {
        boolean outside = reload && word.generation() != appliedGeneration; // read under the lock: no switch slips in between
        Change change = outside ? asked.withInstalledStages() : asked;
        int mask = 0;
        int bits = 0;
        int fwNext = -1;
        if (change.firewall() && next.firewall().enabled()) {
            fwNext = firewall.prepare(next.firewall().rules());
            mask |= ConfigWord.FIREWALL;
            bits |= fwNext == 1 ? ConfigWord.FIREWALL : 0;
        }
        boolean model = change.model() && next.model().enabled();
        if (model) {
            try {
                int slot = classifier.slots().prepare(deployment(next));
                mask |= ConfigWord.MODEL;
                bits |= slot == 1 ? ConfigWord.MODEL : 0;
            } catch (RuntimeException e) {
                if (fwNext >= 0) {
                    firewall.removeGeneration(fwNext);
                }
                throw e;
            }
        }
        if (change.delivery()) {
            int slot = delivery.prepare(deliveryValues(next), word);
            mask |= ConfigWord.DELIVER;
            bits |= slot == 1 ? ConfigWord.DELIVER : 0;
        }
        word.flip(mask, bits, reload); // the switch, then a grace period: no packet uses the old halves after it
        if (fwNext >= 0) {
            firewall.removeGeneration(1 - fwNext);
        }
        if (model) {
            classifier.slots().flipped();
        }
        config = next;
        appliedGeneration = word.generation();
        RunningNames.of(next).write(iface);
        return outside;
    }

    /** The configuration word's generation after this pipeline's last switch. */
    private int appliedGeneration = -1;

    /**
     * What runs here is not known to be what this pipeline last installed (its switch back after a
     * failed reload failed too): the next reload installs every stage's settings anew.
     */
    synchronized void forgetInstalled() {
        appliedGeneration = -1;
    }

    static DeliverySettings.Values deliveryValues(AgentConfig c) {
        return c.deliveryValues();
    }

    static Deployment deployment(AgentConfig c) {
        return c.model().deployment();
    }

    /** What differs between two configurations, stage by stage, for a reload. */
    record Change(boolean firewall, boolean model, boolean delivery, boolean detectors, boolean mitigation, boolean outputs) {
        /** Everything, from nothing ({@code before} null). */
        static Change between(AgentConfig before, AgentConfig after) {
            if (before == null) {
                return new Change(true, true, true, true, true, true);
            }
            return new Change(!before.firewall().rules().equals(after.firewall().rules()),
                    !sameModel(before, after),
                    !deliveryValues(before).equals(deliveryValues(after)),
                    !before.detectors().equals(after.detectors()),
                    !before.mitigation().equals(after.mitigation()),
                    !before.outputs().equals(after.outputs()));
        }

        private static boolean sameModel(AgentConfig a, AgentConfig b) {
            if (a.model().enabled() != b.model().enabled()) {
                return false;
            }
            if (!a.model().enabled()) {
                return true;
            }
            return a.model().model().toJsonString().equals(b.model().model().toJsonString()) && a.model().mode().equals(b.model().mode())
                    && a.model().actionsByClass().equals(b.model().actionsByClass()) && thresholds(a).equals(thresholds(b));
        }

        /** Each class's confidence threshold, as the model slot holds it. */
        private static List<Double> thresholds(AgentConfig c) {
            return c.model().model().classes().stream().map(c.model()::minConfidenceFor).toList();
        }

        boolean any() {
            return firewall || model || delivery || detectors || mitigation || outputs;
        }

        /** This change, and every stage's settings in the kernel installed anew (another writer switched some). */
        Change withInstalledStages() {
            return new Change(true, true, true, detectors, mitigation, outputs);
        }

        /** The names of what changed, in stage order. */
        List<String> names() {
            List<String> l = new java.util.ArrayList<>();
            if (firewall) l.add("firewall");
            if (model) l.add("model");
            if (delivery) l.add("sampling/delivery");
            if (detectors) l.add("detectors");
            if (mitigation) l.add("mitigation");
            if (outputs) l.add("outputs");
            return l;
        }
    }

    /**
     * Why {@code next} cannot be applied to the running program, or null when it can: what is fixed
     * at load (the stages that are on, map sizes, timeouts, interfaces, delivery kind) needs a
     * restart.
     */
    static String restartNeeded(AgentConfig running, AgentConfig next) {
        if (!running.interfaces().equals(next.interfaces())) {
            return "the interfaces changed (" + running.interfaces() + " -> " + next.interfaces() + ")";
        }
        // CPUs left out of both files are "every online CPU" in both, whatever went on- or offline since
        if (!running.cpumap().sameSpreadAs(next.cpumap())) {
            return "cpumap changed (fixed at load)";
        }
        if (!stagesOf(running).equals(stagesOf(next))) {
            return "the stages changed (" + stagesOf(running) + " -> " + stagesOf(next) + ")";
        }
        if (!running.parse().equals(next.parse())) {
            return "parse settings changed (fixed at load)";
        }
        if (!running.blocks().equals(next.blocks())) {
            return "blocks table sizes changed (fixed at load)";
        }
        if (running.firewall().maxConnections() != next.firewall().maxConnections()
                || running.firewall().maxSources() != next.firewall().maxSources()) {
            return "firewall table sizes changed (fixed at load)";
        }
        if (!running.flows().equals(next.flows())) {
            return "flow table settings changed (fixed at load)";
        }
        if (running.sampling().by() != next.sampling().by()
                || (next.sampling().by() == SamplingSection.By.FLOW && running.sampling().every() != next.sampling().every())) {
            return "sampling by flow is fixed at load";
        }
        if (!running.delivery().to().equals(next.delivery().to()) || !running.delivery().queues().equals(next.delivery().queues())) {
            return "delivery kind or queues changed";
        }
        OutputsSection a = running.outputs();
        OutputsSection b = next.outputs();
        if (!java.util.Objects.equals(a.eve(), b.eve()) || !java.util.Objects.equals(a.ipfix(), b.ipfix())
                || !java.util.Objects.equals(a.metrics(), b.metrics()) || !java.util.Objects.equals(a.kafka(), b.kafka())) {
            return "outputs.eve, outputs.ipfix, outputs.metrics or outputs.kafka changed (opened at start)";
        }
        return null;
    }
}
