package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCsv;
import io.xdpml.flow.FlowEngine;
import io.xdpml.flow.FlowFeature;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowListing;
import io.xdpml.flow.FlowRecord;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.FlowReplay;
import io.xdpml.flow.FlowSink;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.flow.KernelFlowEngine;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.TestRun;
import io.xdpml.output.Endpoint;
import io.xdpml.output.EveWriter;
import io.xdpml.output.ipfix.IpfixExporter;
import io.xdpml.packet.TransportHeaders;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xdpml flows FILE}: the flow table of a capture. */
@Command(name = "flows", mixinStandardHelpOptions = true,
        header = "Every flow of a capture, once, with every feature and why it ended; or its flow records.",
        description = {"Track the flows of a capture with its own timing and print one row per flow, in the order of their"
            + " first packets: key, first/last time, packets and bytes per direction (src = the initiator), every feature"
            + " (docs/flows.md) and the end reason (tcp_close, idle, swept_idle, end: still going at the end of the capture)."
            + " A 5-tuple that goes idle or closes and comes back is two flows. The flows' packets add up to the tracked ones.",
            "--engine kernel replays it through the XDP flow pipeline (BPF_PROG_TEST_RUN, the capture's time as"
            + " the packet's time; needs root); --engine java through the reference tracker. Both give the same flows.",
            "--records shows the flow records instead, as Java receives them (docs/flows.md)."})
final class FlowsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "capture file (pcap or pcapng)")
    Path file;

    @Option(names = "--engine", defaultValue = "kernel", description = "kernel or java (default: ${DEFAULT-VALUE}; java when BPF is unusable)")
    EngineChoice engine;

    @ArgGroup(exclusive = true)
    Format format = new Format();

    static final class Format {
        @Option(names = "--csv", description = "CSV: src_addr,src_port,dst_addr,dst_port,protocol,first_ns,last_ns,"
                + "fwd_packets,bwd_packets,fwd_bytes,bwd_bytes, every feature, ip_version,vlan,vni,end_reason")
        boolean csv;

        @Option(names = "--json", description = "a JSON array of flows with the CSV's fields")
        boolean json;

        @Option(names = "--records", description = {"the flow records as they are emitted, one JSON object per line"
            + " (kernel: through the BPF ring buffer): at TCP close, idle restart, active timeout, tail (a closed flow"
            + " leaving the table), and from a final sweep"})
        boolean records;
    }

    @Option(names = "--eve", paramLabel = "OUT", description = "also write the flows as Suricata EVE JSON flow events to OUT"
            + " ('-': standard output, instead of the listing; docs/outputs.md)")
    String eve;

    @Option(names = "--ipfix", paramLabel = "HOST:PORT", description = "also export the flows as IPFIX over UDP to this collector"
            + " (docs/ipfix.md)")
    String ipfix;

    @Option(names = "--ipfix-file", paramLabel = "F", description = "also export the flows as IPFIX to this file (RFC 5655)")
    Path ipfixFile;

    @Option(names = "--active-timeout", defaultValue = "0", description = "seconds after which a long flow is reported again (0: never)")
    double activeTimeoutSeconds;

    @Option(names = "--sample-flows", defaultValue = "0", description = "mark 1 in N flows as sampled, by key hash (0: off)")
    int sampleFlows;

    @Option(names = "--sample-packets", defaultValue = "0", description = "sample 1 in N packets at random (kernel only; 0: off)")
    int samplePackets;

    @Option(names = "--idle-timeout", defaultValue = "120", description = "seconds of silence that end a flow (default: ${DEFAULT-VALUE})")
    double idleTimeoutSeconds;

    @Option(names = "--max-flows", defaultValue = "262144", description = "kernel flow table size (LRU beyond it; default: ${DEFAULT-VALUE})")
    int maxFlows;

    @Option(names = "--vxlan-port", defaultValue = "" + TransportHeaders.VXLAN_DEFAULT_PORT, description = "UDP port decoded as VXLAN, 0: none")
    int vxlanPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FlowConfig config = new FlowConfig(maxFlows, (long) (idleTimeoutSeconds * 1e9), vxlanPort)
                .withActiveTimeout((long) (activeTimeoutSeconds * 1e9)).withSampling(samplePackets, sampleFlows);
        EngineChoice chosen = engine;
        if (chosen == EngineChoice.kernel && BpfSupport.unavailableReason().isPresent()) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--engine")) {
                throw new IllegalStateException("the kernel engine needs BPF: " + BpfSupport.unavailableReason().get());
            }
            err.println("xdpml flows: kernel engine unavailable (" + BpfSupport.unavailableReason().get() + "); using --engine java");
            chosen = EngineChoice.java;
        }
        Function<FlowRecordListener, FlowEngine> engines = chosen == EngineChoice.kernel
                ? l -> new KernelFlowEngine(config, l) : l -> new JavaFlowEngine(config, TestRun.maxTestRunFrame(), l);
        FlowReplay.Result result;
        if (format.records) {
            if (ipfix != null || ipfixFile != null || eve != null) {
                throw new IllegalArgumentException("--eve, --ipfix and --ipfix-file export the listing, not --records");
            }
            result = records(engines, config, out);
        } else {
            FlowListing listing = FlowListing.of(file, engines, FlowRecordListener.NONE);
            result = listing.replay();
            if (result.damage() != null && result.packets() == 0) {
                throw result.damage(); // not a capture at all, or broken before its first packet
            }
            List<FlowSink> sinks = new ArrayList<>();
            try {
                boolean eveOnStdout = "-".equals(eve);
                if (!eveOnStdout) {
                    sinks.add(format.csv ? new CsvSink(out) : format.json ? new JsonSink(out) : new TextSink(out, listing, chosen));
                } else if (format.csv || format.json) {
                    throw new IllegalArgumentException("--eve - writes EVE to standard output: not with --csv or --json");
                }
                if (eve != null) {
                    sinks.add(eveOnStdout ? new EveWriter(out, false, EveWriter.Options.defaults())
                            : EveWriter.open(Path.of(eve), false, EveWriter.Options.defaults()));
                }
                IpfixExporter exporter = null;
                if (ipfix != null || ipfixFile != null) {
                    exporter = IpfixExporter.open(ipfix == null ? null : Endpoint.parse(ipfix, null), ipfixFile,
                            OutputsSection.DEFAULT_TEMPLATE_REFRESH, 0, IpfixExporter.captureTime());
                    sinks.add(exporter);
                }
                list(listing.flows(), sinks);
                if (exporter != null) {
                    exporter.close();
                    sinks.remove(exporter);
                    err.println("xdpml flows: IPFIX: " + exporter.flows() + " flows"
                            + (exporter.udp().messages() > 0 ? ", " + exporter.udp().messages() + " messages to " + ipfix
                                    + (exporter.udp().errors() > 0 ? " (" + exporter.udp().errors() + " send errors: "
                                            + exporter.udp().lastError() + ")" : "") : "")
                            + (ipfixFile != null ? ", " + exporter.file().bytes() + " bytes to " + ipfixFile : ""));
                }
            } finally {
                for (FlowSink sink : sinks) {
                    sink.close();
                }
            }
            if (listing.evictions() > 0 || listing.recordsLost() > 0) {
                err.printf("xdpml flows: %d flow(s) evicted from the full table, %d record(s) lost: their packets are missing"
                        + " from the listing (--max-flows)%n", listing.evictions(), listing.recordsLost());
            }
        }
        out.flush();
        if (result.cut() > 0 || result.runts() > 0) {
            err.printf("xdpml flows: %d frame(s) longer than %d bytes counted at that length (the XDP test-run limit, for"
                    + " both engines alike); %d runt(s) < 14 bytes not tracked%n", result.cut(), TestRun.maxTestRunFrame(),
                    result.runts());
        }
        if (result.damage() != null) {
            err.println("xdpml flows: " + result.damage().getMessage() + "; tracked the packets before it");
            return 3;
        }
        return 0;
    }

    /** The raw records as emitted, one JSON object per line, then those of a final sweep after every flow went idle. */
    private FlowReplay.Result records(Function<FlowRecordListener, FlowEngine> engines, FlowConfig config, PrintWriter out)
            throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        FlowRecord view = new FlowRecord();
        FlowRecordListener printer = (t, reason, k, s) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time_ns", t);
            m.put("reason", reason.label());
            m.putAll(json(view.wrap(k, s)));
            try {
                out.println(mapper.writeValueAsString(m));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
        };
        try (FlowEngine e = engines.apply(printer)) {
            FlowReplay.Result result = FlowReplay.replay(file, e);
            if (result.damage() != null && result.packets() == 0) {
                throw result.damage();
            }
            long[] last = {0};
            e.forEachFlow((k, v) -> last[0] = Math.max(last[0], FlowLayout.u64(v, FlowLayout.LAST_NS)));
            e.sweep(last[0] + config.idleTimeoutNanos() + 1, 0);
            return result;
        }
    }

    /** Hands every listed flow to every sink (the listing's outputs; EVE and IPFIX plug in here). */
    private static void list(List<EndedFlow> flows, List<FlowSink> sinks) {
        for (EndedFlow f : flows) {
            for (FlowSink s : sinks) {
                s.flow(f);
            }
        }
        sinks.forEach(FlowSink::flush);
    }

    /** {@code --csv}: FlowCsv. */
    private static final class CsvSink implements FlowSink {
        private final PrintWriter out;

        CsvSink(PrintWriter out) {
            this.out = out;
            out.println(FlowCsv.header());
        }

        @Override
        public void flow(EndedFlow f) {
            FlowCsv.row(out, f);
        }

        @Override
        public void flush() {
            out.flush();
        }
    }

    /** {@code --json}: one array, written at close. */
    private static final class JsonSink implements FlowSink {
        private final PrintWriter out;
        private final List<Map<String, Object>> rows = new ArrayList<>();

        JsonSink(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void flow(EndedFlow f) {
            Map<String, Object> m = json(f.view());
            m.put("end_reason", f.reason().label());
            rows.add(m);
        }

        @Override
        public void close() {
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                throw new IllegalStateException(ex);
            }
            out.flush();
        }
    }

    /** The text table, after a summary of the run and of the end reasons. */
    private final class TextSink implements FlowSink {
        private final PrintWriter out;

        TextSink(PrintWriter out, FlowListing l, EngineChoice chosen) {
            this.out = out;
            out.printf("%s  (engine: %s, %d packets, %d flows, %d not IP, %d idle restarts, %d evicted)%n", file, chosen,
                    l.replay().replayed(), l.flows().size(), l.notIp(), l.restarts(), l.evictions());
            StringBuilder b = new StringBuilder("ended by:");
            l.byReason().forEach((r, n) -> b.append(' ').append(n).append(' ').append(r.label()).append(','));
            if (b.charAt(b.length() - 1) == ',') {
                b.setLength(b.length() - 1);
            } else {
                b.append(" nothing");
            }
            b.append("; ").append(l.tailFlows()).append(" closed flow(s) absorbed ").append(l.tailPackets())
                    .append(" packet(s) after the close; ").append(l.packets()).append(" packets in the flows");
            if (l.activeReports() > 0) {
                b.append("; ").append(l.activeReports()).append(" active-timeout report(s) not listed");
            }
            out.println(b);
            out.printf("%-41s %-41s %5s %9s %9s %11s %11s %10s  %s%n", "source (initiator)", "destination", "proto",
                    "fwd pkts", "bwd pkts", "fwd bytes", "bwd bytes", "duration", "end");
        }

        @Override
        public void flow(EndedFlow f) {
            FlowRecord r = f.view();
            out.printf("%-41s %-41s %5d %9d %9d %11d %11d %9.3fs  %s%n",
                    endpoint(r.sourceAddress().getHostAddress(), r.sourcePort()),
                    endpoint(r.destinationAddress().getHostAddress(), r.destinationPort()), r.protocol(),
                    r.packets(FlowLayout.FWD), r.packets(FlowLayout.BWD), r.bytes(FlowLayout.FWD),
                    r.bytes(FlowLayout.BWD), r.feature(FlowFeature.DURATION_US) / 1e6, f.reason().label());
        }

        @Override
        public void flush() {
            out.flush();
        }
    }

    private static String endpoint(String addr, int port) {
        return (addr.indexOf(':') >= 0 ? "[" + addr + "]" : addr) + ":" + port;
    }

    private static Map<String, Object> json(FlowRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("src_addr", r.sourceAddress().getHostAddress());
        m.put("src_port", r.sourcePort());
        m.put("dst_addr", r.destinationAddress().getHostAddress());
        m.put("dst_port", r.destinationPort());
        m.put("protocol", r.protocol());
        m.put("first_ns", r.firstNanos());
        m.put("last_ns", r.lastNanos());
        m.put("fwd_packets", r.packets(FlowLayout.FWD));
        m.put("bwd_packets", r.packets(FlowLayout.BWD));
        m.put("fwd_bytes", r.bytes(FlowLayout.FWD));
        m.put("bwd_bytes", r.bytes(FlowLayout.BWD));
        for (FlowFeature f : FlowFeature.values()) {
            m.put(f.columnName(), r.feature(f));
        }
        m.put("ip_version", r.ipVersion());
        m.put("vlan", r.vlan());
        m.put("vni", r.vni());
        return m;
    }
}
