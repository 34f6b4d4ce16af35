package io.xdpml.cli;

import io.xdpml.agent.Agent;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigException;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.ConfigCheck;
import io.xdpml.agent.config.InterfaceSpec;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.XdpMode;
import io.xdpml.output.Endpoint;
import io.xdpml.processor.Delivery;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code xdpml run}: the agent: one composed XDP program per interface, detectors, mitigation, reloads. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run the agent: one XDP program per interface (blocks, firewall, flows, model, sampling), detectors, mitigation.",
        description = {"With --config FILE (YAML, docs/agent.md) it attaches one composed XDP program to each interface the file"
            + " names, with the stages the file turns on, in this order: parse, blocks, firewall, flow, model, sample, deliver."
            + " Without --config it runs blocks, sampling and delivery on --iface, as flags say. Flags given with --config"
            + " override the file. --check validates the file and every file it names, prints each problem as FILE:LINE: reason,"
            + " exits 1 on any, and attaches nothing.",
            "",
            "Sampled packets reach Java mirrored (default: XDP copies them into a ring buffer and passes them on, so the host"
            + " keeps all its traffic) or through AF_XDP (--delivery af_xdp: they leave the host's stack; for a mirror port or an"
            + " inline box), and go to the detectors (xdpml detect --help lists them). Each detection is printed (and written"
            + " as a JSON line with --json-out); with --block S the sources it names are blocked in XDP for S seconds.",
            "",
            "While it runs: 'xdpml status' shows every stage's counters from another shell; SIGHUP or 'xdpml reload' re-reads"
            + " the file and applies what changed (firewall, model, sampling, rate cap, detectors, mitigation, outputs) in one"
            + " switch per interface, or rejects the file whole; 'xdpml blocks' lists and removes blocks. The maps are pinned"
            + " under /sys/fs/bpf/xdpml/agent/IF/. The programs hang on BPF links: the kernel detaches them even if the JVM is"
            + " killed, and the next agent removes the stale pins. A second agent on an interface is refused. Ctrl-C or"
            + " --duration ends it with a summary; an interface deleted under it ends it with exit code 3. Needs root.",
            "",
            "With --onnx, a model of yours (docs/onnx.md) also runs on each packet's flow features. --eve writes alerts and flows"
            + " as Suricata EVE JSON (docs/outputs.md), --ipfix and --ipfix-file export flows as IPFIX (docs/ipfix.md),"
            + " --metrics serves Prometheus metrics (docs/metrics.md)."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "the agent's configuration (YAML; docs/agent.md)")
    Path configFile;

    @Option(names = "--check", description = "with --config: validate the file and what it names, attach nothing")
    boolean check;

    @Option(names = "--iface", split = ",", paramLabel = "IF", description = "interface(s) to attach to (needed without --config)")
    List<String> ifaces = List.of();

    @Option(names = "--delivery", defaultValue = "mirror", description = "mirror or af_xdp (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--queues", split = ",", defaultValue = "0", description = "af_xdp: receive queues, a socket and thread each (default: ${DEFAULT-VALUE})")
    int[] queues;

    @Option(names = "--cpus", split = ",", description = "af_xdp: CPU for each queue's thread, in --queues order")
    int[] cpus = new int[0];

    @Option(names = "--huge-pages", description = "af_xdp: UMEM on huge pages")
    boolean hugePages;

    @Option(names = "--sample", defaultValue = "1", description = "1-in-N packets to Java, chosen in XDP (with a model and mirror"
            + " delivery, among the model's and the firewall limits' drops too: sampling.dropped); each counts N where a detector counts packets, SYNs or bytes;"
            + " with flows and mirror delivery, each flow's first packet in each direction goes too, for the scan detectors alone: sampling.first-packets"
            + " (default: ${DEFAULT-VALUE})")
    int sample;

    @Option(names = "--detectors", defaultValue = "portscan, synflood, amplification, dnstunnel, volumetric, udpscan, sweep, slowscan, reflection, flood, connflood, slowconn, reqflood, bruteforce",
            description = "comma-separated, or all; flood counts ICMP alone unless --set flood.protocols=15 (default: ${DEFAULT-VALUE})")
    String detectors;

    @Option(names = "--window", defaultValue = "2", description = "seconds per detector window (volumetric keeps its buckets, slowscan its epochs; default: ${DEFAULT-VALUE})")
    double windowSeconds;

    @Option(names = "--early", defaultValue = "0.2", description = "seconds a finding must hold before a detector reports it while its window"
            + " is still open (portscan, udpscan, sweep, synflood, flood, amplification, reflection, connflood); 0: at the window's end only (default: ${DEFAULT-VALUE})")
    double earlySeconds;

    @Option(names = "--set", paramLabel = "DETECTOR.PARAM=VALUE", description = "a detector parameter (repeatable; wins over --window, --early and the agent's flood.protocols=4)")
    List<String> settings = List.of();

    @Option(names = "--block", defaultValue = "0", description = "seconds to block the sources a detection names (0: do not block)")
    long blockSeconds;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run (0: until Ctrl-C)")
    double duration;

    @Option(names = "--json-out", paramLabel = "FILE", description = "write each detection as a JSON line to FILE")
    Path jsonOut;

    @Option(names = "--eve", paramLabel = "FILE", description = "write alerts and flows as Suricata EVE JSON lines to FILE")
    Path eve;

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP", description = "publish alerts and flows as EVE JSON to Kafka at "
            + "BOOTSTRAP (host:port[,host:port]) and apply the fleet's blocks (outputs.kafka in the file says more; docs/fleet.md)")
    String kafka;

    @Option(names = "--ipfix", paramLabel = "HOST:PORT", description = "export flows as IPFIX over UDP to this collector")
    String ipfix;

    @Option(names = "--ipfix-file", paramLabel = "FILE", description = "export flows as IPFIX to this file (appended to; since 2026-12-05, truncated before)")
    Path ipfixFile;

    @Option(names = "--metrics", paramLabel = "[ADDR:]PORT", description = "serve Prometheus metrics on "
            + "http://ADDR:PORT/metrics (ADDR default 127.0.0.1)")
    String metrics;

    @Option(names = "--pin-dir", defaultValue = "/sys/fs/bpf/xdpml/blocks", paramLabel = "DIR",
            description = "where the blocks maps are pinned while running, as DIR/IF (default: ${DEFAULT-VALUE})")
    Path pinDir;

    @Option(names = "--quiet-status", description = "no status line (detections and the summary only)")
    boolean quietStatus;

    @Option(names = "--onnx", paramLabel = "MODEL.onnx", description = "also run this ONNX model on each packet's flow features "
            + "(docs/onnx.md; turns flow tracking on)")
    Path onnx;

    @Option(names = "--onnx-flag", split = ",", paramLabel = "CLASS", description = "the model's classes that flag a flow "
            + "(default: every class but one named benign or normal)")
    List<String> onnxFlag = List.of();

    @Option(names = "--onnx-min-score", defaultValue = "0", description = "flag only at this score or more (default: ${DEFAULT-VALUE})")
    float onnxMinScore;

    @Option(names = "--capture", paramLabel = "FILE", description = "write the first --capture-limit packets the model flags to this pcap")
    Path capture;

    @Option(names = "--capture-limit", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE})")
    int captureLimit;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (check) {
            if (configFile == null) {
                throw new IllegalArgumentException("--check checks a configuration: give it with --config FILE");
            }
            return ConfigCheck.run(configFile, out, spec.commandLine().getErr());
        }
        if (windowSeconds <= 0) {
            throw new IllegalArgumentException("--window must be > 0");
        }
        if (!(earlySeconds >= 0)) {
            throw new IllegalArgumentException("--early must be >= 0");
        }
        // SIGHUP from here on asks for a reload, also while the agent is being built (a reload as the unit starts: the
        // JVM's own handling of SIGHUP exited with 129); one that came before the agent runs is taken once it does
        EarlyHangup hangup = EarlyHangup.install(out);
        try {
            return run(out, hangup);
        } finally {
            hangup.restore();
        }
    }

    private Integer run(PrintWriter out, EarlyHangup hangup) throws Exception {
        UnaryOperator<AgentConfig> overrides = this::overrides;
        AgentConfig config;
        if (configFile != null) {
            try {
                config = overrides.apply(AgentConfigLoader.load(configFile));
            } catch (AgentConfigException e) {
                e.print(spec.commandLine().getErr(), "xdpml run", " in " + configFile + "; nothing was attached");
                return 1;
            }
        } else {
            if (ifaces.isEmpty()) {
                throw new IllegalArgumentException("say where to run: --iface IF, or --config FILE");
            }
            config = overrides.apply(AgentConfig.defaults(Path.of("(command line)").toAbsolutePath(), interfaceSpecs()));
        }
        String privatePins = privateBpfFs(); // before BpfSupport mounts a bpffs of its own there
        if (privatePins != null) {
            out.println(privatePins);
            out.flush();
        }
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("run needs BPF: " + why + " (offline: xdpml detect FILE)");
        });
        Agent.Extras extras = new Agent.Extras(duration, quietStatus, onnx, onnxFlag, onnxMinScore, capture, captureLimit, cpus,
                hugePages, pinDir);
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = null;
        try (Agent agent = new Agent(config, overrides, configFile != null, extras, out)) {
            // Ctrl-C (SIGINT) or SIGTERM: stop the loop (a flag and an unpark, not an interrupt), then wait until the
            // summary is printed and everything is detached and closed, not for main itself (it blocks in System.exit)
            hook = Thread.ofPlatform().unstarted(() -> {
                agent.requestStop();
                try {
                    closed.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            hangup.deliverTo(agent::requestReload);
            return agent.run();
        } finally {
            closed.countDown(); // everything above is closed: detached, sockets and maps gone, pins removed
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // shutting down already: the hook is running
                }
            }
            out.flush();
        }
    }

    /**
     * A warning when the agent's pins would land where no other shell finds them: this process is in
     * a named network namespace and sees no bpffs at /sys/fs/bpf. That is what {@code ip netns exec}
     * gives: a mount namespace of its own with a fresh /sys, so the bpffs mounted there for the pins
     * is that namespace's alone ({@code nsenter --net} keeps the machine's /sys). Null otherwise.
     */
    static String privateBpfFs() {
        if (BpfFs.isBpfFs(BpfFs.ROOT)) {
            return null;
        }
        String netns = null;
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[INODE]
            long inode = Long.parseLong(link.replaceAll("\\D", ""));
            Path named = Path.of("/var/run/netns");
            if (Files.isDirectory(named)) {
                try (Stream<Path> s = Files.list(named)) {
                    for (Path p : s.toList()) {
                        if (((Number) Files.getAttribute(p, "unix:ino")).longValue() == inode) {
                            netns = p.getFileName().toString();
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // cannot tell: say nothing
        }
        if (netns == null) {
            return null; // the machine's namespace (or an unnamed one): a bpffs mounted here is the usual one
        }
        return "note: no bpffs at " + BpfFs.ROOT + " in network namespace " + netns + " (as under 'ip netns exec', which gives the"
                + " command a mount namespace with a fresh /sys): the one mounted for the agent's pins is seen by no other shell,"
                + " so 'xdpml status', 'reload' and 'blocks' will not find this agent. To keep the machine's /sys/fs/bpf, enter"
                + " only the network namespace: nsenter --net=/var/run/netns/" + netns + " xdpml run ...";
    }

    private List<InterfaceSpec> interfaceSpecs() {
        return ifaces.stream().map(n -> new InterfaceSpec(n, XdpMode.AUTO)).toList();
    }

    private boolean given(String option) {
        ParseResult r = spec.commandLine().getParseResult();
        return r != null && r.hasMatchedOption(option);
    }

    /** The flags given on the command line, over the file (or over the defaults without one). */
    private AgentConfig overrides(AgentConfig c) {
        boolean all = configFile == null; // without a file, every flag (given or default) says how to run
        if (!ifaces.isEmpty()) {
            c = c.withInterfaces(interfaceSpecs());
        }
        if (all || given("--sample")) {
            if (sample < 1) {
                throw new IllegalArgumentException("--sample must be >= 1");
            }
            c = c.withSamplingEvery(sample);
        }
        if (all || given("--delivery")) {
            c = c.withDeliveryTo(switch (delivery.toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
                case "mirror" -> Delivery.MIRROR;
                case "af_xdp", "afxdp", "xsk" -> Delivery.AF_XDP;
                default -> throw new IllegalArgumentException("--delivery must be mirror or af_xdp, not " + delivery);
            });
        }
        if (all || given("--queues")) {
            c = c.withQueues(Arrays.stream(queues).boxed().toList());
        }
        if (all || given("--detectors")) {
            c = c.withDetectorsEnabled(List.of(detectors.trim().split("\\s*,\\s*"))); // the default is written with spaces, for man
        }
        if (all || given("--window")) {
            c = c.withWindow(Duration.ofNanos((long) (windowSeconds * 1e9)));
        }
        if (all || given("--early")) {
            c = c.withEarly(Duration.ofNanos((long) (earlySeconds * 1e9)));
        }
        if (!settings.isEmpty()) {
            c = c.withDetectorSettingsAdded(new ArrayList<>(settings));
        }
        if (all || given("--block")) {
            c = c.withBlock(Duration.ofSeconds(blockSeconds));
        }
        if (jsonOut != null) {
            c = c.withJsonOutput(jsonOut.toAbsolutePath());
        }
        return outputOverrides(c, all);
    }

    /** --eve, --ipfix, --ipfix-file, --kafka, --metrics over the file's outputs. */
    private AgentConfig outputOverrides(AgentConfig c, boolean noFile) {
        OutputsSection o = c.outputs();
        if (eve != null) {
            o = o.withEve(new OutputsSection.Eve(eve.toAbsolutePath(), true, true));
        }
        if (ipfix != null || ipfixFile != null) {
            OutputsSection.Ipfix given = o.ipfix();
            o = o.withIpfix(new OutputsSection.Ipfix(ipfix != null ? Endpoint.parse(ipfix, null) : null,
                    ipfixFile != null ? ipfixFile.toAbsolutePath() : null,
                    given != null ? given.templateRefresh() : OutputsSection.DEFAULT_TEMPLATE_REFRESH,
                    given != null ? given.domain() : 0));
        }
        if (kafka != null) {
            OutputsSection.Kafka k = o.kafka() != null ? o.kafka().withBootstrap(kafka) : OutputsSection.Kafka.defaults(kafka);
            if (!noFile && !c.flows().enabled() && o.kafka() == null) { // a file with flows off: alerts and blocks only
                k = new OutputsSection.Kafka(k.bootstrap(), k.alertsTopic(), null, k.blocksTopic(), k.publishBlocks(), k.applyBlocks(),
                        k.createTopics(), k.host(), k.queue(), k.properties());
            }
            o = o.withKafka(k);
        }
        if (metrics != null) {
            o = o.withMetrics(new OutputsSection.Metrics(Endpoint.parse(metrics, "127.0.0.1")));
        }
        c = c.withOutputs(o);
        if (o.wantsFlows() && !c.flows().enabled()) {
            if (!noFile) {
                throw new IllegalArgumentException("exporting flows (--eve, --ipfix) needs the flows stage, and "
                        + c.file() + " has flows off");
            }
            c = c.withFlowsOn(); // without a file, the flags say what to run: flows for the flow outputs
        }
        return c;
    }
}
