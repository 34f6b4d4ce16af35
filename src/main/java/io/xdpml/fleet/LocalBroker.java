package io.xdpml.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Apache Kafka broker (KRaft: broker and controller in one process) for tests,
 * {@code xdpml fleet broker} and {@code xdpml fleet demo}: {@code kafka.Kafka} from the Maven
 * artifacts (org.apache.kafka:kafka_2.13) run as a child JVM, its storage formatted first with
 * {@code kafka.tools.StorageTool}. {@link #stop} ends the process (SIGTERM: a controlled shutdown),
 * {@link #restart} starts it again on the same port and log directory (the topics and their records
 * are still there). The child dies with this JVM (a shutdown hook).
 *
 * <pre>
 *   try (LocalBroker broker = LocalBroker.start()) {
 *       String bootstrap = broker.bootstrapServers(); // 127.0.0.1:PORT
 *   }
 * </pre>
 *
 * The broker listens on every address ({@code 0.0.0.0}) and advertises {@code host} (default
 * 127.0.0.1): clients in other network namespaces reach it when {@code host} is an address of
 * this host that they route to (AgentFleetTest, FleetDemo).
 *
 * <p>The broker's classes are not in xdpml.jar (20 MB of Scala and Kafka server jars that an agent
 * never needs): {@link #classPath} finds them on this JVM's class path (tests, a build tree), else
 * in the directory {@code broker/} beside the jar ({@code target/broker/} of a build,
 * {@code /usr/lib/xdpml/broker/} of the package), else in {@code -Dxdpml.broker.classpath}.
 */
public final class LocalBroker implements AutoCloseable {
    private final String host;
    private final int port;
    private final int controllerPort;
    private final Path dir;
    private final boolean ownDir;
    /** Added to the broker's server.properties (an authorizer, ...). */
    private final Map<String, String> extra;
    private Process process;
    private final Thread hook;

    private LocalBroker(String host, int port, Path dir, boolean ownDir, Map<String, String> extra) throws IOException {
        this.host = host;
        this.extra = Map.copyOf(extra);
        this.port = port == 0 ? freePort() : port;
        this.controllerPort = freePort();
        this.dir = dir;
        this.ownDir = ownDir;
        this.hook = new Thread(this::kill, "test-broker-kill");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A broker on 127.0.0.1, a free port, a temporary directory (deleted at {@link #close}); returns once it answers. */
    public static LocalBroker start() throws IOException {
        return start("127.0.0.1", 0, null);
    }

    /**
     * A broker that advertises {@code host} on {@code port} (0: a free one), its logs in {@code dir}
     * (null: a temporary directory, deleted at {@link #close}; a given one is kept); returns once it answers.
     */
    public static LocalBroker start(String host, int port, Path dir) throws IOException {
        return start(host, port, dir, Map.of());
    }

    /**
     * A broker on 127.0.0.1, a free port, a temporary directory, with {@code serverProperties}
     * added to its server.properties (an authorizer for a test that refuses a right, ...).
     *
     * @throws IllegalArgumentException for a property this class sets itself (listeners, log.dirs, ...)
     */
    public static LocalBroker start(Map<String, String> serverProperties) throws IOException {
        return start("127.0.0.1", 0, null, serverProperties);
    }

    private static LocalBroker start(String host, int port, Path dir, Map<String, String> extra) throws IOException {
        classPath(); // the broker's jars are there, or say so before anything is created
        for (String k : extra.keySet()) {
            if (OWN_PROPERTIES.contains(k)) {
                throw new IllegalArgumentException("server property " + k + " is LocalBroker's own (its listeners, storage and node)");
            }
        }
        boolean own = dir == null;
        Path d = own ? Files.createTempDirectory("xdpml-kafka-") : Files.createDirectories(dir);
        LocalBroker b = new LocalBroker(host, port, d, own, extra);
        try {
            b.format();
            b.launch();
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** {@code host:port}. */
    public String bootstrapServers() {
        return host + ":" + port;
    }

    public int port() {
        return port;
    }

    /** Stops the broker (a controlled shutdown, at most 20 s, then killed). Idempotent. */
    public void stop() {
        Process p = process;
        process = null;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    /** Starts it again on the same port and log directory; returns once it answers. */
    public void restart() throws IOException {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down
        }
        if (ownDir) {
            deleteQuietly(dir);
        }
    }

    private void kill() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** The server properties {@link #properties} sets and a caller may not. */
    private static final java.util.Set<String> OWN_PROPERTIES = java.util.Set.of("process.roles", "node.id", "controller.quorum.voters",
            "listeners", "advertised.listeners", "controller.listener.names", "inter.broker.listener.name", "listener.security.protocol.map",
            "log.dirs");

    private Path properties() throws IOException {
        Path props = dir.resolve("server.properties");
        StringBuilder more = new StringBuilder();
        extra.forEach((k, v) -> more.append(k).append('=').append(v).append('\n'));
        String text = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://0.0.0.0:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://" + host + ":" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("logs"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "log.cleaner.backoff.ms=1000",
                "") + more;
        // the controller port changes on a restart: the voters are rewritten, the node and cluster stay
        Files.writeString(props, text);
        return props;
    }

    private void format() throws IOException {
        Path props = properties();
        if (Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
            return;
        }
        Path out = dir.resolve("format.log");
        Process p = java("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c", props.toString(), "--ignore-formatted")
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("formatting the broker's storage failed: " + Files.readString(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private void launch() throws IOException {
        Path props = properties();
        Path log = dir.resolve("broker.log");
        process = java("kafka.Kafka", props.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the broker exited (" + process.exitValue() + "); its log: " + tail(log));
            }
            if (listening()) {
                try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000))) {
                    // ready when a topic could be created: the broker registered and unfenced
                    a.createTopics(List.of(new NewTopic("xdpml-ready-probe", 1, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                            .all().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    last = e;
                }
            }
            sleep(100);
        }
        stop();
        throw new IOException("the broker did not answer within 60 s (" + last + "); its log: " + tail(log));
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private ProcessBuilder java(String main, String... args) {
        String javaBin = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlog4j2.level=WARN", "-cp", classPath(), main));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile());
    }

    /**
     * The class path the broker runs on: {@code -Dxdpml.broker.classpath} when set; this JVM's class
     * path when it holds {@code kafka.Kafka}; else every jar of {@code broker/} beside xdpml.jar, plus
     * xdpml.jar itself (it has kafka-clients and the libraries both share).
     *
     * @throws IllegalStateException saying where it looked, when the broker's jars are nowhere
     */
    public static String classPath() {
        String given = System.getProperty("xdpml.broker.classpath");
        if (given != null && !given.isBlank()) {
            return given;
        }
        if (LocalBroker.class.getClassLoader().getResource("kafka/Kafka.class") != null) {
            return System.getProperty("java.class.path");
        }
        Path jar = ownJar();
        Path dir = jar == null ? null : jar.resolveSibling("broker");
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalStateException("the Kafka broker's jars are not installed: no kafka.Kafka on the class path and no "
                    + (dir == null ? "broker/ directory beside xdpml.jar (not run from a jar)" : dir + "/")
                    + ". A build puts them in target/broker/ (./scripts/build), the package in /usr/lib/xdpml/broker/;"
                    + " or point the agents at a Kafka cluster of your own (docs/fleet.md)");
        }
        try (Stream<Path> jars = Files.list(dir)) {
            List<String> cp = new ArrayList<>(jars.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toString).toList());
            cp.add(jar.toString());
            return String.join(java.io.File.pathSeparator, cp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path ownJar() {
        try {
            var source = LocalBroker.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return null;
            }
            Path p = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (java.net.URISyntaxException | SecurityException e) {
            return null;
        }
    }

    /** Where the broker keeps its logs and topics. */
    public Path directory() {
        return dir;
    }

    /** Whether its process is running. */
    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path d) {
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left behind
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // left behind
        }
    }
}
