package io.xdpml.model.kernel;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.PipelineObject;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.xsk.XskSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The model stage of a loaded composed pipeline (xdp_pipeline.bpf.c, model_stage.h): wires the MLP layer programs
 * into their prog array, deploys models into the slots (hot swap, {@link ModelSlots}), and reads
 * the per-class statistics. Used for test runs and for live interfaces alike.
 */
public final class ClassifierProgram implements AutoCloseable {
    public static final String PIPELINE = "classify";
    public static final String ENTRY = PipelineObject.ENTRY;
    static final int LAYERS = PipelineObject.MLP_LAYERS;

    private final BpfMap stats;
    private final BpfMap xsks;
    private final BpfObject object;
    private final ModelSlots slots;

    /** @param object the loaded classify object */
    public ClassifierProgram(BpfObject object) {
        BpfMap layers = object.map("xdpml_mlp_layers");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fd = a.allocate(ValueLayout.JAVA_INT);
            // layer 0 runs every layer; the bench object also has programs for layers 1 and 2
            java.util.Set<String> names = new java.util.HashSet<>();
            object.programs().forEach(p -> names.add(p.name()));
            for (int l = 0; l < LAYERS; l++) {
                if (l > 0 && !names.contains("xdpml_mlp_layer" + l)) {
                    continue;
                }
                BpfProgram p = object.program("xdpml_mlp_layer" + l);
                fd.set(ValueLayout.JAVA_INT, 0, p.fd());
                layers.update(l, fd, BpfMap.BPF_ANY);
            }
        }
        this.stats = object.map("xdpml_model_stats");
        this.xsks = object.map("xdpml_xsks");
        this.object = object;
        this.slots = new ModelSlots(object.map("xdpml_models"), new ConfigWord(object.map("xdpml_fw_gen"), object.map("xdpml_fw_sync")));
    }

    /** Hot swap: the next packets use {@code d}; returns the deployment's generation. */
    public int deploy(Deployment d) {
        return slots.deploy(d);
    }

    /**
     * Puts an AF_XDP socket into the pipeline's XSKMAP at its receive queue: packets of classes
     * whose action is {@code xsk} arriving on that queue go to it. Tells the socket where the
     * program puts their metadata ({@link PipelineObject#metadataLayout(BpfObject)}), and the
     * program how long a packet the socket takes with it in front ({@link PipelineObject#fitSocket}).
     */
    public void attachSocket(XskSocket socket) {
        PipelineObject.fitSocket(object, socket);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fd = a.allocate(ValueLayout.JAVA_INT);
            fd.set(ValueLayout.JAVA_INT, 0, socket.fd());
            xsks.update(socket.queue(), fd, BpfMap.BPF_ANY);
        }
    }

    public ModelSlots slots() {
        return slots;
    }

    /** Counters and per-class packets and bytes, summed over CPUs. */
    public ModelStats stats() {
        long[] all = stats.sumPerCpuLongs(0);
        int n = ModelCounter.SLOTS;
        int c = ModelStats.CLASSES;
        return new ModelStats(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, n + c), Arrays.copyOfRange(all, n + c, n + 2 * c));
    }

    @Override
    public void close() {
        slots.close();
    }
}
