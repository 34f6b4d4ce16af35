package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpLink;
import io.xdpml.kernel.XdpMode;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.ClassifierProgram;
import io.xdpml.pipeline.Pipelines;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml deploy --iface IF --model M}: the model classifying an interface's traffic in XDP. */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        header = "Run a model in XDP on an interface, with per-class actions and counters; hot-swap on change.",
        description = {"Attaches the classify pipeline (parse, flow features, the model's integer inference) to an interface"
            + " and deploys the model. Each class gets an action: count (the default: the packet goes on as --default-action"
            + " says), pass, drop, or xsk (to an AF_XDP socket of the queue, pass without one). Prints packets per second per"
            + " class every --interval, until Ctrl-C or --duration; then detaches and prints a summary. With --watch, a"
            + " changed model file is read, checked and swapped in while traffic flows: no packet is lost or classified by a"
            + " half-written model (docs/classifier.md); a file that fails to load is reported and the running model kept."
            + " Needs root."})
final class DeployCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--iface", required = true, paramLabel = "IF", description = "interface to attach to")
    String iface;

    @Option(names = "--model", required = true, paramLabel = "M.json", description = "model file (xdpml train)")
    Path model;

    @Option(names = "--mode", paramLabel = "packet|flow:N", description = "when to classify (default: the model's training mode)")
    String mode;

    @Option(names = "--action", paramLabel = "CLASS=ACTION", description = "action for a class: count, pass, drop or xsk (repeatable)")
    List<String> actions = List.of();

    @Option(names = "--min-confidence", paramLabel = "CLASS=C", description = "a class's action only at confidence C (0 to 1) or"
        + " more; below, the packet goes to the AF_XDP socket (xsk) instead (repeatable; C alone: every class; default 0)")
    List<String> minConfidence = List.of();

    @Option(names = "--default-action", defaultValue = "pass", description = "pass or drop: packets without a class and of 'count' classes (default: ${DEFAULT-VALUE})")
    String defaultAction;

    @Option(names = "--xdp-mode", defaultValue = "AUTO", description = {"AUTO: a BPF link (native where the driver has it, else generic;"
        + " detached by the kernel when the process ends, even on a crash); NATIVE or GENERIC: netlink attach in that mode"
        + " (default: ${DEFAULT-VALUE})"})
    XdpMode xdpMode;

    @Option(names = "--watch", description = "hot-swap the model when its file changes")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1", description = "seconds between status lines (default: ${DEFAULT-VALUE})")
    double interval;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run (0: until Ctrl-C)")
    double duration;

    @Option(names = "--flows", defaultValue = "65536", description = "flow table size (default: ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--idle-timeout", defaultValue = "120", description = "seconds of silence that end a flow (default: ${DEFAULT-VALUE})")
    double idleTimeoutSeconds;

    @Option(names = "--json", description = "print the final summary as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("deploy needs BPF: " + why);
        });
        ModelFile m = ModelFile.read(model);
        Deployment d = deployment(m);
        java.util.Optional<io.xdpml.agent.RunningAgent> agent = io.xdpml.agent.RunningAgent.on(iface);
        if (agent.isPresent()) {
            try (io.xdpml.agent.RunningAgent a = agent.get()) {
                int generation = a.deployModel(m, d, model);
                out.printf("deployed %s (%s, %s, classes %s) into the model stage of %s, generation %d (one XDP program per"
                        + " interface: the agent's). The agent's file %s keeps its own model: its next reload puts it back;"
                        + " 'xdpml status --iface %s' shows the classes.%n", model, m.kind().id(), d.mode(), m.classes(), a.describe(),
                        generation, a.info().config(), iface);
                out.flush();
            }
            return 0;
        }
        int ifindex = Interfaces.indexOf(iface);
        int xdpDefault = switch (defaultAction.toLowerCase(Locale.ROOT)) {
            case "pass" -> 2;
            case "drop" -> 1;
            default -> throw new IllegalArgumentException("--default-action must be pass or drop, not " + defaultAction);
        };
        try (BpfObject obj = Pipelines.get(ClassifierProgram.PIPELINE).open()) {
            obj.setConstant("cfg_action", xdpDefault);
            obj.setConstant("cfg_idle_timeout_ns", (long) (idleTimeoutSeconds * 1e9));
            obj.setMaxEntries("xdpml_flows", flows);
            io.xdpml.flow.FlowHash.install(obj, io.xdpml.flow.FlowHash.randomSeed()); // as the agent does
            obj.load();
            try (ClassifierProgram classifier = new ClassifierProgram(obj)) {
                classifier.deploy(d);
                try (AutoCloseable att = attach(obj, ifindex)) {
                    if (!json) {
                        out.printf("deployed %s (%s, %s, classes %s, actions %s) on %s, %s%n", model, m.kind().id(), d.mode(),
                                m.classes(), Arrays.toString(d.actions()).toLowerCase(Locale.ROOT), iface, describe(att));
                        out.flush();
                    }
                    run(out, classifier, m);
                }
                summary(out, classifier.stats(), m);
            }
        }
        out.flush();
        return 0;
    }

    /**
     * AUTO: a BPF link, which the kernel detaches when its last fd closes, so even a killed or
     * crashed JVM leaves nothing attached. NATIVE/GENERIC: a netlink attachment in that mode
     * (detached on exit and on SIGINT/SIGTERM by the shutdown hook, not after a SIGKILL).
     */
    private AutoCloseable attach(BpfObject obj, int ifindex) {
        if (xdpMode == XdpMode.AUTO) {
            return XdpLink.attach(obj.program(ClassifierProgram.ENTRY), ifindex);
        }
        return XdpAttachment.attach(obj.program(ClassifierProgram.ENTRY), ifindex, xdpMode);
    }

    private static String describe(AutoCloseable att) {
        if (att instanceof XdpAttachment a) {
            return a.mode().name().toLowerCase(Locale.ROOT) + " mode";
        }
        return "through a BPF link (native where the driver has it; detached when this process ends, even on a crash)";
    }

    private Deployment deployment(ModelFile m) {
        ClassifyMode cm = ClassifyMode.parse(mode != null ? mode : m.provenance().path("mode").asText("packet"));
        ClassAction[] a = new ClassAction[m.classes().size()];
        Arrays.fill(a, ClassAction.COUNT);
        for (String s : actions) {
            int eq = s.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--action wants CLASS=ACTION, not '" + s + "'");
            }
            int c = m.classes().indexOf(s.substring(0, eq));
            if (c < 0) {
                throw new IllegalArgumentException("--action: no class '" + s.substring(0, eq) + "' in the model (classes: " + m.classes() + ")");
            }
            a[c] = ClassAction.parse(s.substring(eq + 1));
        }
        return new Deployment(m.integerModel(), cm, a, ConfidenceOption.parse(minConfidence, m.classes(), "--min-confidence"));
    }

    private void run(PrintWriter out, ClassifierProgram classifier, ModelFile m) throws InterruptedException {
        long start = System.nanoTime();
        long end = duration > 0 ? start + (long) (duration * 1e9) : Long.MAX_VALUE;
        long step = Math.max(1, (long) (interval * 1e9));
        ModelStats before = classifier.stats();
        FileTime seen = modified();
        long next = start + step;
        while (System.nanoTime() < end) {
            long sleep = Math.min(next, end) - System.nanoTime();
            if (sleep > 0) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
            if (watch) {
                FileTime now = modified();
                if (now != null && !now.equals(seen)) {
                    seen = now;
                    swap(out, classifier, m);
                }
            }
            if (System.nanoTime() >= next) {
                ModelStats now = classifier.stats();
                if (!json) {
                    status(out, before, now, m, (System.nanoTime() - start) / 1e9, interval);
                }
                before = now;
                next += step;
            }
        }
    }

    private FileTime modified() {
        try {
            return Files.getLastModifiedTime(model);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private void swap(PrintWriter out, ClassifierProgram classifier, ModelFile running) {
        try {
            ModelFile next = ModelFile.read(model);
            if (!next.classes().equals(running.classes())) {
                throw new IllegalArgumentException("classes " + next.classes() + " differ from the running model's " + running.classes());
            }
            int gen = classifier.deploy(deployment(next));
            out.printf("model file changed: swapped in, generation %d%n", gen);
        } catch (Exception e) {
            out.printf("model file changed but not swapped (the running model stays): %s%n", e.getMessage());
        }
        out.flush();
    }

    private static void status(PrintWriter out, ModelStats a, ModelStats b, ModelFile m, double t, double interval) {
        StringBuilder s = new StringBuilder(String.format("%7.1fs", t));
        for (int c = 0; c < m.classes().size(); c++) {
            s.append(String.format("  %s %.0f/s", m.classes().get(c), (b.classPackets(c) - a.classPackets(c)) / interval));
        }
        long none = b.counter(ModelCounter.UNCLASSIFIED) + b.counter(ModelCounter.NO_MODEL) - a.counter(ModelCounter.UNCLASSIFIED)
                - a.counter(ModelCounter.NO_MODEL);
        s.append(String.format("  no class %.0f/s", none / interval));
        out.println(s);
        out.flush();
    }

    private void summary(PrintWriter out, ModelStats s, ModelFile m) throws Exception {
        if (json) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode o = om.createObjectNode();
            for (ModelCounter c : ModelCounter.values()) {
                o.put(c.name().toLowerCase(Locale.ROOT), s.counter(c));
            }
            ObjectNode pc = o.putObject("per_class");
            for (int c = 0; c < m.classes().size(); c++) {
                pc.putObject(m.classes().get(c)).put("packets", s.classPackets(c)).put("bytes", s.classBytes(c));
            }
            out.println(om.writeValueAsString(o));
            return;
        }
        out.println("detached. totals:");
        for (int c = 0; c < m.classes().size(); c++) {
            out.printf("  %-20s %12d packets %14d bytes%n", m.classes().get(c), s.classPackets(c), s.classBytes(c));
        }
        out.printf("  classified %d, cached %d, without a class %d%n", s.counter(ModelCounter.CLASSIFIED), s.counter(ModelCounter.CACHED),
                s.counter(ModelCounter.UNCLASSIFIED) + s.counter(ModelCounter.NO_MODEL));
    }
}
