package io.xdpml.cli;

import io.xdpml.fleet.LocalBroker;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml fleet broker}: a single-node Apache Kafka broker for trying the fleet on one machine. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        header = "A single-node Apache Kafka broker (KRaft) for trying the fleet on one machine.",
        description = {"Runs Apache Kafka's own broker (kafka.Kafka 4.4, broker and controller in one child JVM) until Ctrl-C."
            + " It listens on every address at --port and advertises --host: agents in other network namespaces or on"
            + " other machines reach it when --host is an address of this machine they route to. The directory keeps"
            + " its topics for the next start. Not for production: point the agents at your Kafka cluster instead"
            + " (docs/fleet.md).",
            "",
            "Exit status 0 when stopped, 1 when the broker could not start or died (its log's last lines are printed)."})
final class FleetBrokerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", description = "the client port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "the address it advertises to clients (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--dir", paramLabel = "DIR", description = "its logs and topics (default: xdpml-kafka in the temporary directory)")
    Path dir;

    @Option(names = "--duration", paramLabel = "S", description = "stop after S seconds (default: at Ctrl-C)")
    Double duration;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path d = (dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"), "xdpml-kafka")).toAbsolutePath();
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(stop::countDown, "xdpml-broker-stop");
        long t0 = System.nanoTime();
        LocalBroker broker;
        try {
            Files.createDirectories(d);
            broker = LocalBroker.start(host, port, d);
        } catch (IllegalStateException | java.io.IOException e) {
            err.println("xdpml fleet broker: " + e.getMessage());
            err.flush();
            return 1;
        }
        try (broker) {
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("Kafka broker (KRaft, single node) at %s, logs and topics in %s (started in %.1f s). Ctrl-C stops it.%n",
                    broker.bootstrapServers(), d, (System.nanoTime() - t0) / 1e9);
            out.println("agents:         xdpml run --config FILE --kafka " + broker.bootstrapServers()
                    + "   (or outputs.kafka.bootstrap in FILE)");
            out.println("fleet detector: xdpml fleet run --kafka " + broker.bootstrapServers() + " --blocks 600");
            out.flush();
            long until = duration == null ? Long.MAX_VALUE : System.nanoTime() + (long) (duration * 1e9);
            while (stop.getCount() > 0 && System.nanoTime() < until) {
                if (!broker.isAlive()) {
                    err.println("xdpml fleet broker: the broker exited; its log: " + d.resolve("broker.log"));
                    err.flush();
                    return 1;
                }
                stop.await(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the JVM is going down, the broker's own hook stops it
            }
        }
        out.println("xdpml fleet broker: stopped");
        out.flush();
        return 0;
    }
}
