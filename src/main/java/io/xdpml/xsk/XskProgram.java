package io.xdpml.xsk;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.DataPlaneSetup;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The composed program (bpf/xdp_pipeline.bpf.c) configured for the hand-off to Java: blocks,
 * then 1-in-N sampling, then delivery, either redirecting packets to the AF_XDP socket of their
 * receive queue through the XSKMAP {@code xdpml_xsks} with {@link XskMetadata} before each
 * frame, or mirroring a copy into a ring buffer. Register sockets, then attach; {@link #close()}
 * detaches first, then closes the object (sockets are the caller's to close, after).
 */
public final class XskProgram implements AutoCloseable {
    /** XDP actions for packets not handed to a socket. */
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;

    private final BpfObject object;
    private final BpfMap xsks;
    private final BpfMap counters;
    private final int sampleN;
    private final boolean mirror;
    /** Where the program puts the metadata of a redirected frame; BEFORE_FRAME when it writes none. */
    private final MetadataLayout layout;
    private XdpAttachment attachment;

    /**
     * @param sampleN     hand 1 packet in N to the sockets (1: every packet); counted per CPU
     * @param otherAction what the other packets get: {@link #XDP_PASS} or {@link #XDP_DROP}
     * @param metadata    parse each handed packet and write {@link XskMetadata} before it
     * @param layout      where the metadata goes; null: the kernel's choice ({@link PipelineObject#metadataLayout})
     */
    private XskProgram(int sampleN, int otherAction, boolean metadata, boolean mirror, DataPlaneSetup setup,
                       MetadataLayout layout) {
        if (sampleN < 1) throw new IllegalArgumentException("sampleN must be >= 1, got " + sampleN);
        if (otherAction != XDP_PASS && otherAction != XDP_DROP) {
            throw new IllegalArgumentException("otherAction must be XDP_PASS (2) or XDP_DROP (1), got " + otherAction);
        }
        Stages before = setup.stages();
        Stages.Sampling by = before.sample() == Stages.Sampling.BY_FLOW ? Stages.Sampling.BY_FLOW : Stages.Sampling.BY_PACKET;
        Stages stages = before.withBlocks(true).withSampling(by, mirror);
        MetadataLayout placed = !metadata || mirror ? MetadataLayout.BEFORE_FRAME
                : layout != null ? layout : PipelineObject.metadataLayout(stages);
        BpfObject o = PipelineObject.open(stages);
        try {
            o.setConstant("cfg_action", otherAction);
            o.setConstant("cfg_metadata", metadata || mirror ? 1 : 0);
            o.setConstant(PipelineObject.META_IN_HEAD, placed.constant());
            setup.configure(o);
            o.load();
            DeliverySettings.of(o).install(new DeliverySettings.Values(sampleN, 0, 0), new ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync")));
            setup.loaded(o);
        } catch (RuntimeException | Error e) {
            o.close();
            throw e;
        }
        this.object = o;
        this.xsks = o.map("xdpml_xsks");
        this.counters = o.map("xdpml_xsk_counters");
        this.sampleN = sampleN;
        this.mirror = mirror;
        this.layout = PipelineObject.metadataLayout(o);
        assert this.layout == placed : this.layout + " set, " + placed + " meant";
    }

    /** Loads the program: every packet to the sockets, with metadata, others passed. */
    public static XskProgram load() { return load(1, XDP_PASS, true); }

    /** Loads the program with the given sampling, action for the rest, and metadata choice. */
    public static XskProgram load(int sampleN, int otherAction, boolean metadata) {
        return new XskProgram(sampleN, otherAction, metadata, false, DataPlaneSetup.BLOCKS_ONLY, null);
    }

    /**
     * {@link #load(int, int, boolean)} with the metadata placed as {@code layout} says whatever the
     * kernel: tests of {@link MetadataLayout#IN_FRAME} on kernels that allow bpf_xdp_adjust_meta
     * ({@link MetadataLayout#BEFORE_FRAME} fails to load where the kernel refuses it).
     */
    public static XskProgram load(int sampleN, int otherAction, boolean metadata, MetadataLayout layout) {
        return new XskProgram(sampleN, otherAction, metadata, false, DataPlaneSetup.BLOCKS_ONLY, layout);
    }

    /**
     * Loads the program in mirror mode: sampled packets are copied with their metadata into the
     * ring buffer {@link #mirrorRing()} ({@code struct xdpml_mirror_rec}) and passed on to the
     * stack instead of redirected to a socket; the others get {@code otherAction}.
     */
    public static XskProgram loadMirror(int sampleN, int otherAction) {
        return new XskProgram(sampleN, otherAction, true, true, DataPlaneSetup.BLOCKS_ONLY, null);
    }

    /**
     * Loads the composed program with the stages of {@code setup} before sampling (blocks always
     * on), 1-in-N sampling, and delivery to the mirror ring ({@code mirror}) or AF_XDP sockets.
     */
    public static XskProgram load(DataPlaneSetup setup, int sampleN, boolean mirror) {
        return new XskProgram(sampleN, XDP_PASS, true, mirror, setup, null);
    }

    /** Whether sampled packets are mirrored into {@link #mirrorRing()} rather than redirected. */
    public boolean mirror() { return mirror; }

    /** The mirror ring buffer ({@code xdpml_mirror}, BPF_MAP_TYPE_RINGBUF). */
    public BpfMap mirrorRing() { return object.map("xdpml_mirror"); }

    /** The 1-in-N sampling. */
    public int sampleN() { return sampleN; }

    /** The loaded object (maps, program). */
    public BpfObject object() { return object; }

    /** The XSKMAP (queue index to socket). */
    public BpfMap socketMap() { return xsks; }

    /**
     * Where this program puts the metadata of the frames it redirects ({@link MetadataLayout#BEFORE_FRAME}
     * when it writes none, or mirrors).
     */
    public MetadataLayout metadataLayout() { return layout; }

    /**
     * Puts {@code socket} into the XSKMAP at its queue, and tells it where this program puts the
     * metadata ({@link #metadataLayout()}), so its frames start at the packet either way; in front
     * of the frame, a packet longer than the socket's frames hold with it is not redirected
     * ({@link PipelineObject#fitSocket}).
     */
    public void register(XskSocket socket) {
        PipelineObject.fitSocket(object, socket);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, socket.fd());
            xsks.update(socket.queue(), v, BpfMap.BPF_ANY);
        }
    }

    /** Removes the socket of {@code queue} from the XSKMAP; false when there was none. */
    public boolean unregister(int queue) { return xsks.delete(queue); }

    /** Attaches to {@code ifindex} (calling thread's namespace) in {@code mode}. */
    public XdpAttachment attach(int ifindex, XdpMode mode) {
        if (attachment != null) throw new IllegalStateException("already attached to ifindex " + attachment.ifindex());
        attachment = XdpAttachment.attach(PipelineObject.attachPoint(object), ifindex, mode);
        return attachment;
    }

    /** The attachment, or null before {@link #attach}. */
    public XdpAttachment attachment() { return attachment; }

    /** The counters summed over CPUs. */
    public Map<XskCounter, Long> counters() {
        long[] sum = counters.sumPerCpuLongs(0);
        Map<XskCounter, Long> m = new EnumMap<>(XskCounter.class);
        for (XskCounter c : XskCounter.values()) m.put(c, sum[c.ordinal()]);
        return m;
    }

    /** Detaches (when attached), then closes the object. Idempotent. */
    @Override
    public void close() {
        try {
            if (attachment != null) attachment.close();
        } finally {
            object.close();
        }
    }
}
