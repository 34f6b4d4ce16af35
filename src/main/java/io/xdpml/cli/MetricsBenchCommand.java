package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.MetricsBench;
import io.xdpml.kernel.BpfSupport;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench metrics}: veth Mpps through a running agent with /metrics scraped, and without, in one run. */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        header = "Mpps through a running agent with its /metrics scraped (every --scrape-every seconds) and without, in one run.",
        description = {"A real agent (blocks, firewall with conntrack and one rule, flow table, 1-in-N sampling to the mirror ring,"
            + " the default detectors, outputs.metrics) on one end of a veth pair in a namespace of its own; live frames sent flat"
            + " out into the other end for --seconds per run; runs without and with a thread that GETs /metrics every"
            + " --scrape-every seconds alternate (--runs pairs; medians). The rate is of frames the agent's program counted;"
            + " beside it the scrapes' time and size. Needs root."})
final class MetricsBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--frame", defaultValue = "udp4", description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    BenchCommand.FrameKind frame;

    @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--seconds", defaultValue = "5", description = "seconds of traffic per run (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--runs", defaultValue = "3", description = "pairs of runs, without and with scraping (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--sample", defaultValue = "100", description = "the agent samples 1 in N packets to Java (default: ${DEFAULT-VALUE})")
    int sample;

    @Option(names = "--scrape-every", defaultValue = "1", description = "seconds between scrapes (default: ${DEFAULT-VALUE})")
    double scrapeEvery;

    @Option(names = "--flows", defaultValue = "0", description = "flows put into the flow table first (a scrape counts its entries; default: ${DEFAULT-VALUE})")
    int flows;

    @Option(names = "--json", description = "print {no_scrape: mpps, scraped: mpps, scrape_ms: mean, scrape_bytes: n}")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (runs < 1 || seconds <= 0 || scrapeEvery <= 0 || sample < 1 || flows < 0 || flows > 65536) {
            throw new IllegalArgumentException("--runs, --seconds, --scrape-every and --sample must be positive, --flows 0 to 65536");
        }
        byte[] bytes = BenchOptions.frame(frame, size);
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("bench metrics needs BPF: " + why);
        });
        MetricsBench.Result r = MetricsBench.run(bytes, seconds, runs, sample, scrapeEvery, flows, json ? null : out);
        MetricsBench.Run off = r.medianOff();
        MetricsBench.Run on = r.medianOn();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("no_scrape", off.mpps());
            m.put("scraped", on.mpps());
            m.put("scrape_ms", on.meanScrapeMillis());
            m.put("scrape_bytes", on.bytes());
            m.put("idle_scrape_ms", r.idleScrapeMillis());
            m.put("scrape_cpu_ms", r.scrapeCpuMillis());
            out.println(new ObjectMapper().writeValueAsString(m));
        } else {
            out.printf("agent on veth (native XDP), %d-byte %s frames, 1 in %d to Java, %s s per run, median of %d runs each,"
                    + " runs alternating;%n%d flows in the table; a scrape without traffic %.1f ms, %.1f ms of CPU%n", bytes.length,
                    frame.description, sample, trim(seconds), runs, flows, r.idleScrapeMillis(), r.scrapeCpuMillis());
            out.printf("%-24s %8s %10s %12s %12s %10s%n", "", "Mpps", "vs none", "scrapes/run", "ms/scrape", "bytes");
            out.printf("%-24s %8.2f %10s %12s %12s %10s%n", "no scrape", off.mpps(), "1.00x", "-", "-", "-");
            out.printf("%-24s %8.2f %9.3fx %12d %12.1f %10d%n", "scraped every " + trim(scrapeEvery) + " s", on.mpps(),
                    on.mpps() / off.mpps(), on.scrapes(), on.meanScrapeMillis(), on.bytes());
        }
        out.flush();
        return 0;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
