package io.xdpml.firewall;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.pipeline.Pipelines;

/** The firewall pipeline's BPF object, loaded with its map limits and mode, and its maps. */
public final class FirewallProgram implements AutoCloseable {
    /** Map sizes, fixed at load. */
    public record Limits(int listEntries, int ruleEntries, int maxRules, int connections, int sources) {
        public static Limits defaults() {
            return new Limits(1 << 20, 1 << 20, 1 << 16, 1 << 16, 1 << 16);
        }
    }

    private final BpfObject object;
    private final FirewallMaps maps;
    private final FirewallMeasures measures;
    private final BpfProgram program;

    private FirewallProgram(BpfObject object) {
        this.object = object;
        this.maps = new FirewallMaps(object::map);
        this.measures = new FirewallMeasures(object::map);
        this.program = object.program(Pipelines.get("firewall").program());
    }

    /**
     * @param testMode the packet clock is {@code test_clock_ns} and each packet's verdict is kept in
     *                 {@code last_verdict} (for BPF_PROG_TEST_RUN)
     */
    public static FirewallProgram load(Limits limits, int vxlanPort, boolean testMode) {
        BpfObject obj = Pipelines.get("firewall").open();
        try {
            obj.setConstant("cfg_vxlan_port", vxlanPort);
            obj.setConstant("cfg_test_clock", testMode ? 1 : 0);
            obj.setConstant("cfg_record_verdict", testMode ? 1 : 0);
            obj.setMaxEntries("xdpml_fw_lists", limits.listEntries());
            obj.setMaxEntries("xdpml_fw_rules", limits.ruleEntries());
            obj.setMaxEntries("xdpml_fw_hits", 2 * limits.maxRules());
            obj.setMaxEntries("xdpml_fw_ct", limits.connections());
            obj.setMaxEntries("xdpml_fw_ct_new", limits.connections()); // the unassured connections: the same capacity
            obj.setMaxEntries("xdpml_fw_rate", limits.sources());
            obj.load();
            FirewallProgram p = new FirewallProgram(obj);
            p.maps.install(FirewallConfig.passAll());
            return p;
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    public BpfObject object() { return object; }

    public BpfProgram program() { return program; }

    public FirewallMaps maps() { return maps; }

    /** The measures (dynamic entries with an expiry, kept across config reloads). */
    public FirewallMeasures measures() { return measures; }

    @Override
    public void close() {
        object.close();
    }
}
