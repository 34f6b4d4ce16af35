package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.FlowRecord;
import io.xdpml.flow.FlowReplay;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.classify.ClassifyEngine;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.JavaClassifyEngine;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStage;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.KernelClassifyEngine;
import io.xdpml.model.onnx.OnnxClassifyEngine;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xdpml classify FILE --model M}: the verdicts a model gives a capture, in the kernel or in Java. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        header = "Classify the packets and flows of a capture with a model file or an ONNX model.",
        description = {"Replays a capture with its own timing through the classify pipeline: parse, flow features, then the"
            + " model's integer inference. --engine kernel runs the XDP program (BPF_PROG_TEST_RUN; needs root), --engine java"
            + " the reference; both give the same class to every packet. --mode packet classifies every packet from its"
            + " flow's features; flow:N classifies each flow once, at its N-th packet, and caches the class (default: the"
            + " mode the model was trained in). Prints one row per flow (its class: that of its last classified packet;"
            + " '-' when none), or with --packets one row per packet, and the packets and flows per class.",
            "--onnx M.onnx runs an ONNX model (scikit-learn, PyTorch; inputs and classes named by M.onnx.json or the"
            + " model's metadata, docs/onnx.md) through ONNX Runtime on the Java flow features instead (default mode: packet)."})
final class ClassifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "capture file (pcap or pcapng)")
    Path file;

    @Option(names = "--model", paramLabel = "M.json", description = "model file (xdpml train)")
    Path model;

    @Option(names = "--onnx", paramLabel = "M.onnx", description = "an ONNX model instead of --model (runs in Java, ONNX Runtime)")
    Path onnx;

    @Option(names = "--engine", description = "kernel or java (default: kernel; --onnx: Java only)")
    EngineChoice engine;

    @Option(names = "--mode", paramLabel = "packet|flow:N", description = "when to classify (default: the model's training mode; --onnx: packet)")
    String mode;

    @Option(names = "--packets", description = "one CSV row per packet: index,time_ns,class (class -1: none)")
    boolean packets;

    @Option(names = "--json", description = "JSON: engine, mode, per-class packets and flows, and the flows")
    boolean json;

    @Option(names = "--idle-timeout", defaultValue = "120", description = "seconds of silence that end a flow (default: ${DEFAULT-VALUE})")
    double idleTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if ((model == null) == (onnx == null)) {
            throw new ParameterException(spec.commandLine(), "give a model: --model M.json or --onnx M.onnx (one of them)");
        }
        if (onnx != null && engine == EngineChoice.kernel) {
            throw new ParameterException(spec.commandLine(), "--onnx runs in Java through ONNX Runtime; --engine kernel is for --model files");
        }
        ModelFile m = model != null ? ModelFile.read(model) : null;
        OnnxModel om = onnx != null ? OnnxModel.load(onnx) : null;
        ClassifyMode cm = ClassifyMode.parse(mode != null ? mode : m != null ? m.provenance().path("mode").asText("packet") : "packet");
        FlowConfig config = new FlowConfig(1 << 20, (long) (idleTimeoutSeconds * 1e9), 4789);
        List<String> classes = m != null ? m.classes() : om.classes();
        Map<String, long[]> flowClass = new LinkedHashMap<>(); // key hex -> {class, packets}
        try (om; ClassifyEngine e = om != null ? new OnnxClassifyEngine(config, TestRun.maxTestRunFrame(), om, cm) : open(config)) {
            if (m != null) {
                e.deploy(Deployment.countOnly(m.integerModel(), cm));
            }
            Keyer keyer = new Keyer(config.vxlanPort());
            long[] index = {0};
            if (packets) {
                out.println("index,time_ns,class");
            }
            FlowReplay.Result r = FlowReplay.replay(file, new Tap(e) {
                @Override
                public void packet(MemorySegment frame, int length, long t) {
                    e.packet(frame, length, t);
                    int cls = e.lastClass();
                    String key = keyer.key(frame, length);
                    if (key != null) {
                        long[] v = flowClass.computeIfAbsent(key, k -> new long[] {-1, 0});
                        v[1]++;
                        if (cls >= 0) {
                            v[0] = cls;
                        }
                    }
                    if (packets) {
                        out.println(index[0] + "," + Long.toUnsignedString(t) + "," + cls);
                    }
                    index[0]++;
                }
            });
            ModelStats s = e.stats();
            if (json) {
                printJson(out, e, cm, classes, s, flowClass);
            } else if (!packets) {
                printFlows(out, e, classes, flowClass);
            }
            if (!json) {
                printSummary(packets ? spec.commandLine().getErr() : out, e.name(), cm, classes, s, flowClass, r);
            }
        }
        out.flush();
        return 0;
    }

    private ClassifyEngine open(FlowConfig config) {
        if (engine == null || engine == EngineChoice.kernel) {
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("the kernel engine needs BPF: " + why + " (try --engine java)");
            });
            return new KernelClassifyEngine(config, ModelStage.XDP_PASS);
        }
        return new JavaClassifyEngine(config, TestRun.maxTestRunFrame(), ModelStage.XDP_PASS);
    }

    private static String className(List<String> classes, long c) {
        return c < 0 ? "-" : classes.get((int) c);
    }

    private static void printFlows(PrintWriter out, ClassifyEngine e, List<String> classes, Map<String, long[]> flowClass) {
        out.println("src_addr,src_port,dst_addr,dst_port,protocol,packets,class");
        FlowRecord rec = new FlowRecord();
        e.forEachFlow((key, state) -> {
            long[] v = flowClass.get(hex(key));
            rec.wrap(key, state);
            out.println(rec.sourceAddress().getHostAddress() + "," + rec.sourcePort() + "," + rec.destinationAddress().getHostAddress()
                    + "," + rec.destinationPort() + "," + rec.protocol() + "," + (rec.packets(FlowLayout.FWD) + rec.packets(FlowLayout.BWD))
                    + "," + className(classes, v == null ? -1 : v[0]));
        });
    }

    private static void printSummary(PrintWriter out, String engine, ClassifyMode mode, List<String> classes, ModelStats s,
            Map<String, long[]> flowClass, FlowReplay.Result r) {
        out.printf("%s engine, mode %s: %d packets, %d classified by the model, %d given a cached class, %d without a class%n",
                engine, mode, r.replayed(), s.counter(ModelCounter.CLASSIFIED), s.counter(ModelCounter.CACHED),
                s.counter(ModelCounter.UNCLASSIFIED) + s.counter(ModelCounter.NO_MODEL));
        long[] flows = flowsPerClass(classes, flowClass);
        out.printf("%-20s %12s %10s%n", "class", "packets", "flows");
        for (int c = 0; c < classes.size(); c++) {
            out.printf("%-20s %12d %10d%n", classes.get(c), s.classPackets(c), flows[c]);
        }
        out.printf("%-20s %12s %10d%n", "(none)", "", flows[classes.size()]);
        if (r.damage() != null) {
            out.println("capture damaged after " + r.packets() + " packets: " + r.damage().getMessage());
        }
    }

    private static long[] flowsPerClass(List<String> classes, Map<String, long[]> flowClass) {
        long[] n = new long[classes.size() + 1];
        flowClass.values().forEach(v -> n[v[0] < 0 ? classes.size() : (int) v[0]]++);
        return n;
    }

    private static void printJson(PrintWriter out, ClassifyEngine e, ClassifyMode mode, List<String> classes, ModelStats s,
            Map<String, long[]> flowClass) throws Exception {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = om.createObjectNode();
        o.put("engine", e.name());
        o.put("mode", mode.toString());
        for (ModelCounter c : ModelCounter.values()) {
            o.put(c.name().toLowerCase(), s.counter(c));
        }
        long[] flows = flowsPerClass(classes, flowClass);
        ObjectNode pc = o.putObject("per_class");
        for (int c = 0; c < classes.size(); c++) {
            ObjectNode n = pc.putObject(classes.get(c));
            n.put("packets", s.classPackets(c));
            n.put("bytes", s.classBytes(c));
            n.put("flows", flows[c]);
        }
        ArrayNode a = o.putArray("flows");
        FlowRecord rec = new FlowRecord();
        e.forEachFlow((key, state) -> {
            long[] v = flowClass.get(hex(key));
            rec.wrap(key, state);
            ObjectNode f = a.addObject();
            f.put("src_addr", rec.sourceAddress().getHostAddress());
            f.put("src_port", rec.sourcePort());
            f.put("dst_addr", rec.destinationAddress().getHostAddress());
            f.put("dst_port", rec.destinationPort());
            f.put("protocol", rec.protocol());
            f.put("packets", rec.packets(FlowLayout.FWD) + rec.packets(FlowLayout.BWD));
            f.put("class", className(classes, v == null ? -1 : v[0]));
        });
        out.println(om.writeValueAsString(o));
    }

    static String hex(MemorySegment key) {
        return HexFormat.of().formatHex(key.asSlice(0, FlowLayout.KEY_SIZE).toArray(ValueLayout.JAVA_BYTE));
    }

    /** The flow key of a frame, as the pipeline computes it (for per-flow classes whatever the engine). */
    static final class Keyer {
        private final PacketParser parser;
        private final ParseSummary summary = new ParseSummary();
        private final FlowPacket packet = new FlowPacket();

        Keyer(int vxlanPort) {
            this.parser = new PacketParser(vxlanPort);
        }

        String key(MemorySegment frame, int length) {
            parser.parse(frame, length, summary);
            return packet.of(frame, 0, length, summary) ? hex(packet.key()) : null;
        }
    }

    /** Hands FlowReplay's packets to a classify engine, which the caller closes. */
    abstract static class Tap extends ForwardingFlowEngine {
        Tap(ClassifyEngine e) {
            super(e);
        }

        @Override
        public void close() {}
    }
}
