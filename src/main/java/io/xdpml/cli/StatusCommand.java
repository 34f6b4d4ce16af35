package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xdpml.agent.AgentPins;
import io.xdpml.agent.StatusReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml status}: a running agent's pipeline, stage by stage, from another shell. */
@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show what a running agent's pipeline does, stage by stage (from its pinned maps).",
        description = {"Reads the maps a running 'xdpml run' pins under /sys/fs/bpf/xdpml/agent/IF/: the agent (pid, file,"
            + " reloads), the configuration's generation, and for each stage that is on the packets in, passed and dropped,"
            + " with its own counters: parse errors, blocks by reason, firewall reasons and rule hits, the flow table, the"
            + " model's classes, sampling, delivery losses (ring full, no socket, over the rate cap) and, with AF_XDP, where the frames' metadata"
            + " travels (before the frame, or in front of it where the kernel refuses bpf_xdp_adjust_meta), the actions at the end."
            + " --json prints one object per interface (docs/agent.md). Needs root."})
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--iface", paramLabel = "IF", description = "the interface (default: every interface with an agent)")
    String iface;

    @Option(names = "--json", description = "one JSON object per interface (a JSON array with several)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<String> ifaces = iface != null ? List.of(iface) : AgentPins.interfaces();
        if (ifaces.isEmpty()) {
            spec.commandLine().getErr().println("xdpml status: no agent runs (nothing pinned under " + AgentPins.ROOT + ")");
            return 1;
        }
        List<Map<String, Object>> reports = new ArrayList<>();
        for (String i : ifaces) {
            reports.add(StatusReport.of(i));
        }
        if (json) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(m.writeValueAsString(reports.size() == 1 ? reports.get(0) : reports));
        } else {
            for (Map<String, Object> r : reports) {
                StatusReport.lines(r).forEach(out::println);
            }
        }
        out.flush();
        return 0;
    }
}
