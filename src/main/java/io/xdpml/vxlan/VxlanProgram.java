package io.xdpml.vxlan;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The gateway's BPF object ({@code xdp_vxlan_gw.bpf.o}) loaded with its options, its allowlist in
 * the firewall's maps (reused: FirewallMaps, two generations, atomic swap), its NAT table and
 * its egress.
 */
public final class VxlanProgram implements AutoCloseable {
    public static final String RESOURCE = "/bpf/xdp_vxlan_gw.bpf.o";
    public static final String ENTRY = "xdpml_vxlan_gw";
    /** struct xdpml_vx_nat_key: 0 family, 2 port (host order), 4 addr[16]. */
    static final int NAT_KEY_SIZE = 20;
    /** struct xdpml_vx_nat: 0 addr[16], 16 port (host order). */
    static final int NAT_VALUE_SIZE = 20;

    private final BpfObject object;
    private final BpfProgram program;
    private final FirewallMaps firewallMaps;
    private final VxlanOptions options;

    private VxlanProgram(BpfObject object, VxlanOptions options) {
        this.object = object;
        this.options = options;
        this.program = object.program(ENTRY);
        this.firewallMaps = new FirewallMaps(object::map);
    }

    /**
     * @param recordVerdict keep each packet's action and reason in {@code last_verdict} (tests)
     */
    public static VxlanProgram load(VxlanOptions options, boolean recordVerdict) {
        BpfObject obj = BpfObject.openResource(RESOURCE);
        try {
            obj.setConstant("cfg_vxlan_port", options.port());
            obj.setConstant("cfg_match_dst", options.matchDestination() ? 1 : 0);
            obj.setConstant("cfg_decap", options.decap() ? 1 : 0);
            obj.setConstant("cfg_clear_df", options.clearDf() ? 1 : 0);
            obj.setConstant("cfg_egress_xsk", options.egressXsk() ? 1 : 0);
            obj.setConstant("cfg_xsk_fallback", options.xskFallback() ? 1 : 0);
            obj.setConstant("cfg_record_verdict", recordVerdict ? 1 : 0);
            obj.setConstant("cfg_vni_filter", options.vnis() != null ? 1 : 0);
            obj.setMaxEntries("xdpml_vx_vnis", Math.max(1, options.vnis() == null ? 0 : options.vnis().size()));
            if (options.ethDst() != null) {
                obj.setConstant("cfg_rewrite_eth", 1);
                obj.setConstant("cfg_eth_dst", options.ethDst());
                obj.setConstant("cfg_eth_src", options.ethSrc());
            }
            // the firewall's tables are there for the allowlist only: small
            obj.setMaxEntries("xdpml_fw_lists", Math.max(1024, 2 * size(options.allowlist()) + 16));
            obj.setMaxEntries("xdpml_fw_rules", 16);
            obj.setMaxEntries("xdpml_fw_hits", 2);
            obj.setMaxEntries("xdpml_fw_ct", 16);
            obj.setMaxEntries("xdpml_fw_ct_new", 16); // the unassured connections: the same capacity
            obj.setMaxEntries("xdpml_fw_rate", 16);
            obj.setMaxEntries("xdpml_vx_nat", Math.max(16, options.nat().size()));
            obj.load();
            VxlanProgram p = new VxlanProgram(obj, options);
            p.installAllowlist(options.allowlist());
            p.installNat(options.nat());
            p.installVnis(options.vnis());
            return p;
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    private static int size(List<?> l) {
        return l == null ? 0 : l.size();
    }

    /**
     * Swaps in a new allowlist atomically (the firewall's two generations); null allows everything.
     * The prefixes go to the source or destination list as the program matches.
     */
    public void installAllowlist(List<io.xdpml.firewall.Prefix> allow) {
        FirewallConfig pass = FirewallConfig.passAll();
        if (allow == null) {
            firewallMaps.install(pass);
            return;
        }
        firewallMaps.install(new FirewallConfig(true, pass.malformedPass(), false, false, pass.timeoutSynNanos(),
                pass.timeoutEstablishedNanos(), pass.timeoutFinNanos(), pass.timeoutUdpNanos(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false,
                List.of(), List.of(), options.matchDestination() ? List.of() : allow,
                options.matchDestination() ? allow : List.of(), List.of()));
    }

    /** Adds the NAT entries (existing keys are replaced). */
    public void installNat(List<NatEntry> entries) {
        BpfMap m = object.map("xdpml_vx_nat");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(NAT_KEY_SIZE);
            MemorySegment v = a.allocate(NAT_VALUE_SIZE);
            for (NatEntry e : entries) {
                k.fill((byte) 0);
                v.fill((byte) 0);
                k.set(ValueLayout.JAVA_BYTE, 0, (byte) e.family());
                k.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 2, (short) e.port());
                MemorySegment.copy(e.keyAddress16(), 0, k, ValueLayout.JAVA_BYTE, 4, 16);
                MemorySegment.copy(e.newAddress(), 0, v, ValueLayout.JAVA_BYTE, 0, e.newAddress().length);
                v.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 16, (short) e.newPort());
                m.update(k, v, BpfMap.BPF_ANY);
            }
        }
    }

    /** The VNIs served (null: all; the filter is off, fixed at load). */
    private void installVnis(java.util.Set<Integer> vnis) {
        if (vnis == null) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(1);
            for (int vni : vnis) {
                object.map("xdpml_vx_vnis").update(vni, v, BpfMap.BPF_ANY);
            }
        }
    }

    /** Sets the egress interface of the DEVMAP redirect. */
    public void setEgress(int ifindex) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, ifindex);
            object.map("xdpml_vx_egress").update(0, v, BpfMap.BPF_ANY);
        }
    }

    /** Puts an AF_XDP socket into the XSKMAP for a receive queue. */
    public void setXsk(int queue, int socketFd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, socketFd);
            object.map("xdpml_vx_xsk").update(queue, v, BpfMap.BPF_ANY);
        }
    }

    /** Counters summed over CPUs, indexed by {@link VxlanCounter#slot()}. */
    public long[] counters() {
        return object.map("xdpml_vx_stats").sumPerCpuLongs(0);
    }

    public long counter(VxlanCounter c) {
        return counters()[c.slot()];
    }

    /** The last packet's recorded action (test mode). */
    public int lastAction() {
        return object.variable("last_verdict").get(ValueLayout.JAVA_INT, 0);
    }

    public VxlanCounter lastReason() {
        return VxlanCounter.ofSlot(object.variable("last_verdict").get(ValueLayout.JAVA_INT, 4));
    }

    public VxlanOptions options() { return options; }

    public BpfObject object() { return object; }

    public BpfProgram program() { return program; }

    @Override
    public void close() {
        object.close();
    }
}
