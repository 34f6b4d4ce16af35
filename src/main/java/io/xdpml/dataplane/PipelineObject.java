package io.xdpml.dataplane;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.xsk.MetadataLayout;
import io.xdpml.xsk.XskSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Opens the composed program (bpf/xdp_pipeline.bpf.c) with its stages switched: the stage
 * constants set, and the maps of the stages that are off shrunk to a token size (they must exist,
 * since the object declares them, but they cost no memory). The caller sets its own constants and
 * map sizes, then loads.
 */
public final class PipelineObject {
    public static final String RESOURCE = "/bpf/xdp_pipeline.bpf.o";
    /** The entry program: one per interface. */
    public static final String ENTRY = "xdpml_pipeline";
    /**
     * The composed program with the model stage's other forms of inference beside its own
     * (bpf/xdp_pipeline_bench.bpf.c, model_bench.h): for measuring only.
     */
    public static final String BENCH_RESOURCE = "/bpf/xdp_pipeline_bench.bpf.o";
    /**
     * Slots of xdpml_mlp_layers: the MLP's program (xdpml_mlp_layer0, every layer since issue 14) at
     * 0; xdp_pipeline_bench.bpf.o also has the former one-program-per-layer at 1 and 2.
     */
    public static final int MLP_LAYERS = 3;

    private static final int RING_MIN = 4096;

    private PipelineObject() {}

    /** The second verifier unit (flow, model, sample, deliver), tail-called from the entry. */
    public static final String REST = "xdpml_stages_rest";

    /** Puts the second unit into the entry's prog array (slot XDPML_TC_REST = 0). */
    static void wire(BpfObject loaded) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fd = a.allocate(ValueLayout.JAVA_INT);
            fd.set(ValueLayout.JAVA_INT, 0, loaded.program(REST).fd());
            loaded.map("xdpml_stages").update(0, fd, BpfMap.BPF_ANY);
        }
    }

    /**
     * The program to attach to the interface: the entry, or with the CPU spread on
     * ({@link CpuSpread}) the picker that hands each frame to its flow's CPU, where the entry runs.
     */
    public static io.xdpml.kernel.BpfProgram attachPoint(BpfObject loaded) {
        return loaded.program(CpuSpread.on(loaded) ? CpuSpread.PICK : ENTRY);
    }

    /** The constant that puts AF_XDP metadata in front of the frame (deliver.h, {@link MetadataLayout#IN_FRAME}). */
    public static final String META_IN_HEAD = "cfg_meta_in_head";

    /**
     * Where the deliver stage of a program with these stages puts the AF_XDP metadata: the
     * kernel's choice ({@link MetadataLayout#forThisKernel()}, probed once) when the stage can
     * redirect to a socket (sampling or a model with the xsk action, not mirroring), else
     * {@link MetadataLayout#BEFORE_FRAME} (no redirect: nothing to place, and no probe).
     */
    public static MetadataLayout metadataLayout(Stages stages) {
        return stages.delivers() && !stages.mirror() ? MetadataLayout.forThisKernel() : MetadataLayout.BEFORE_FRAME;
    }

    /** The program's limit on the packets it hands over with the metadata in front (deliver.h). */
    public static final String META_ROOM = "xsk_meta_room";

    /**
     * Before {@code socket} goes into the XSKMAP of {@code object} (loaded): tells it the layout,
     * and where the metadata travels in front of the frame ({@link MetadataLayout#IN_FRAME}) lowers
     * the program's {@link #META_ROOM} to the longest packet the socket's frames hold with it
     * ({@link XskSocket#inFrameMetadataRoom()}), so a longer packet goes on instead of being
     * redirected into the kernel's drop.
     */
    public static void fitSocket(BpfObject object, XskSocket socket) {
        MetadataLayout layout = metadataLayout(object);
        socket.metadataLayout(layout);
        int room = socket.inFrameMetadataRoom();
        if (layout != MetadataLayout.IN_FRAME || room == 0) return;
        MemorySegment v = object.variable(META_ROOM);
        int now = v.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        if (now == 0 || room < now) v.set(ValueLayout.JAVA_INT_UNALIGNED, 0, room);
    }

    /**
     * Where a loaded (or opened) composed program puts the metadata of the frames it redirects, read
     * from its own constants: {@link MetadataLayout#IN_FRAME} when {@code cfg_meta_in_head} is set
     * and it writes metadata to sockets (cfg_metadata, not cfg_mirror), else
     * {@link MetadataLayout#BEFORE_FRAME}. Whoever puts a socket into its XSKMAP tells the socket this.
     */
    public static MetadataLayout metadataLayout(BpfObject object) {
        try {
            boolean inHead = object.variable(META_IN_HEAD).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != 0;
            boolean metadata = object.variable("cfg_metadata").get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != 0;
            boolean mirror = object.variable("cfg_mirror").get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) != 0;
            return inHead && metadata && !mirror ? MetadataLayout.IN_FRAME : MetadataLayout.BEFORE_FRAME;
        } catch (java.util.NoSuchElementException e) {
            return MetadataLayout.BEFORE_FRAME; // no deliver stage in this object
        }
    }

    public static BpfObject open(Stages stages) {
        return open(stages, RESOURCE);
    }

    /**
     * The composed program from another build of the same source (for measuring only:
     * {@link #BENCH_RESOURCE}), its stages switched as {@link #open(Stages)} does.
     */
    public static BpfObject open(Stages stages, String resource) {
        BpfObject obj = BpfObject.openResource(resource);
        try {
            obj.setConstant("cfg_blocks", stages.blocks() ? 1 : 0);
            obj.setConstant("cfg_firewall", stages.firewall() ? 1 : 0);
            obj.setConstant("cfg_flow", stages.flow() ? 1 : 0);
            obj.setConstant("cfg_model", stages.model() ? 1 : 0);
            obj.setConstant("cfg_sample", stages.sample().code);
            obj.setConstant("cfg_mirror", stages.mirror() ? 1 : 0);
            obj.setConstant(META_IN_HEAD, metadataLayout(stages).constant());
            if (!stages.blocks()) {
                obj.setMaxEntries("xdpml_blocks", 1);
                obj.setMaxEntries("xdpml_flow_blocks", 1);
            }
            if (!stages.firewall()) {
                obj.setMaxEntries("xdpml_fw_lists", 1);
                obj.setMaxEntries("xdpml_fw_rules", 1);
                obj.setMaxEntries("xdpml_fw_hits", 2);
                obj.setMaxEntries("xdpml_fw_ct", 1);
                obj.setMaxEntries("xdpml_fw_ct_new", 1); // the unassured connections: the same capacity
                obj.setMaxEntries("xdpml_fw_rate", 1);
                obj.setMaxEntries("xdpml_fw_measures", 1);
                obj.setMaxEntries("xdpml_fw_own", 1);
            }
            if (!stages.flow()) {
                obj.setMaxEntries("xdpml_flows", 1);
                obj.setMaxEntries("xdpml_flow_records", RING_MIN);
            }
            if (!stages.delivers() || !stages.mirror()) {
                obj.setMaxEntries("xdpml_mirror", RING_MIN);
            }
            obj.afterLoad(PipelineObject::wire);
            return obj;
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }
}
