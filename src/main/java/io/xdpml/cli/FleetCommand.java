package io.xdpml.cli;

import io.xdpml.fleet.FleetApp;
import io.xdpml.fleet.FleetConfig;
import io.xdpml.fleet.FleetCounters;
import io.xdpml.fleet.FleetTopology;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code xdpml fleet}: the fleet on Kafka (docs/fleet.md). A parent command: {@code run} is the
 * fleet detector (docs/fleet-detector.md), and {@code xdpml fleet --kafka B ...} (without a
 * subcommand) is the same run mode. Other fleet commands are added to {@code subcommands} here.
 */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        header = "The fleet on Kafka: the fleet detector (run) and its companions.",
        description = {"xdpml fleet run --kafka BOOTSTRAP (or xdpml fleet --kafka BOOTSTRAP): the fleet detector, a Kafka Streams"
            + " application over the agents' EVE flows and alerts that finds what no single host sees (docs/fleet-detector.md)."},
        subcommands = {FleetCommand.Run.class, FleetBrokerCommand.class, FleetDemoCommand.class})
final class FleetCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    FleetRunOptions options;

    @Override
    public Integer call() throws Exception {
        if (options.kafka == null) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
        return run(options, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** {@code xdpml fleet run}: the fleet detector until Ctrl-C (or --duration). */
    @Command(name = "run", mixinStandardHelpOptions = true, header = "Run the fleet detector (Kafka Streams) until Ctrl-C.",
            description = {"Reads EVE flow events (--flows-topic) and alerts (--alerts-topic) the agents publish, and finds"
                + " a distributed scan (one source probing several hosts a few ports each), a flood spread over many"
                + " destinations on several hosts, and one source flagged on several hosts (docs/fleet-detector.md).",
                "Findings are printed, published as EVE alerts (host \"fleet\") to --alerts-topic and, with --blocks S,"
                + " as fleet blocks to --blocks-topic. Exit status 0 when stopped, 1 when the Streams application failed,"
                + " 2 for a bad parameter."})
    static final class Run implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        FleetRunOptions options;

        @Override
        public Integer call() throws Exception {
            if (options.kafka == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--kafka=BOOTSTRAP'");
            }
            return run(options, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    static int run(FleetRunOptions o, PrintWriter out, PrintWriter err) throws Exception {
        FleetConfig config = FleetConfig.defaults();
        try {
            if (o.window != null) {
                config = config.withWindow(o.window);
            }
            if (o.blocks != null) {
                config = config.withBlockSeconds(o.blocks);
            }
            config = FleetConfig.parse(config, o.settings);
        } catch (IllegalArgumentException e) {
            err.println("xdpml fleet: " + e.getMessage());
            err.flush();
            return 2;
        }
        Map<String, String> extra = new LinkedHashMap<>();
        for (String p : o.properties) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                err.println("xdpml fleet: --property '" + p + "' is not K=V");
                err.flush();
                return 2;
            }
            extra.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
        }
        String stateDir = o.stateDir != null ? o.stateDir : Files.createTempDirectory("xdpml-fleet-").toString();
        Properties props = FleetApp.properties(o.kafka, o.applicationId, stateDir, extra);
        FleetTopology.Topics topics = new FleetTopology.Topics(o.flowsTopic, o.alertsTopic, o.alertsTopic, o.blocksTopic);
        boolean blocks = o.blocks != null;
        if (!o.noCreateTopics) {
            FleetApp.ensureTopics(props, topics, blocks, m -> {
                out.println("xdpml fleet: " + m);
                out.flush();
            });
        }
        FleetCounters counters = new FleetCounters();
        FleetTopology topology = new FleetTopology(config, topics, blocks, counters, f -> {
            synchronized (out) {
                out.println(f.toLine());
                out.flush();
            }
        });
        out.printf("xdpml fleet: %s -> %s%s, application %s, %s%n", topics.flows() + " + " + topics.alerts(), topics.alertsOut(),
                blocks ? " + " + topics.blocks() : "", o.applicationId, config.describe());
        out.flush();
        CountDownLatch interrupted = new CountDownLatch(1);
        Thread hook = new Thread(interrupted::countDown, "xdpml-fleet-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean failed;
        try (FleetApp app = new FleetApp(topology, props)) {
            app.start();
            long until = o.duration == null ? Long.MAX_VALUE : System.nanoTime() + (long) (o.duration * 1e9);
            boolean stopped = false;
            while (!stopped && interrupted.getCount() > 0 && System.nanoTime() < until) {
                stopped = app.awaitStop(Duration.ofMillis(200));
            }
            failed = stopped;
            if (failed) {
                err.println("xdpml fleet: the Streams application stopped: " + app.state());
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the JVM is going down
            }
        }
        out.println("xdpml fleet: " + counters.summary()
                + (counters.lastMalformed.get() != null ? " (last skipped: " + counters.lastMalformed.get() + ")" : ""));
        out.flush();
        err.flush();
        interrupted.await(0, TimeUnit.MILLISECONDS);
        return failed ? 1 : 0;
    }
}
