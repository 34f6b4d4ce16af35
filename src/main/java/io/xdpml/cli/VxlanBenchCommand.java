package io.xdpml.cli;

import io.xdpml.kernel.BpfSupport;
import io.xdpml.vxlan.VxlanBench;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench vxlan}: the VXLAN gateway's ns per packet and end-to-end Mpps (docs/vxlan.md). */
@Command(name = "vxlan", mixinStandardHelpOptions = true,
        header = "VXLAN gateway: ns per packet (BPF_PROG_TEST_RUN) and Mpps through veth for both egress paths.",
        description = {"The frame: outer IPv4/UDP 4789, inner IPv4/UDP (96 bytes); allowlist hit, NAT applied, DF cleared,"
            + " decap end to end; the test run is in forward mode with an identity NAT (a test run does not restore the"
            + " packet between repetitions: decap would make every repetition after the first a different packet). End to end: live frames into a veth pair, the gateway on its far"
            + " end, out of a second veth pair (DEVMAP redirect, or AF_XDP RX -> Java -> AF_XDP TX) into a counting sink."})
final class VxlanBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--repeat", defaultValue = "2000000", description = "test-run repetitions per call (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--runs", defaultValue = "5", description = "calls / veth runs; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--frames", defaultValue = "5000000", description = "frames per veth run (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--allow-entries", defaultValue = "1", description = "allowlist size for the test run (default: ${DEFAULT-VALUE})")
    int allowEntries;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BenchOptions.requirePositive("--repeat", repeat);
        BenchOptions.requirePositive("--runs", runs);
        BenchOptions.requirePositive("--frames", frames);
        BenchOptions.requirePositive("--allow-entries", allowEntries);
        var why = BpfSupport.unavailableReason();
        if (why.isPresent()) {
            spec.commandLine().getErr().println("xdpml bench vxlan: needs root and BPF: " + why.get());
            return 1;
        }
        VxlanBench.TestRunResult t = VxlanBench.testRun(allowEntries, repeat, runs);
        out.printf("BPF_PROG_TEST_RUN, %d-byte VXLAN frame, repeat %d, median of %d runs; drop: a bare XDP_DROP called after"
                + " every timed call (same packet, same repeat)%n", VxlanBench.frame().length, repeat, runs);
        out.printf("%-48s %10s %8s%n", "program", "ns/packet", "x drop");
        out.printf(Locale.ROOT, "%-48s %10.1f %7.2fx%n", "drop", t.dropNanos(), 1.0);
        out.printf(Locale.ROOT, "%-48s %10.1f %7.2fx%n", "gateway (forward mode, allowlist hit, NAT, redirect)", t.gatewayNanos(),
                t.ratioToDrop());
        out.flush();
        for (boolean xsk : new boolean[] {false, true}) {
            java.util.List<VxlanBench.VethResult> rs = new java.util.ArrayList<>();
            for (int i = 0; i < runs; i++) {
                rs.add(VxlanBench.veth(xsk, frames));
            }
            rs.sort(java.util.Comparator.comparingDouble(VxlanBench.VethResult::mpps));
            VxlanBench.VethResult m = rs.get(rs.size() / 2);
            out.printf("veth %-8s %.2f Mpps (median of %d; %d of %d frames reached the sink)%n", m.path(), m.mpps(), runs,
                    m.received(), m.sent());
            out.flush();
        }
        return 0;
    }
}
