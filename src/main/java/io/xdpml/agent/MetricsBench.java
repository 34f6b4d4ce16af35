package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.util.TempDirectory;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.pipeline.LiveFrameGenerator;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code xdpml bench metrics}: what serving {@code /metrics} costs the data path. A real agent
 * (blocks, a firewall with conntrack and one rule, the flow table, 1-in-N sampling to the mirror
 * ring, the default detectors, {@code outputs.metrics}) on one end of a veth pair in a namespace of
 * its own; live frames sent flat out into the other end for a fixed time per run; runs without
 * scraping and with a thread that GETs {@code /metrics} every interval (as Prometheus would)
 * alternate (in pairs whose order alternates too), so that both see the same machine. The rate is of frames the agent's program counted.
 */
public final class MetricsBench {
    /**
     * One run.
     *
     * @param scraped     whether /metrics was scraped during it
     * @param packets     frames the agent's program counted
     * @param nanos       how long frames were sent
     * @param scrapes     scrapes during the run
     * @param scrapeNanos their total time (request to the last byte)
     * @param maxScrapeNanos the longest
     * @param bytes       size of the last exposition
     */
    public record Run(boolean scraped, long packets, long nanos, int scrapes, long scrapeNanos, long maxScrapeNanos, int bytes) {
        public double mpps() {
            return packets * 1e3 / nanos;
        }

        public double meanScrapeMillis() {
            return scrapes == 0 ? 0 : scrapeNanos / 1e6 / scrapes;
        }
    }

    /**
     * Every run in order, the medians, and a scrape without traffic: its wall time and the CPU this
     * process spent on it (server and client, over the same time asleep; ms).
     */
    public record Result(List<Run> runs, Run medianOff, Run medianOn, double idleScrapeMillis, double scrapeCpuMillis) {}

    private static final int PORT = 9464;

    private MetricsBench() {}

    /**
     * Runs {@code runs} pairs (without, with scraping) of {@code seconds} each.
     *
     * @param sampleN     the agent's sampling: 1 in N to Java
     * @param scrapeEvery seconds between scrapes
     * @param flows       flows put into the flow table before the runs (a scrape counts its entries), one frame each
     */
    public static Result run(byte[] frame, double seconds, int runs, int sampleN, double scrapeEvery, int flows, PrintWriter progress)
            throws Exception {
        TempDirectory temp = TempDirectory.create("xdpml-bench-metrics");
        Path dir = temp.path();
        String id = "xm" + (ProcessHandle.current().pid() % 1_000_000);
        String rx = id + "r";
        String tx = id + "t";
        Path blocksPins = BpfFs.ROOT.resolve("xdpml-bench-metrics-" + id);
        // SIGTERM skips the finally below: the exit hook removes these pins then (TempDirectory the directory, AgentPins the lock file)
        BpfFs.removeOnExit(blocksPins);
        BpfFs.removeOnExit(AgentPins.dir(rx));
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, """
                interfaces: [%s]
                blocks: {}
                firewall:
                  rules: |
                    default pass
                    conntrack on
                    rule drop udp port 19
                flows:
                  max-flows: 65536
                sampling:
                  every: %d
                delivery:
                  to: mirror
                outputs:
                  status: 0
                  metrics:
                    listen: 127.0.0.1:%d
                """.formatted(rx, sampleN, PORT));
        AgentConfig config = AgentConfigLoader.load(file);
        StringWriter agentText = new StringWriter();
        PrintWriter agentOut = new PrintWriter(agentText, true);
        List<Run> all = new ArrayList<>();
        double[] idle = {0, 0};
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-benchm")) {
            ns.createVethPair(tx, rx);
            AgentOnThread running = AgentOnThread.start(ns, config, blocksPins, agentOut, "bench-agent-" + rx);
            Agent agent = running.agent();
            CompletableFuture<Integer> done = running.done();
            try {
                ns.run(() -> {
                    try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(tx))) {
                        g.send(frame, 200_000, 0); // warm up: page pool, the JIT of the receiving side
                        for (int f = 0; f < flows; f++) {
                            byte[] one = new io.xdpml.packet.FrameBuilder().ethernet()
                                    .ipv4("198.18." + (f / 60_000) + ".1", "198.51.100.2").udp(1024 + f % 60_000, 5000).payload(18).build();
                            g.send(one, 1, 0);
                        }
                        Thread.sleep(500);
                        String url = "http://127.0.0.1:" + PORT + "/metrics";
                        idleScrapes(url, 10); // the JIT
                        com.sun.management.OperatingSystemMXBean os =
                                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
                        long cpu0 = os.getProcessCpuTime();
                        long wall0 = System.nanoTime();
                        idle[0] = idleScrapes(url, 9);
                        long cpuScrapes = os.getProcessCpuTime() - cpu0;
                        long wall = System.nanoTime() - wall0;
                        long cpu1 = os.getProcessCpuTime();
                        Thread.sleep(wall / 1_000_000, (int) (wall % 1_000_000)); // the same time without scrapes
                        long cpuAsleep = os.getProcessCpuTime() - cpu1;
                        idle[1] = Math.max(0, cpuScrapes - cpuAsleep) / 1e6 / 9;
                        if (progress != null) {
                            progress.printf("a scrape without traffic, %d flows in the table: %.1f ms (median of 9), %.1f ms of CPU%n", flows,
                                    idle[0], idle[1]);
                        }
                        for (int r = 0; r < runs; r++) {
                            // the order alternates too (off-on, on-off, ...): what the first run of a pair suffers, both suffer alike
                            for (boolean scrape : r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                                Run run = once(ns, g, frame, rx, seconds, scrape ? url : null, scrapeEvery);
                                all.add(run);
                                if (progress != null) {
                                    progress.printf("run %d %-9s %6.2f Mpps%s%n", r + 1, scrape ? "scraped" : "no scrape", run.mpps(),
                                            scrape ? String.format(" (%d scrapes, %.1f ms each, %d bytes)", run.scrapes(), run.meanScrapeMillis(), run.bytes()) : "");
                                    progress.flush();
                                }
                            }
                        }
                    }
                    return null;
                });
            } finally {
                agent.requestStop();
                done.get(30, TimeUnit.SECONDS);
            }
        } finally {
            BpfFs.removeRecursively(blocksPins);
            BpfFs.removeRecursively(AgentPins.dir(rx));
            temp.close();
        }
        return new Result(all, median(all, false), median(all, true), idle[0], idle[1]);
    }

    /** The median time of {@code n} scrapes one after another, in ms. */
    private static double idleScrapes(String url, int n) throws Exception {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            get(url);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return ms[n / 2];
    }

    private static Run median(List<Run> all, boolean scraped) {
        List<Run> rs = new ArrayList<>(all.stream().filter(r -> r.scraped() == scraped).toList());
        rs.sort(Comparator.comparingDouble(Run::mpps));
        return rs.get(rs.size() / 2);
    }

    private static long counted(String rx) {
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            return io.xdpml.dataplane.PipelineCounters.of(o.map("xdpml_pipeline_stats").sumPerCpuLongs(0)).packets();
        }
    }

    private static Run once(NetworkNamespace ns, LiveFrameGenerator g, byte[] frame, String rx, double seconds, String url,
            double scrapeEvery) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        long[] scrape = new long[4]; // count, total ns, max ns, bytes
        Thread scraper = null;
        if (url != null) {
            scraper = Thread.ofPlatform().name("bench-scraper").daemon().start(() -> {
                try {
                    ns.callOnThisThread(() -> {
                        long period = (long) (scrapeEvery * 1e9);
                        long next = System.nanoTime();
                        while (!stop.get()) {
                            long t0 = System.nanoTime();
                            int bytes = get(url);
                            long t = System.nanoTime() - t0;
                            synchronized (scrape) {
                                scrape[0]++;
                                scrape[1] += t;
                                scrape[2] = Math.max(scrape[2], t);
                                scrape[3] = bytes;
                            }
                            next += period;
                            long wait = next - System.nanoTime();
                            if (wait > 0) {
                                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                            }
                        }
                        return null;
                    });
                } catch (Exception e) {
                    synchronized (scrape) {
                        scrape[0] = -1_000_000; // shows as a negative count: the scrape failed
                    }
                }
            });
        }
        long before = counted(rx);
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            g.send(frame, 250_000, 0);
        }
        long nanos = System.nanoTime() - t0;
        Thread.sleep(20); // what is still in the veth ring
        long packets = counted(rx) - before;
        stop.set(true);
        if (scraper != null) {
            scraper.join();
        }
        synchronized (scrape) {
            return new Run(url != null, packets, nanos, (int) scrape[0], scrape[1], scrape[2], (int) scrape[3]);
        }
    }

    private static int get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestProperty("Connection", "close");
        try (InputStream in = c.getInputStream()) {
            return in.readAllBytes().length;
        } finally {
            c.disconnect();
        }
    }
}
