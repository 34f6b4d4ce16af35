package io.xdpml.firewall;

import io.xdpml.kernel.TestRun;
import java.lang.foreign.MemorySegment;

/**
 * The kernel's firewall (xdp_firewall.bpf.c) in test mode: each frame one BPF_PROG_TEST_RUN with
 * the given time as the packet clock; the verdict read back from {@code last_verdict}.
 */
public final class KernelFirewall implements FirewallEngine {
    private static final int XDP_DROP = 1;
    private static final int XDP_TX = 3;
    private static final int XDP_PASS = 2;

    private final FirewallProgram program;
    private final TestRun run;
    private final MemorySegment clock;
    private final MemorySegment verdict;
    private final FirewallMeasures measures;
    private final OwnAddresses own;
    private int rules;
    private int slotBase;
    private int lastRule = -1;

    public KernelFirewall(FirewallProgram.Limits limits, int vxlanPort) {
        this.program = FirewallProgram.load(limits, vxlanPort, true);
        try {
            this.run = program.program().testRun();
            this.clock = program.object().variable("test_clock_ns");
            this.verdict = program.object().variable("last_verdict");
            this.measures = program.measures();
            this.own = new OwnAddresses(program.object()::map);
        } catch (RuntimeException e) {
            program.close();
            throw e;
        }
    }

    public FirewallProgram program() { return program; }

    public TestRun testRun() { return run; }

    @Override
    public void install(FirewallConfig config) {
        program.maps().install(config);
        rules = config.rules().size();
        slotBase = program.maps().activeSlotBase();
    }

    @Override
    public FirewallCounter packet(MemorySegment frame, int length, long nowNanos) {
        clock.set(FirewallLayout.U64, 0, nowNanos);
        int action = run.run(frame, length);
        FirewallCounter reason = FirewallCounter.of(verdict.get(FirewallLayout.U32, FirewallLayout.VERDICT_REASON));
        int slot = verdict.get(FirewallLayout.U32, FirewallLayout.VERDICT_SLOT);
        lastRule = slot == FirewallLayout.NO_RULE ? -1 : slot - slotBase;
        if (reason == null || action != (reason.passes() ? XDP_PASS : reason.kind() == FirewallCounter.Kind.ANSWER ? XDP_TX : XDP_DROP)) {
            throw new IllegalStateException("kernel verdict " + reason + " with XDP action " + action);
        }
        return reason;
    }

    @Override
    public int lastRule() { return lastRule; }

    @Override
    public void putMeasure(Measure m) { measures.put(m); }

    @Override
    public boolean removeMeasure(Measure m) { return measures.remove(m); }

    @Override
    public java.util.List<Measure> measures() { return measures.list(); }

    @Override
    public void ownAddresses(java.util.Collection<java.net.InetAddress> addresses,
                             java.util.Collection<java.net.InetAddress> destinations) {
        own.set(addresses, destinations);
    }

    @Override
    public void cookieInterface(int ifindex, byte[] mac, byte[] master) {
        new CookieInterfaces(program.object()::map).set(ifindex, mac, master);
    }

    @Override
    public long counter(FirewallCounter c) { return program.maps().counter(c); }

    @Override
    public long[] ruleHits() { return program.maps().ruleHits(rules); }

    @Override
    public String name() { return "kernel"; }

    @Override
    public void close() {
        run.close();
        program.close();
    }
}
