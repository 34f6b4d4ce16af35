package io.xdpml.dataplane;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The CPU spread of the composed program (bpf/include/xdpml/cpumap.h): for a NIC with one receive
 * queue. The interface runs {@code xdpml_cpu_pick}, which hashes each frame's flow symmetrically
 * and redirects it into a BPF_MAP_TYPE_CPUMAP; the whole pipeline runs as that map's program on
 * the flow's CPU. What the pipeline decides does not change (the same program, the same stages;
 * every packet of a flow on one CPU), so the Java twin has nothing to add.
 *
 * <p>The hash ({@link #cpuOf}, the kernel's in cpumap.h): the addresses, and for TCP whose ports
 * the parser reads, the ports; everything else (UDP, fragments, other protocols) by the addresses
 * alone, so that every packet the pipeline keys to one flow, a first fragment with the flow's
 * whole datagrams, runs on one CPU (since 2026-12-06; before, a UDP flow's first fragments went by
 * the addresses and its whole datagrams by addresses and ports: two CPUs updating one flow). The
 * cost: all UDP between two hosts runs on one CPU.
 *
 * <p>What cannot run there: AF_XDP delivery (the kernel runs a CPUMAP program with receive queue 0
 * for every frame, so the sockets of the other queues cannot be fed; not supported), and
 * XDP_TX as the default action (a CPUMAP program may return XDP_PASS, XDP_DROP or XDP_REDIRECT;
 * the kernel drops XDP_TX as an invalid action). {@link #configure} refuses both.
 *
 * @param cpus      the CPUs, each once, 0 to {@link #MAX_CPUS} - 1
 * @param queueSize frames each CPU's queue holds (the kernel's limit: 1 to {@link #MAX_QUEUE_SIZE});
 *                  a full queue drops the frame (counted by the kernel's xdp_cpumap_enqueue tracepoint,
 *                  and here as redirected minus what entered the pipeline)
 */
public record CpuSpread(List<Integer> cpus, int queueSize) {
    /** xdpml_cpumap_cpus' slots (XDPML_CPUMAP_MAX_CPUS). */
    public static final int MAX_CPUS = 64;
    /** The kernel's limit on a CPUMAP entry's queue (kernel/bpf/cpumap.c). */
    public static final int MAX_QUEUE_SIZE = 16384;
    public static final int DEFAULT_QUEUE_SIZE = 2048;
    /** The program attached to the interface when the spread is on. */
    public static final String PICK = "xdpml_cpu_pick";

    /** struct xdpml_cpumap_stats, in order. */
    public enum Counter { REDIRECTED, FAILED, ADDRESSES, NOT_IP }

    public CpuSpread {
        cpus = List.copyOf(cpus);
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("cpumap needs at least one CPU");
        }
        if (new HashSet<>(cpus).size() != cpus.size()) {
            throw new IllegalArgumentException("cpumap names a CPU twice: " + cpus);
        }
        for (int c : cpus) {
            if (c < 0 || c >= MAX_CPUS) {
                throw new IllegalArgumentException("CPU " + c + " is out of range (0 to " + (MAX_CPUS - 1) + ")");
            }
        }
        if (queueSize < 1 || queueSize > MAX_QUEUE_SIZE) {
            throw new IllegalArgumentException("queue-size must be 1 to " + MAX_QUEUE_SIZE + ", not " + queueSize);
        }
    }

    /** Before load: switches the spread on in the opened composed program (after the stages' constants are set). */
    public void configure(BpfObject opened) {
        String why = refusal(opened);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        int possible = BpfMap.possibleCpus();
        for (int c : cpus) {
            if (c >= possible) {
                throw new IllegalArgumentException("cpumap: CPU " + c + " does not exist here (" + possible + " possible CPUs)");
            }
        }
        opened.setConstant("cfg_cpumap_n", cpus.size());
        opened.setMaxEntries("xdpml_cpumap", possible);
        // the pipeline and every program it tail-calls run from the CPUMAP: one attach type for all
        // (a prog array takes only programs of its owner's attach type)
        for (BpfProgram p : opened.programs()) {
            if (!p.name().equals(PICK)) {
                p.setExpectedAttachType(BpfProgram.BPF_XDP_CPUMAP);
            }
        }
        opened.afterLoad(this::install);
    }

    /**
     * Why the spread cannot run with the stages an opened program has (read from its constants), or
     * null when it can.
     */
    public static String refusal(BpfObject opened) {
        int sample = opened.variable("cfg_sample").get(ValueLayout.JAVA_BYTE, 0);
        int model = opened.variable("cfg_model").get(ValueLayout.JAVA_BYTE, 0);
        int mirror = opened.variable("cfg_mirror").get(ValueLayout.JAVA_BYTE, 0);
        int action = opened.variable("cfg_action").get(ValueLayout.JAVA_INT, 0);
        if ((sample != 0 || model != 0) && mirror == 0) {
            return "cpumap cannot deliver to AF_XDP sockets: behind the CPU spread the pipeline runs in a CPU's kernel thread, where"
                    + " every frame has receive queue 0 (not supported); use delivery to: mirror";
        }
        if (action == 3) { // XDP_TX
            return "cpumap cannot end packets with XDP_TX (a CPUMAP program may pass, drop or redirect)";
        }
        return null;
    }

    /** After load, before attach: the CPUs into the slots, the pipeline into each CPU's entry. */
    private void install(BpfObject loaded) {
        BpfMap slots = loaded.map("xdpml_cpumap_cpus");
        BpfMap map = loaded.map("xdpml_cpumap");
        int prog = loaded.program(PipelineObject.ENTRY).fd();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8, 8);
            for (int i = 0; i < cpus.size(); i++) {
                v.set(ValueLayout.JAVA_INT, 0, cpus.get(i));
                slots.update(i, v, BpfMap.BPF_ANY);
            }
            for (int c : cpus) { // struct bpf_cpumap_val: qsize, then the program's fd
                v.set(ValueLayout.JAVA_INT, 0, queueSize);
                v.set(ValueLayout.JAVA_INT, 4, prog);
                map.update(c, v, BpfMap.BPF_ANY);
            }
        }
    }

    /**
     * The spread a composed program runs, read from its maps ({@code maps}: the pins, or a loaded
     * object's): the CPUs that have an entry in xdpml_cpumap, in their slots' order
     * (xdpml_cpumap_cpus), and the queue size of the first; null when none has one (the spread is
     * off: {@link #install} fills no entry). What runs, whatever the agent's file says now.
     */
    public static CpuSpread running(Function<String, BpfMap> maps) {
        BpfMap map = maps.apply("xdpml_cpumap");
        java.util.Set<Integer> present = new java.util.LinkedHashSet<>();
        int queueSize = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(Math.max(8, map.valueSize()), 8);
            for (int c = 0; c < Math.min(map.maxEntries(), MAX_CPUS); c++) {
                if (map.lookup(c, v)) { // struct bpf_cpumap_val: qsize, then the program
                    present.add(c);
                    if (queueSize == 0) {
                        queueSize = v.get(ValueLayout.JAVA_INT, 0);
                    }
                }
            }
            if (present.isEmpty()) {
                return null;
            }
            BpfMap slots = maps.apply("xdpml_cpumap_cpus");
            List<Integer> order = new java.util.ArrayList<>();
            for (int i = 0; i < slots.maxEntries() && order.size() < present.size(); i++) {
                if (slots.lookup(i, v) && present.contains(v.get(ValueLayout.JAVA_INT, 0)) && !order.contains(v.get(ValueLayout.JAVA_INT, 0))) {
                    order.add(v.get(ValueLayout.JAVA_INT, 0));
                }
            }
            present.stream().filter(c -> !order.contains(c)).forEach(order::add); // an entry no slot names: last
            return new CpuSpread(order, Math.clamp(queueSize, 1, MAX_QUEUE_SIZE));
        }
    }

    /** Whether a loaded composed program has the spread on. */
    public static boolean on(BpfObject loaded) {
        return loaded.variable("cfg_cpumap_n").get(ValueLayout.JAVA_INT, 0) != 0;
    }

    /** struct xdpml_cpumap_stats of each CPU (index: CPU, then {@link Counter}). */
    public static long[][] countersPerCpu(BpfMap stats) {
        int cpus = BpfMap.possibleCpus();
        long stride = stats.perCpuValueStride();
        long[][] out = new long[cpus][Counter.values().length];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key = a.allocate(4);
            MemorySegment all = a.allocate(stride * cpus, 8);
            if (stats.lookupPerCpu(key, all)) {
                for (int c = 0; c < cpus; c++) {
                    for (int i = 0; i < out[c].length; i++) {
                        out[c][i] = all.get(ValueLayout.JAVA_LONG, c * stride + i * 8L);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The slot (index into {@link #cpus}) of a frame: the kernel's hash (cpumap.h), for tests that
     * predict where each flow runs.
     */
    public int slotOf(byte[] frame) {
        long h = hash(frame);
        if (h < 0) {
            return 0;
        }
        return (int) (((mix((int) h) & 0xffffffffL) * cpus.size()) >>> 32);
    }

    /** The CPU a frame's flow runs on. */
    public int cpuOf(byte[] frame) {
        return cpus.get(slotOf(frame));
    }

    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x7feb352d;
        h ^= h >>> 15;
        h *= 0x846ca68b;
        h ^= h >>> 16;
        return h;
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    /**
     * cpumap.h's xdpml_cpumap_hash as an unsigned 32-bit value, or -1 for "not IP": the parser's
     * reading of the outer frame (VXLAN not decoded), the addresses, and for TCP whose ports the
     * parser read, the ports. Not for a hot path: it allocates.
     */
    static long hash(byte[] f) {
        ParseSummary s = new ParseSummary();
        new PacketParser(0).parse(MemorySegment.ofArray(f), f.length, s);
        int l3 = s.l3Offset();
        int h = 0;
        if (s.has(ParseFlags.IPV4)) {
            h = le32(f, l3 + 12) ^ le32(f, l3 + 16);
        } else if (s.has(ParseFlags.IPV6)) {
            for (int w = 2; w < 10; w++) {
                h ^= le32(f, l3 + 4 * w);
            }
        } else {
            return -1;
        }
        if (s.l4Protocol() == 6) {
            h ^= (s.sourcePort() ^ s.destinationPort()) << 8;
        }
        return h & 0xffffffffL;
    }

    /** The online CPUs of this machine (/sys/devices/system/cpu/online), or null when it cannot tell. */
    public static BitSet onlineCpus() {
        try {
            String s = Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
            BitSet b = new BitSet();
            for (String part : s.split(",")) {
                String[] r = part.split("-");
                int lo = Integer.parseInt(r[0].strip());
                int hi = r.length > 1 ? Integer.parseInt(r[1].strip()) : lo;
                b.set(lo, hi + 1);
            }
            return b;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** As written in the configuration's check: "cpus 0,1, queue-size 2048". */
    public String describe() {
        return "cpus " + cpus.stream().map(String::valueOf).collect(Collectors.joining(",")) + ", queue-size " + queueSize;
    }
}
