package io.xdpml.agent;

import io.xdpml.kernel.BpfMap;
import io.xdpml.xsk.MetadataLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Who runs a pipeline (struct xdpml_agent_info in pipeline.h, map {@code xdpml_agent}): written by
 * the agent, read from another shell through the pin.
 *
 * <pre>
 *   0 u32 pid   4 u32 stages   8 u64 started_ns   16 u32 reloads   20 u32 rejected
 *   24 u32 fw_rules   28 u32 model_classes   32 u32 flags   36 u32 pad   40 char config[256]   (296 bytes)
 * </pre>
 *
 * @param coarseClock flags bit 0: the program reads the coarse clock ({@code flows.clock: coarse},
 *                    fixed at load), so {@code xdpml deploy} refuses a model that reads a time.
 *                    Since 2026-12-06; an agent started before writes 0 there (precise)
 * @param metadata    flags bits 1-2: where the deliver stage puts the AF_XDP metadata of the frames it
 *                    redirects to sockets (1 {@link MetadataLayout#BEFORE_FRAME}, 2 {@link MetadataLayout#IN_FRAME}:
 *                    this kernel refuses bpf_xdp_adjust_meta, {@code cfg_meta_in_head}); null (0): no frames go to
 *                    AF_XDP sockets (mirror delivery, or none), or an agent older than 2026-12-06 that did not say
 */
public record AgentInfo(int pid, int stages, long startedNanos, int reloads, int rejected, int firewallRules, int modelClasses,
                        boolean coarseClock, MetadataLayout metadata, Path config) {
    static final int SIZE = 296;
    private static final int FLAGS = 32;
    private static final int FLAG_COARSE_CLOCK = 1;
    private static final int METADATA_SHIFT = 1;
    private static final int METADATA_MASK = 3 << METADATA_SHIFT;
    private static final int CONFIG = 40;
    private static final int CONFIG_MAX = 256;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    public static AgentInfo read(BpfMap map) {
        check(map);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(SIZE, 8);
            map.lookup(0, v);
            byte[] path = v.asSlice(CONFIG, CONFIG_MAX).toArray(ValueLayout.JAVA_BYTE);
            int n = 0;
            while (n < path.length && path[n] != 0) {
                n++;
            }
            int flags = v.get(U32, FLAGS);
            return new AgentInfo(v.get(U32, 0), v.get(U32, 4), v.get(U64, 8), v.get(U32, 16), v.get(U32, 20), v.get(U32, 24),
                    v.get(U32, 28), (flags & FLAG_COARSE_CLOCK) != 0, metadata(flags),
                    n == 0 ? null : Path.of(new String(path, 0, n, StandardCharsets.UTF_8)));
        }
    }

    public void write(BpfMap map) {
        check(map);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(SIZE, 8);
            v.set(U32, 0, pid);
            v.set(U32, 4, stages);
            v.set(U64, 8, startedNanos);
            v.set(U32, 16, reloads);
            v.set(U32, 20, rejected);
            v.set(U32, 24, firewallRules);
            v.set(U32, 28, modelClasses);
            v.set(U32, FLAGS, (coarseClock ? FLAG_COARSE_CLOCK : 0) | (metadata == null ? 0 : (metadata.ordinal() + 1) << METADATA_SHIFT));
            if (config != null) {
                byte[] p = config.toString().getBytes(StandardCharsets.UTF_8);
                if (p.length >= CONFIG_MAX) {
                    throw new IllegalArgumentException("configuration path longer than " + (CONFIG_MAX - 1) + " bytes: " + config);
                }
                MemorySegment.copy(p, 0, v, ValueLayout.JAVA_BYTE, CONFIG, p.length);
            }
            map.update(0, v, BpfMap.BPF_ANY);
        }
    }

    private static MetadataLayout metadata(int flags) {
        int m = (flags & METADATA_MASK) >>> METADATA_SHIFT;
        return m == 0 || m > MetadataLayout.values().length ? null : MetadataLayout.values()[m - 1];
    }

    public AgentInfo withReload(boolean ok, int rules, int classes) {
        return new AgentInfo(pid, stages, startedNanos, reloads + 1, rejected + (ok ? 0 : 1), ok ? rules : firewallRules,
                ok ? classes : modelClasses, coarseClock, metadata, config);
    }

    /** This with {@code rules} firewall rules in force. */
    AgentInfo withFirewallRules(int rules) {
        return new AgentInfo(pid, stages, startedNanos, reloads, rejected, rules, modelClasses, coarseClock, metadata, config);
    }

    /** This with a model of {@code classes} classes in force. */
    AgentInfo withModelClasses(int classes) {
        return new AgentInfo(pid, stages, startedNanos, reloads, rejected, firewallRules, classes, coarseClock, metadata, config);
    }

    /** Whether the process that wrote it still runs. */
    public boolean alive() {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void check(BpfMap map) {
        if (map.valueSize() != SIZE) {
            throw new IllegalStateException("xdpml_agent value is " + map.valueSize() + " bytes, AgentInfo says " + SIZE);
        }
    }
}
