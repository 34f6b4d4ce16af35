package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.TransportHeaders;
import io.xdpml.pipeline.CaptureInspector;
import io.xdpml.pipeline.ParseEngine;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xdpml inspect FILE}: the parser's counters for a capture. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        header = "Protocol and parse-error counters of a capture (kernel or Java parser).",
        description = {"Parse every packet of a capture (pcap or pcapng) and print the protocol and parse-error counters.",
            "--engine kernel runs each packet through the real XDP program with BPF_PROG_TEST_RUN (needs root);"
            + " --engine java through the Java reference parser. Both give identical counters (docs/parser.md).",
            "A damaged capture is counted up to the damage, which is reported with its byte offset (exit code 3)."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "capture file (pcap or pcapng, detected by content)")
    Path file;

    @Option(names = "--engine", defaultValue = "kernel",
            description = "kernel or java (default: ${DEFAULT-VALUE}; falls back to java with a message when BPF is unusable)")
    EngineChoice engine;

    @Option(names = "--json", description = "print one JSON object: packets, ethernet, vlan, ipv4, ipv6, tcp, udp, icmp, icmpv6, vxlan, fragments, errors{reason: count}")
    boolean json;

    @Option(names = "--vxlan-port", defaultValue = "" + TransportHeaders.VXLAN_DEFAULT_PORT,
            description = "UDP destination port decoded as VXLAN, 0: none (default: ${DEFAULT-VALUE})")
    int vxlanPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (vxlanPort < 0 || vxlanPort > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--vxlan-port must be 0..65535: " + vxlanPort);
        }
        EngineChoice chosen = engine;
        if (chosen == EngineChoice.kernel && io.xdpml.kernel.BpfSupport.unavailableReason().isPresent()
                && !spec.commandLine().getParseResult().hasMatchedOption("--engine")) {
            err.println("xdpml inspect: kernel engine unavailable (" + io.xdpml.kernel.BpfSupport.unavailableReason().get()
                    + "); using --engine java");
            chosen = EngineChoice.java;
        }
        ParseCounters counters;
        CaptureInspector.Result result;
        try (ParseEngine e = chosen.open(vxlanPort)) {
            result = CaptureInspector.inspect(file, e, null);
            counters = e.counters();
        }
        if (result.damage() != null && result.packets() == 0) {
            throw result.damage(); // not a capture at all, or broken before its first packet
        }
        if (json) {
            Map<String, Object> m = counters.toJsonMap();
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(m));
        } else {
            printTable(out, chosen, counters, result);
        }
        if (result.damage() != null) {
            err.println("xdpml inspect: " + result.damage().getMessage() + "; counted the " + result.packets()
                    + " packet(s) before it");
        }
        if (result.cut() > 0 || result.runts() > 0 || result.unframeable() > 0) {
            err.printf("xdpml inspect: %d frame(s) cut to %d bytes (the XDP test-run limit), %d runt(s) < 14 bytes and %d"
                    + " unframeable packet(s) not parsed%n", result.cut(), engineLimit(chosen), result.runts(), result.unframeable());
        }
        out.flush();
        return result.damage() == null ? 0 : 3;
    }

    private int engineLimit(EngineChoice c) {
        return io.xdpml.kernel.TestRun.maxTestRunFrame();
    }

    private void printTable(PrintWriter out, EngineChoice chosen, ParseCounters c, CaptureInspector.Result r) {
        out.printf("%s  (engine: %s, %d packets%s)%n", file, chosen, r.packets(),
                r.framed() > 0 ? ", " + r.framed() + " framed as Ethernet" : "");
        Map<String, Long> protocols = new LinkedHashMap<>();
        for (ParseCounter pc : ParseCounter.values()) {
            if (!pc.isError()) {
                protocols.put(pc.jsonName(), c.get(pc));
            }
        }
        long packets = Math.max(1, c.get(ParseCounter.PACKETS));
        protocols.forEach((k, v) -> out.printf("  %-24s %12d  %6.2f%%%n", k, v, 100.0 * v / packets));
        boolean any = false;
        for (ParseCounter pc : ParseCounter.values()) {
            if (pc.isError() && c.get(pc) != 0) {
                if (!any) {
                    out.println("  errors:");
                    any = true;
                }
                out.printf("    %-22s %12d  %6.2f%%%n", pc.jsonName(), c.get(pc), 100.0 * c.get(pc) / packets);
            }
        }
        if (!any) {
            out.println("  errors: none");
        }
    }
}
