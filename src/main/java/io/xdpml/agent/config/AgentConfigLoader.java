package io.xdpml.agent.config;

import io.xdpml.processor.Delivery;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and checks the agent's YAML configuration file (docs/agent.md). Every problem is found in
 * one pass, each with its file and line; a file with any problem gives no configuration at all.
 * The firewall rules and the model file it names are read and checked here too, and come with
 * the configuration.
 */
public final class AgentConfigLoader {
    /** The sections, in data-flow order. */
    static final List<String> SECTIONS = List.of("interfaces", "cpumap", "parse", "blocks", "firewall", "flows", "model", "sampling",
            "delivery", "detectors", "mitigation", "outputs");

    private AgentConfigLoader() {}

    /**
     * @throws AgentConfigException with every problem, when there is any
     */
    public static AgentConfig load(Path file) throws AgentConfigException {
        return load(file, java.util.Set.of());
    }

    /**
     * A reload's reading: the CPUs of the running spread ({@code runningCpus}) may be named though
     * offline now. The program keeps them either way, and the kernel runs an offline CPU's cpumap
     * thread on another CPU; refusing them made every reload fail while a named CPU was offline,
     * whatever else the file changed (until 2026-12-06). A CPU the running spread does not have
     * must be online, as at start.
     *
     * @throws AgentConfigException with every problem, when there is any
     */
    public static AgentConfig load(Path file, java.util.Set<Integer> runningCpus) throws AgentConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new AgentConfigException(List.of(new ConfigProblem(file, 0, "no such file")));
        } catch (IOException e) {
            throw new AgentConfigException(List.of(new ConfigProblem(file, 0, "cannot read: " + ConfigPaths.reason(e))));
        }
        Problems problems = new Problems(file);
        YamlNode root = YamlTreeReader.read(text, problems);
        if (!(root instanceof YamlNode.Mapping)) {
            if (root != null) {
                problems.at(root.line(), "the file must be a mapping of " + String.join(", ", SECTIONS) + ", not " + root.description());
            }
            throw new AgentConfigException(problems.sorted());
        }
        AgentConfig config = read(new SectionReader("", 1, root, problems, SECTIONS), new ConfigPaths(file), file, runningCpus);
        if (!problems.isEmpty()) {
            throw new AgentConfigException(problems.sorted());
        }
        return config;
    }

    /** The configuration, or null when there are problems (then they are in {@code top.problems()}). */
    private static AgentConfig read(SectionReader top, ConfigPaths paths, Path file, java.util.Set<Integer> runningCpus) {
        List<InterfaceSpec> interfaces = InterfacesReader.read(top);

        SectionReader cpumapSection = top.section("cpumap", List.of("enabled", "cpus", "queue-size"));
        boolean cpumapOn = enabled(cpumapSection);
        CpumapSection cpumap = new CpumapSection(cpumapOn, new io.xdpml.dataplane.CpuSpread(cpus(cpumapSection, cpumapOn, runningCpus),
                (int) cpumapSection.integer("queue-size", 1, io.xdpml.dataplane.CpuSpread.MAX_QUEUE_SIZE,
                        io.xdpml.dataplane.CpuSpread.DEFAULT_QUEUE_SIZE)), cpumapSection.value("cpus") != null);

        SectionReader parseSection = top.section("parse", List.of("vxlan-port"));
        ParseSection parse = new ParseSection((int) parseSection.integer("vxlan-port", 0, 65535, ParseSection.DEFAULT_VXLAN_PORT));

        SectionReader blocksSection = top.section("blocks", List.of("enabled", "max-sources", "max-flows"));
        boolean blocksOn = blocksSection.bool("enabled", true);
        BlocksSection blocks = new BlocksSection(blocksOn, table(blocksSection, "max-sources"), table(blocksSection, "max-flows"));

        SectionReader firewallSection = top.section("firewall", FirewallSectionReader.KEYS);
        FirewallSection firewall = FirewallSectionReader.read(firewallSection, enabled(firewallSection), paths);

        SectionReader flowsSection = top.section("flows", List.of("enabled", "max-flows", "idle-timeout", "active-timeout", "admission",
                "probation-slots", "promotion-budget", "clock"));
        boolean flowsOn = enabled(flowsSection);
        int maxFlows = table(flowsSection, "max-flows");
        Duration idle = flowsSection.duration("idle-timeout", false, FlowsSection.DEFAULT_IDLE_TIMEOUT);
        int slots = probationSlots(flowsSection);
        FlowsSection flows = new FlowsSection(flowsOn, maxFlows, idle,
                flowsSection.duration("active-timeout", true, Duration.ZERO), slots,
                "coarse".equals(flowsSection.choice("clock", List.of("precise", "coarse"), "precise")),
                promotionBudget(flowsSection, maxFlows, idle, slots));

        SectionReader modelSection = top.section("model", ModelSectionReader.KEYS);
        boolean modelOn = enabled(modelSection);
        ModelSection model = ModelSectionReader.read(modelSection, modelOn, paths);

        SectionReader samplingSection = top.section("sampling", List.of("enabled", "every", "by", "dropped", "first-packets"));
        boolean samplingOn = samplingSection.bool("enabled", true);
        SamplingSection sampling = new SamplingSection(samplingOn,
                (int) samplingSection.integer("every", 1, Integer.MAX_VALUE, 1),
                SamplingSection.By.valueOf(samplingSection.choice("by", List.of("packet", "flow"), "packet").toUpperCase(Locale.ROOT)),
                samplingSection.bool("dropped", true),
                samplingSection.integer("first-packets", 0, SamplingSection.MAX_FIRST_PACKETS, SamplingSection.DEFAULT_FIRST_PACKETS));

        SectionReader deliverySection = top.section("delivery", List.of("to", "queues", "rate-cap"));
        Delivery to = Delivery.valueOf(deliverySection.choice("to", List.of("mirror", "af_xdp"), "mirror").toUpperCase(Locale.ROOT));
        DeliverySection delivery = new DeliverySection(to, queues(deliverySection),
                deliverySection.integer("rate-cap", 0, io.xdpml.dataplane.DeliverySettings.Values.MAX_RATE, 0));

        SectionReader detectorsSection = top.section("detectors", DetectorsSectionReader.KEYS);
        DetectorsSection detectors = DetectorsSectionReader.read(detectorsSection);

        SectionReader mitigationSection = top.section("mitigation", List.of("block", "measures", "measure-time", "syn-limit",
                "udp-limit", "bare-syn-drop", "never-block"));
        long[] synLimit = limit(mitigationSection, "syn-limit", "SYN",
                new long[] {MitigationSection.DEFAULT_SYN_PPS, MitigationSection.DEFAULT_SYN_BURST});
        long[] udpLimit = limit(mitigationSection, "udp-limit", "datagram", new long[] {0, 0});
        Duration block = mitigationSection.duration("block", true, Duration.ZERO);
        if (block.toNanos() % 1_000_000_000L != 0) {
            mitigationSection.problem("block", "whole seconds (a block is kept to the second), not " + Durations.format(block));
            block = Duration.ofSeconds(block.toSeconds());
        }
        MitigationSection mitigation = new MitigationSection(block, mitigationSection.bool("measures", false),
                mitigationSection.duration("measure-time", false, MitigationSection.DEFAULT_MEASURE_TIME), synLimit[0], synLimit[1],
                neverBlock(mitigationSection), udpLimit[0], udpLimit[1], mitigationSection.bool("bare-syn-drop", true));

        SectionReader outputsSection = top.section("outputs", List.of("json", "status", "eve", "ipfix", "metrics", "kafka"));
        OutputsSection outputs = OutputsReader.read(outputsSection, paths);

        // rules between sections: each at the line of the key that asks for what is missing
        Problems problems = top.problems();
        if (modelOn && !flowsOn) {
            problems.at(modelSection.lineOf("enabled"), "model needs flows (it reads flow features): " + off(flowsSection));
        }
        if (flowsOn && flows.coarseClock() && modelOn && model.model() != null) {
            List<String> times = io.xdpml.flow.FlowFeature.needingPreciseClock(model.model().inputs());
            if (!times.isEmpty()) {
                flowsSection.problem("clock", "coarse, but the model reads " + String.join(", ", times)
                        + " (times: they need clock: precise)");
            }
        }
        if (samplingOn && sampling.by() == SamplingSection.By.FLOW && !flowsOn) {
            samplingSection.problem("by", "sampling by flow needs flows (flows are chosen in the flow table): " + off(flowsSection));
        }
        if (samplingSection.has("dropped") && sampling.dropped() && to == Delivery.AF_XDP) {
            samplingSection.problem("dropped", "the model's drops can be sampled with mirror delivery only (a copy goes to Java"
                    + " and the packet is dropped; an AF_XDP socket would take the packet itself): set dropped: false, or"
                    + " delivery.to: mirror");
        }
        if (samplingSection.has("first-packets") && sampling.firstPackets() > 0 && to == Delivery.AF_XDP) {
            samplingSection.problem("first-packets", "flows' first packets can be copied to Java with mirror delivery only (an"
                    + " AF_XDP socket would take the packet itself): set first-packets: 0, or delivery.to: mirror");
        }
        if (samplingSection.has("first-packets") && sampling.firstPackets() > 0 && !flowsOn) {
            samplingSection.problem("first-packets", "flows' first packets need flows (the flow stage knows a flow's first packet): "
                    + off(flowsSection) + "; or set first-packets: 0");
        }
        if (deliverySection.has("queues") && to != Delivery.AF_XDP) {
            deliverySection.problem("queues", "queues are for af_xdp only (mirror delivery has one ring for all queues)");
        }
        if (cpumapOn && firewall.enabled() && firewall.rules().synCookies()) {
            problems.at(firewallSection.line(), "the firewall's syn-cookies cannot answer behind cpumap (line " + cpumapSection.line()
                    + "): a SYN-ACK goes back out with XDP_TX, which the kernel does not allow in a CPU's program; turn one off");
        }
        if (cpumapOn && to == Delivery.AF_XDP) {
            problems.at(deliverySection.has("to") ? deliverySection.lineOf("to") : cpumapSection.line(),
                    "delivery to af_xdp cannot run behind cpumap (line " + cpumapSection.line() + "): the pipeline then runs in a"
                    + " CPU's kernel thread, where the kernel gives every frame receive queue 0, so the sockets of delivery.queues"
                    + " cannot be fed (not supported); use delivery.to: mirror, or turn cpumap off (a NIC with several queues"
                    + " spreads by RSS instead)");
        }
        if (!mitigation.block().isZero() && !blocksOn) {
            mitigationSection.problem("block", "blocking needs the blocks stage, and blocks.enabled is false (line "
                    + blocksSection.lineOf("enabled") + ")");
        }
        if (outputs.kafka() != null && outputs.kafka().flowsTopic() != null && !flowsOn) {
            YamlNode kafka = outputsSection.value("kafka");
            YamlNode.Entry types = kafka instanceof YamlNode.Mapping m ? m.entry("types") : null;
            if (types != null) { // named by the file: a problem; by default: alerts and blocks only
                outputsSection.problems().at(types.line(), "outputs.kafka.types: exporting flows needs flows: " + off(flowsSection));
            }
            outputs = outputs.withKafka(new OutputsSection.Kafka(outputs.kafka().bootstrap(), outputs.kafka().alertsTopic(), null,
                    outputs.kafka().blocksTopic(), outputs.kafka().publishBlocks(), outputs.kafka().applyBlocks(),
                    outputs.kafka().createTopics(), outputs.kafka().host(), outputs.kafka().queue(), outputs.kafka().properties()));
        }
        if (outputs.wantsFlows() && !flowsOn) {
            outputsSection.problem(outputs.ipfix() != null ? "ipfix" : "eve", "exporting flows needs flows: " + off(flowsSection));
        }
        if (!samplingOn && !detectors.enabled().isEmpty()) {
            problems.at(samplingSection.lineOf("enabled"), "sampling is off, so no packet reaches the detectors "
                    + detectors.enabled() + ": turn sampling on or set detectors.enabled: none");
        }

        if (!problems.isEmpty() || model == null) {
            return null;
        }
        return new AgentConfig(file.toAbsolutePath().normalize(), interfaces, parse, blocks, firewall, flows, model, sampling,
                delivery, detectors, mitigation, outputs, cpumap);
    }

    /** {@code enabled}, by default true when the section is in the file and false when it is not. */
    private static boolean enabled(SectionReader s) {
        return s.bool("enabled", s.present());
    }

    private static int table(SectionReader s, String key) {
        return (int) s.integer(key, 1, Limits.MAX_TABLE, Limits.DEFAULT_TABLE);
    }

    /** {@code flows.admission} (first-packet, second-packet) and {@code flows.probation-slots}: the slots, 0 for first-packet. */
    private static int probationSlots(SectionReader flows) {
        String admission = flows.choice("admission", List.of("first-packet", "second-packet"), "first-packet");
        boolean second = "second-packet".equals(admission);
        long slots = flows.integer("probation-slots", 2, io.xdpml.flow.FlowConfig.MAX_PROBATION_SLOTS, FlowsSection.DEFAULT_PROBATION_SLOTS);
        if (flows.has("probation-slots") && !second) {
            flows.problem("probation-slots", "probation slots are used with admission: second-packet only");
            return 0;
        }
        if (Long.bitCount(slots) != 1) {
            flows.problem("probation-slots", "must be a power of two, e.g. " + Long.highestOneBit(slots));
            return 0;
        }
        return second ? (int) slots : 0;
    }

    /**
     * {@code flows.promotion-budget}: {@code auto} (the default: sized from max-flows and the idle
     * timeout), {@code off}, or promotions a second (a quarter of the table at once); with
     * {@code admission: second-packet} only.
     */
    private static io.xdpml.flow.PromotionBudget promotionBudget(SectionReader flows, int maxFlows, Duration idle, int slots) {
        YamlNode.Scalar s = flows.scalar("promotion-budget");
        if (s == null) {
            return FlowsSection.autoBudget(maxFlows, idle, slots);
        }
        if ((s.type() == YamlNode.Scalar.Type.BOOLEAN && !Boolean.parseBoolean(s.text())) || "off".equals(s.text().strip())) {
            return io.xdpml.flow.PromotionBudget.OFF; // YAML reads a bare off as false; off is true of first-packet too
        }
        if (slots == 0) {
            YamlNode.Scalar admission = flows.scalar("admission");
            if (admission == null || !"second-packet".equals(admission.text().strip())) {
                flows.problem("promotion-budget", "the promotion budget is used with admission: second-packet only");
            } // else probation-slots was refused, and said so: the budget adds no second problem
            return io.xdpml.flow.PromotionBudget.OFF;
        }
        if (s.type() == YamlNode.Scalar.Type.INTEGER) {
            long perSecond = flows.integer(s, flows.path("promotion-budget"), 1, 1_000_000_000L, 0);
            return io.xdpml.flow.PromotionBudget.of(perSecond, maxFlows);
        }
        String choice = flows.choice(s, flows.path("promotion-budget") + " (auto, off or promotions a second)", List.of("auto", "off"), "auto");
        return "off".equals(choice) ? io.xdpml.flow.PromotionBudget.OFF : FlowsSection.autoBudget(maxFlows, idle, slots);
    }

    private static String off(SectionReader flows) {
        return flows.present() ? "flows.enabled is false (line " + flows.lineOf("enabled") + ")"
                : "there is no flows section (add flows: {enabled: true})";
    }

    private static final java.util.regex.Pattern LIMIT = java.util.regex.Pattern.compile("(\\d{1,10})/s(?:\\s+burst\\s+(\\d{1,10}))?");

    /**
     * {@code mitigation.syn-limit} (the SYN limit a spoofed SYN flood's measure gets; default
     * {@link MitigationSection#DEFAULT_SYN_PPS}) and {@code mitigation.udp-limit} (the UDP limit of a
     * UDP flood without named sources; default none): {@code N/s} or {@code N/s burst M} (the burst is
     * N when not given).
     */
    private static long[] limit(SectionReader s, String key, String what, long[] otherwise) {
        YamlNode.Scalar v = s.scalar(key);
        if (v == null) {
            return otherwise;
        }
        java.util.regex.Matcher m = LIMIT.matcher(v.text().strip());
        if (v.type() != YamlNode.Scalar.Type.STRING || !m.matches()) {
            s.problem(key, "expected " + what + "s per second as N/s or N/s burst M (e.g. 20/s), not " + v.description());
            return otherwise;
        }
        long pps = Long.parseLong(m.group(1));
        long burst = m.group(2) == null ? pps : Long.parseLong(m.group(2));
        if (pps > 0 && burst == 0) {
            s.problem(key, "a burst of 0 lets no " + what + " through at any rate: give at least 1, or leave it out (the rate)");
            return otherwise;
        } else if (pps > io.xdpml.firewall.Measure.MAX_RATE || burst > io.xdpml.firewall.Measure.MAX_RATE) {
            s.problem(key, "rate and burst must be 0 to " + io.xdpml.firewall.Measure.MAX_RATE + ", not " + v.text().strip());
            return otherwise;
        }
        return new long[] {pps, burst};
    }

    /**
     * {@code cpumap.cpus}: a non-empty list of distinct CPU numbers, each online here when the
     * spread is on (or in {@code running}: see {@link #load(Path, java.util.Set)}); default: every
     * online CPU (at most {@link io.xdpml.dataplane.CpuSpread#MAX_CPUS}).
     */
    private static List<Integer> cpus(SectionReader s, boolean on, java.util.Set<Integer> running) {
        java.util.BitSet online = io.xdpml.dataplane.CpuSpread.onlineCpus();
        int max = io.xdpml.dataplane.CpuSpread.MAX_CPUS - 1;
        YamlNode value = s.value("cpus");
        if (value == null) {
            List<Integer> all = new ArrayList<>();
            if (online != null) {
                online.stream().filter(c -> c <= max).forEach(all::add);
            }
            return all.isEmpty() ? List.of(0) : all;
        }
        if (!(value instanceof YamlNode.Sequence list)) {
            s.problem("cpus", "expected a list of CPU numbers ([0, 1]), not " + value.description());
            return List.of(0);
        }
        if (list.items().isEmpty()) {
            s.problem("cpus", "the list is empty: name at least one CPU");
            return List.of(0);
        }
        List<Integer> out = new ArrayList<>();
        Map<Integer, Integer> firstLine = new HashMap<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar q)) {
                s.problems().at(item.line(), "cpumap.cpus: expected a CPU number, not " + item.description());
                continue;
            }
            long n = s.integer(q, "cpumap.cpus", 0, max, -1);
            if (n < 0) {
                continue;
            }
            Integer first = firstLine.putIfAbsent((int) n, item.line());
            if (first != null) {
                s.problems().at(item.line(), "cpumap.cpus: CPU " + n + " is listed twice (first on line " + first + ")");
            } else if (on && online != null && !online.get((int) n) && !running.contains((int) n)) {
                s.problems().at(item.line(), "cpumap.cpus: CPU " + n + " is not online on this machine (online: "
                        + online.stream().mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(",")) + ")");
            } else {
                out.add((int) n);
            }
        }
        return out.isEmpty() ? List.of(0) : out;
    }

    /** {@code mitigation.never-block}: a list of prefixes ({@code 10.0.0.0/8}, {@code 192.0.2.53}, {@code 2001:db8::/32}); default none. */
    private static List<io.xdpml.firewall.Prefix> neverBlock(SectionReader s) {
        YamlNode value = s.value("never-block");
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof YamlNode.Sequence list)) {
            s.problem("never-block", "expected a list of prefixes ([10.0.0.0/8, 192.0.2.53]), not " + value.description());
            return List.of();
        }
        List<io.xdpml.firewall.Prefix> out = new ArrayList<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar q)) {
                s.problems().at(item.line(), "mitigation.never-block: expected a prefix, not " + item.description());
                continue;
            }
            try {
                io.xdpml.firewall.Prefix p = io.xdpml.firewall.Prefix.parse(q.text());
                if (ipv4Mapped(p)) { // the sources it is held against are IPv4 addresses: it would spare none of them
                    s.problems().at(item.line(), "mitigation.never-block: '" + q.text() + "' is an IPv4-mapped IPv6 address, which"
                            + " no source is: write the IPv4 form (a.b.c.d)");
                    continue;
                }
                out.add(p);
            } catch (IllegalArgumentException e) {
                s.problems().at(item.line(), "mitigation.never-block: " + e.getMessage());
            }
        }
        return out;
    }

    /** Whether p lies within ::ffff:0:0/96 (an IPv4 host written as IPv6). */
    static boolean ipv4Mapped(io.xdpml.firewall.Prefix p) {
        byte[] a = p.address();
        if (p.family() != 6 || p.length() < 96) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /** A non-empty list of distinct queue numbers; default [0]. */
    private static List<Integer> queues(SectionReader s) {
        YamlNode value = s.value("queues");
        if (value == null) {
            return List.of(0);
        }
        if (!(value instanceof YamlNode.Sequence list)) {
            s.problem("queues", "expected a list of queue numbers ([0, 1]), not " + value.description());
            return List.of(0);
        }
        if (list.items().isEmpty()) {
            s.problem("queues", "the list is empty: name at least one queue");
            return List.of(0);
        }
        List<Integer> out = new ArrayList<>();
        Map<Integer, Integer> firstLine = new HashMap<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar q)) {
                s.problems().at(item.line(), "delivery.queues: expected a queue number, not " + item.description());
                continue;
            }
            long n = s.integer(q, "delivery.queues", 0, DeliverySection.MAX_QUEUE, -1);
            if (n < 0) {
                continue;
            }
            Integer first = firstLine.putIfAbsent((int) n, item.line());
            if (first != null) {
                s.problems().at(item.line(), "delivery.queues: queue " + n + " is listed twice (first on line " + first + ")");
            } else {
                out.add((int) n);
            }
        }
        return out.isEmpty() ? List.of(0) : out;
    }
}
