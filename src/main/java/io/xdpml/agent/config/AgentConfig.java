package io.xdpml.agent.config;

import io.xdpml.processor.Delivery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The agent's whole configuration (docs/agent.md), checked and with every default filled in: the
 * interfaces, the stages of the XDP program in their order (parse, blocks, firewall, flows, model,
 * sampling, delivery), and the Java side (detectors, mitigation, outputs). Made by
 * {@link AgentConfigLoader#load}; the {@code with...} methods give a copy with what a command line
 * flag overrides.
 *
 * @param file   the YAML file it was read from (absolute)
 * @param cpumap the CPU spread (off unless the file has a cpumap section): fixed at load, like the stages
 */
public record AgentConfig(Path file, List<InterfaceSpec> interfaces, ParseSection parse, BlocksSection blocks,
                          FirewallSection firewall, FlowsSection flows, ModelSection model, SamplingSection sampling,
                          DeliverySection delivery, DetectorsSection detectors, MitigationSection mitigation,
                          OutputsSection outputs, CpumapSection cpumap) {
    public AgentConfig {
        Objects.requireNonNull(file);
        interfaces = List.copyOf(interfaces);
        if (interfaces.isEmpty()) {
            throw new IllegalArgumentException("at least one interface");
        }
        if (new HashSet<>(interfaces.stream().map(InterfaceSpec::name).toList()).size() != interfaces.size()) {
            throw new IllegalArgumentException("an interface is named twice: " + interfaces);
        }
        Objects.requireNonNull(parse);
        Objects.requireNonNull(blocks);
        Objects.requireNonNull(firewall);
        Objects.requireNonNull(flows);
        Objects.requireNonNull(model);
        Objects.requireNonNull(sampling);
        Objects.requireNonNull(delivery);
        Objects.requireNonNull(detectors);
        Objects.requireNonNull(mitigation);
        Objects.requireNonNull(outputs);
        Objects.requireNonNull(cpumap);
    }

    /** Without the CPU spread (it is off unless the file has a cpumap section). */
    public AgentConfig(Path file, List<InterfaceSpec> interfaces, ParseSection parse, BlocksSection blocks, FirewallSection firewall,
                       FlowsSection flows, ModelSection model, SamplingSection sampling, DeliverySection delivery,
                       DetectorsSection detectors, MitigationSection mitigation, OutputsSection outputs) {
        this(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery, detectors, mitigation, outputs,
                CpumapSection.defaults());
    }

    /**
     * The configuration of a file that says nothing but these interfaces: every section's default
     * (blocks and sampling of every packet on, mirror delivery, the usual detectors). For
     * {@code xdpml run} without --config, whose flags then say the rest.
     *
     * @param file what the configuration says it came from
     */
    public static AgentConfig defaults(Path file, List<InterfaceSpec> interfaces) {
        return new AgentConfig(file, interfaces, ParseSection.defaults(), BlocksSection.defaults(), FirewallSection.defaults(),
                FlowsSection.defaults(), ModelSection.defaults(), SamplingSection.defaults(), DeliverySection.defaults(),
                DetectorsSection.defaults(), MitigationSection.defaults(), OutputsSection.defaults());
    }

    /**
     * One line per part, in data-flow order: "interfaces: ...", then "stage: on (settings)" or
     * "stage: off" for each stage, then the detectors, mitigation and outputs.
     */
    /** The stages of the XDP program this configuration turns on (sampling and delivery included). */
    public io.xdpml.dataplane.Stages stages() {
        io.xdpml.dataplane.Stages.Sampling by = !sampling.enabled() ? io.xdpml.dataplane.Stages.Sampling.NONE
                : sampling.by() == SamplingSection.By.FLOW ? io.xdpml.dataplane.Stages.Sampling.BY_FLOW
                : io.xdpml.dataplane.Stages.Sampling.BY_PACKET;
        return io.xdpml.dataplane.Stages.none().withBlocks(blocks.enabled()).withFirewall(firewall.enabled()).withFlow(flows.enabled())
                .withModel(model.enabled()).withSampling(by, delivery.to() == Delivery.MIRROR);
    }

    /** The deliver stage's settings: 1 in N by packet (1 when sampling is by flow: the flow stage chose), the rate cap. */
    public io.xdpml.dataplane.DeliverySettings.Values deliveryValues() {
        int every = sampling.enabled() && sampling.by() == SamplingSection.By.PACKET ? sampling.every() : 1;
        return new io.xdpml.dataplane.DeliverySettings.Values(every, delivery.rateCap(), 0, samplesDropped(), firstPacketsPps());
    }

    /**
     * Flows' first packets per second per CPU copied to Java besides the sample (sampling.first-packets):
     * 0 unless sampling, flows and mirror delivery are on (the flow stage knows a flow's first packet; an
     * AF_XDP socket would take the packet itself) and sampling does not already send every packet.
     */
    public long firstPacketsPps() {
        boolean everyPacket = sampling.every() == 1; // by packet, or every flow chosen
        return sampling.enabled() && !everyPacket && flows.enabled() && delivery.to() == Delivery.MIRROR ? sampling.firstPackets() : 0;
    }

    /**
     * Whether the packets the model drops are sampled too: asked for (sampling.dropped, on by
     * default) and possible, which needs a model and mirror delivery (a copy goes to Java and the
     * packet is dropped; an AF_XDP socket would take the packet itself).
     */
    public boolean samplesDropped() {
        return sampling.enabled() && sampling.dropped() && (model.enabled() || samplesFirewallDrops()) && delivery.to() == Delivery.MIRROR;
    }

    /**
     * Whether the firewall limits' drops are sampled too (since 2026-12-07): {@link #samplesDropped} with the
     * firewall on and sampling by packet (a drop in the firewall has no flow, so none is sampled by flow).
     */
    public boolean samplesFirewallDrops() {
        return sampling.enabled() && sampling.dropped() && firewall.enabled() && sampling.by() == SamplingSection.By.PACKET
                && delivery.to() == Delivery.MIRROR;
    }

    /** 1 in N flows sampled by key hash in the flow stage; 0 when sampling is not by flow. */
    public int sampleFlowN() {
        return sampling.enabled() && sampling.by() == SamplingSection.By.FLOW ? sampling.every() : 0;
    }

    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("interfaces: " + interfaces.stream().map(InterfaceSpec::toString).collect(Collectors.joining(", ")));
        lines.add(cpumap.describe());
        lines.add(parse.describe());
        lines.add(blocks.describe());
        lines.add(firewall.describe());
        lines.add(flows.describe());
        lines.add(model.describe());
        lines.add(sampling.describe(samplesDropped() && model.enabled(), samplesFirewallDrops(), firstPacketsPps()));
        lines.add(delivery.describe());
        lines.add(detectors.describe(sampling, firstPacketsPps()));
        lines.add(mitigation.describe());
        lines.add(outputs.describe());
        return lines;
    }

    // ------------------------------------------------------------ what command line flags override

    /** These interfaces instead (--iface). */
    public AgentConfig withInterfaces(List<InterfaceSpec> list) {
        return new AgentConfig(file, list, parse, blocks, firewall, flows, model, sampling, delivery, detectors, mitigation, outputs, cpumap);
    }

    /** 1-in-{@code n} sampling, turned on (--sample). */
    public AgentConfig withSamplingEvery(int n) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling.withEvery(n), delivery, detectors,
                mitigation, outputs, cpumap);
    }

    /** The CPU spread instead (the tests, the benchmarks). */
    public AgentConfig withCpumap(CpumapSection c) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery, detectors, mitigation, outputs, c);
    }

    /** --delivery. */
    public AgentConfig withDeliveryTo(Delivery to) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery.withTo(to), detectors,
                mitigation, outputs, cpumap);
    }

    /** --queues. */
    public AgentConfig withQueues(List<Integer> queues) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery.withQueues(queues),
                detectors, mitigation, outputs, cpumap);
    }

    /** --detectors: names, or "all"; an empty list runs none. */
    public AgentConfig withDetectorsEnabled(List<String> names) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery,
                detectors.withEnabled(names), mitigation, outputs, cpumap);
    }

    /** --window. */
    public AgentConfig withWindow(Duration window) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery,
                detectors.withWindow(window), mitigation, outputs, cpumap);
    }

    /** --early. */
    public AgentConfig withEarly(Duration early) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery,
                detectors.withEarly(early), mitigation, outputs, cpumap);
    }

    /** --set: {@code detector.parameter=value} entries after the file's (later ones win). */
    public AgentConfig withDetectorSettingsAdded(List<String> settings) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery,
                detectors.plusSettings(settings), mitigation, outputs, cpumap);
    }

    /** These detector settings instead of the file's. */
    public AgentConfig withDetectorSettings(List<String> settings) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery,
                detectors.withSettings(settings), mitigation, outputs, cpumap);
    }

    /** --block: how long named sources are blocked; zero: not at all. */
    public AgentConfig withBlock(Duration block) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery, detectors,
                mitigation.withBlock(block), outputs, cpumap);
    }

    /** --json-out; null: none. */
    public AgentConfig withJsonOutput(Path json) {
        return withOutputs(outputs.withJson(json));
    }

    /** The same configuration with the flows stage on (its other settings as they are). */
    public AgentConfig withFlowsOn() {
        return new AgentConfig(file, interfaces, parse, blocks, firewall,
                new FlowsSection(true, flows.maxFlows(), flows.idleTimeout(), flows.activeTimeout(), flows.probationSlots(), flows.coarseClock(), flows.promotionBudget()), model, sampling, delivery,
                detectors, mitigation, outputs, cpumap);
    }

    /** The same configuration writing {@code o} (the run flags --eve, --ipfix, --metrics). */
    public AgentConfig withOutputs(OutputsSection o) {
        return new AgentConfig(file, interfaces, parse, blocks, firewall, flows, model, sampling, delivery, detectors, mitigation, o, cpumap);
    }
}
