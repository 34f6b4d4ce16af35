package io.xdpml.model.data;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.ModelInputs;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Samples from labeled captures: each capture is replayed through the Java reference flow
 * tracker ({@link JavaFlowEngine}, default {@link FlowConfig}, frames cut as BPF_PROG_TEST_RUN
 * cuts them), and after every tracked packet the model inputs are computed exactly as the kernel
 * computes them ({@link ModelInputs#compute}). The packet's label comes from the
 * {@link LabelRules}; a packet labeled {@link LabelRules#IGNORE} gives no sample (its flow is updated
 * all the same); a flow's label is the label of its last packet not ignored, and a flow whose
 * packets are all ignored is no flow of the dataset (nothing to train on or to judge). A flow is a
 * key from its first packet until the tracker starts it afresh (packet count back to 1, e.g. after
 * the idle timeout). In "flow at N" mode the one sample of a flow (the vector after its N-th
 * packet, ignored or not) is labeled with the flow's label: the kernel caches that verdict for
 * the whole flow.
 */
public final class CaptureSamples {

    private CaptureSamples() {}

    /**
     * As {@link #load(List, LabelRules, SampleMode, List, Consumer)}, damage reported as a warning line on
     * standard error naming the file, the offset and the reason.
     */
    public static Dataset load(List<Path> captures, LabelRules rules, SampleMode mode, List<String> classes) throws IOException {
        return load(captures, rules, mode, classes,
                e -> System.err.println("xdpml: warning: " + e.getMessage() + " (samples from the packets before it are used)"));
    }

    /**
     * @param classes null (the rules' labels) or the classes to use (a model's)
     * @param damage told of each capture damaged after its file header: the samples of the packets
     *     before the damage are kept (published captures often end in a cut record; training must
     *     not change for it). A file that is not a capture at all fails.
     */
    public static Dataset load(List<Path> captures, LabelRules rules, SampleMode mode, List<String> classes,
            Consumer<PcapFormatException> damage) throws IOException {
        List<String> cls = classes == null ? rules.classLabels() : classes;
        for (String l : rules.classLabels()) {
            if (!cls.contains(l)) {
                throw new IllegalArgumentException("label '" + l + "' of the rules is not a class of the model " + cls);
            }
        }
        Builder b = new Builder(cls, mode, rules);
        for (Path c : captures) {
            b.capture(c, damage);
        }
        return b.build(captures.size() == 1 ? captures.getFirst().toString() : captures.size() + " captures");
    }

    private static final class Builder {
        final List<String> classes;
        final SampleMode mode;
        final LabelRules rules;
        final List<long[]> inputs = new ArrayList<>();
        final List<Integer> labels = new ArrayList<>();
        final List<Integer> flows = new ArrayList<>();
        /** Per tracked flow: its class, or {@link #NO_LABEL} while all its packets were ignored. */
        final List<Integer> flowLabels = new ArrayList<>();
        static final int NO_LABEL = -1;

        Builder(List<String> classes, SampleMode mode, LabelRules rules) {
            this.classes = classes;
            this.mode = mode;
            this.rules = rules;
        }

        void capture(Path file, Consumer<PcapFormatException> damage) throws IOException {
            Map<java.nio.ByteBuffer, Integer> flowOfKey = new HashMap<>();
            EthernetFramer framer = new EthernetFramer();
            long[] x = new long[ModelInputs.COUNT];
            java.nio.ByteBuffer probe = java.nio.ByteBuffer.allocate(FlowLayout.KEY_SIZE);
            int fwdIdx = ExtraInput.FWD_PACKETS.index();
            int bwdIdx = ExtraInput.BWD_PACKETS.index();
            try (JavaFlowEngine engine = new JavaFlowEngine(FlowConfig.defaults(), TestRun.maxTestRunFrame());
                 CaptureReader r = CaptureReader.open(file)) {
                try {
                    while (r.next()) {
                        int length = framer.frame(r);
                        if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                            continue;
                        }
                        length = Math.min(length, engine.maxFrameLength());
                        long t = r.timestampNanos();
                        engine.packet(framer.frameSegment(), length, t);
                        MemorySegment state = engine.lastUpdated();
                        if (state == null) {
                            continue;
                        }
                        FlowPacket p = engine.lastPacket();
                        ModelInputs.compute(state, p.key(), p.normLength(), p.fromA(), x);
                        long total = x[fwdIdx] + x[bwdIdx];
                        probe.clear();
                        probe.put(p.key().asByteBuffer()).flip();
                        Integer flow = flowOfKey.get(probe);
                        if (flow == null || total == 1) {
                            flow = flowLabels.size();
                            flowLabels.add(NO_LABEL);
                            flowOfKey.put(java.nio.ByteBuffer.wrap(p.key().toArray(ValueLayout.JAVA_BYTE)), flow);
                        }
                        String label = rules.label(file, p.key(), p.fromA(), t);
                        boolean ignored = label.equals(LabelRules.IGNORE);
                        int c = ignored ? NO_LABEL : classes.indexOf(label);
                        if (!ignored) {
                            flowLabels.set(flow, c);
                        }
                        if (mode.everyPacket() ? !ignored : total == mode.flowPacket()) {
                            inputs.add(x.clone());
                            labels.add(c); // flow at N: the flow's label, set in build()
                            flows.add(flow);
                        }
                    }
                } catch (PcapFormatException e) {
                    damage.accept(e); // keep what came before the damage (as FlowReplay does), but say so
                } catch (InternalError e) {
                    damage.accept(r.shrinkDamage(e)); // the file shrank under the mapping: damage too
                }
            }
        }

        /** The dataset of the flows with a packet not ignored (renumbered), and their samples. */
        Dataset build(String description) {
            int[] newIndex = new int[flowLabels.size()];
            List<Integer> kept = new ArrayList<>();
            for (int f = 0; f < newIndex.length; f++) {
                newIndex[f] = flowLabels.get(f) == NO_LABEL ? -1 : kept.size();
                if (newIndex[f] >= 0) {
                    kept.add(flowLabels.get(f));
                }
            }
            List<long[]> x = new ArrayList<>();
            List<Integer> y = new ArrayList<>();
            List<Integer> of = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                int f = flows.get(i);
                if (newIndex[f] < 0) {
                    continue; // flow at N: the N-th packet of a flow all ignored
                }
                x.add(inputs.get(i));
                y.add(mode.everyPacket() ? labels.get(i) : flowLabels.get(f));
                of.add(newIndex[f]);
            }
            return new Dataset(classes, x.toArray(long[][]::new), y.stream().mapToInt(Integer::intValue).toArray(),
                    of.stream().mapToInt(Integer::intValue).toArray(), kept.stream().mapToInt(Integer::intValue).toArray(),
                    description + " (" + mode + ")");
        }
    }
}
