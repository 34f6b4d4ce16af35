package io.xdpml.demo;

import io.xdpml.agent.Agent;
import io.xdpml.agent.AgentOnThread;
import io.xdpml.agent.AgentPins;
import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.detect.Detection;
import io.xdpml.fleet.Finding;
import io.xdpml.fleet.FleetApp;
import io.xdpml.fleet.FleetConfig;
import io.xdpml.fleet.FleetCounters;
import io.xdpml.fleet.FleetTopology;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.processor.Mitigation;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code xdpml fleet demo}: the fleet on one machine. A real Kafka broker ({@link LocalBroker}, a
 * child JVM), the fleet detector (Kafka Streams, in this JVM) and two agents, "host A" and "host
 * B", each on a veth pair in a network namespace of its own, joined to this host by one more veth
 * pair (a /30 of 169.254.77.0/29 and a default route) through which it reaches the broker:
 *
 * <pre>
 *   ns host-a: a-gen ──► a-in [agent A] ── a-up ─┐             ┌─ Kafka broker (child JVM)
 *                                                 ├─ this host ─┤
 *   ns host-b: b-gen ──► b-in [agent B] ── b-up ─┘             └─ fleet detector (Kafka Streams)
 * </pre>
 *
 * The story: (1) a port scan against host A is detected there and its source blocked; the block
 * travels through the compacted blocks topic and host B holds it within 2 s; (2) the scanner turns
 * to host B, whose blocks stage drops every probe before any detector sees one; (3) a distributed
 * scan touching each host a little (below each host's port scan threshold) is found by the fleet
 * detector over both hosts' flows, and its fleet block reaches both. Each step ends in a check;
 * the verdict is whether all held. Everything created is removed at the end.
 */
public final class FleetDemo {
    static final String SCANNER = "10.77.0.9";
    static final String DISTRIBUTED = "10.77.0.33";
    static final String VICTIM = "10.77.0.2";
    /** Ports of one scan against one host. */
    static final int SCAN_PORTS = 400;
    /** Ports the distributed scan probes on each host: below portscan's 100, together over fleet-scan's 100 targets. */
    static final int SPREAD_PORTS = 60;

    /** The links' addresses on this host: A's end .1/30, B's .5/30. */
    static final String LINKS = "169.254.77.0/29";

    private final PrintWriter out;
    private final long blockSeconds;
    private final long t0 = System.nanoTime();
    private final List<String> failures = new ArrayList<>();
    /** What a Ctrl-C or SIGTERM must stop and remove ({@link #stopOnSignal}): the story's own clean-up never runs then. */
    private final List<Host> hosts = new CopyOnWriteArrayList<>();
    private volatile LocalBroker broker;
    private volatile Path dir;
    /** Set by the shutdown hook: the checks failing meanwhile say nothing about the fleet. */
    private volatile boolean signalled;

    private FleetDemo(PrintWriter out, long blockSeconds) {
        this.out = out;
        this.blockSeconds = blockSeconds;
    }

    /** One host of the story: its namespace, interfaces, address on the link to this host, and its agent. */
    private static final class Host implements AutoCloseable {
        final String name;
        final NetworkNamespace ns;
        final String gen;
        final String in;
        final String up;
        final List<Detection> detections = new CopyOnWriteArrayList<>();
        final Map<String, Long> blockedAt = new java.util.concurrent.ConcurrentHashMap<>();
        volatile AgentOnThread agent;

        Host(String name, String letter, int linkBase) {
            this.name = name;
            String id = "xfd" + letter + (ProcessHandle.current().pid() % 100000);
            gen = id + "g";
            in = id + "i";
            up = id + "u";
            ns = NetworkNamespace.create("xdpml-fleet-" + letter);
            try {
                ns.createVethPair(gen, in);
                ns.linkToHost(up, up + "n", "169.254.77." + (linkBase + 1), "169.254.77." + (linkBase + 2));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        Agent agent() {
            return agent.agent();
        }

        /** Where the agent pins its blocks map (as 'xdpml blocks' reads it), removed at the end. */
        Path blocksPins() {
            return BpfFs.ROOT.resolve("xdpml-fleet-demo-" + in);
        }

        /** Whether this host's kernel holds {@code address}/32 as an active block. */
        boolean holds(String address) {
            Mitigation m = agent().processors().getFirst().mitigation();
            InetAddress a = InetAddress.ofLiteral(address);
            long now = System.nanoTime();
            return m.list().stream().anyMatch(b -> b.address().equals(a) && b.prefixLength() == 32 && b.activeAt(now));
        }

        /** Packets the blocks stage dropped so far. */
        long blockedPackets() {
            return agent().processors().getFirst().blockedPackets();
        }

        boolean detected(String source) {
            return detections.stream().anyMatch(d -> d.sources().contains(source) || d.subject().equals(source));
        }

        /** One TCP SYN from {@code source} to each of {@code count} ports from {@code firstPort}, sent into the agent's interface. */
        void probe(String source, int firstPort, int count) {
            ns.run(() -> {
                try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(gen))) {
                    for (int port = firstPort; port < firstPort + count; port++) {
                        g.send(new FrameBuilder().ethernet().ipv4(source, VICTIM).tcp(50000, port, 0x02).build(), 1, 0);
                    }
                }
                return null;
            });
        }

        void stop() throws Exception {
            AgentOnThread t = agent;
            if (t != null) {
                t.agent().requestStop();
                t.done().get(30, TimeUnit.SECONDS);
                agent = null;
            }
        }

        /**
         * Deletes the link's end on this host, and with it the pair, now: the namespace's deletion
         * frees its links later, in the kernel's own time, and until then the address on this end
         * makes the next demo refuse to run ({@link #linksInUse}).
         */
        void deleteHostEnd() {
            try {
                Process p = new ProcessBuilder("ip", "link", "del", up).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                p.waitFor(); // fails when already gone: nothing to do
            } catch (IOException e) {
                // the namespace's deletion frees it, later
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The shutdown hook's part: asks the agent to stop (it detaches, closes its maps, removes its pins). */
        void requestStop() {
            AgentOnThread t = agent;
            if (t != null) {
                t.agent().requestStop();
            }
        }

        /** The shutdown hook's part, after {@link #requestStop}: waits for the agent, then removes whatever pins are left. */
        void awaitStoppedAndUnpin(long seconds) {
            AgentOnThread t = agent;
            if (t != null) {
                try {
                    t.done().get(seconds, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // its pins go below all the same
                }
            }
            for (Path pins : List.of(AgentPins.dir(in), blocksPins())) {
                try {
                    BpfFs.removeRecursively(pins);
                } catch (RuntimeException e) {
                    // the story's own clean-up removing them meanwhile: a file vanished under the walk
                    if (Files.exists(pins)) {
                        BpfFs.removeRecursively(pins);
                    }
                }
            }
            deleteHostEnd();
        }

        @Override
        public void close() {
            try {
                stop();
            } catch (Exception e) {
                // the namespace goes anyway: its interfaces and the program on them with it
            }
            deleteHostEnd();
            ns.close(); // deletes the pair a-gen/a-in (and the link, were it still there)
            BpfFs.removeRecursively(blocksPins());
        }
    }

    /** Runs the story; returns whether every step held. Needs root, BPF and the broker's jars. */
    public static boolean run(PrintWriter out, long blockSeconds) throws Exception {
        return new FleetDemo(out, blockSeconds).storyStoppedCleanly();
    }

    /** The demos' lock: one fixed file (so none piles up), held while a demo runs; the kernel drops a dead process's lock. */
    static final Path DEMO_LOCK = Path.of("/run/xdpml/fleet-demo.lock");
    private static java.nio.channels.FileChannel demoLock;

    /**
     * Takes the demos' lock for this process's lifetime, or says why not: another demo holds it.
     * Taken before {@link #linksInUse}, so that two demos starting together do not both find the
     * addresses free and both put them on the host (before 2026-12-06 the check alone decided).
     * Where /run cannot hold it, the address check alone decides, as before.
     */
    public static synchronized java.util.Optional<String> takeDemoLock() {
        if (demoLock != null) {
            return java.util.Optional.empty();
        }
        java.nio.channels.FileChannel ch;
        try {
            Files.createDirectories(DEMO_LOCK.getParent());
            ch = java.nio.channels.FileChannel.open(DEMO_LOCK, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
        } catch (IOException | SecurityException e) {
            return java.util.Optional.empty();
        }
        try {
            if (ch.tryLock() != null) {
                demoLock = ch;
                return java.util.Optional.empty();
            }
        } catch (java.nio.channels.OverlappingFileLockException e) {
            // held by this process through another channel: taken all the same
        } catch (IOException e) {
            closeQuietly(ch);
            return java.util.Optional.empty();
        }
        closeQuietly(ch);
        return java.util.Optional.of("another fleet demo is running (it holds " + DEMO_LOCK + "): one fleet demo at a time on a machine");
    }

    /** Releases the lock {@link #takeDemoLock} took, if it did (a demo ended). */
    public static synchronized void releaseDemoLock() {
        if (demoLock != null) {
            closeQuietly(demoLock);
            demoLock = null;
        }
    }

    private static void closeQuietly(java.nio.channels.FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // the process's end closes it
        }
    }

    /**
     * Why the demo cannot run now, or empty: an address of {@link #LINKS} is on an interface of
     * this host already. Two demos at once would both put 169.254.77.1/30 on the host, and the
     * host's replies to one demo's agents would leave by the other's link (seen: the second demo's
     * agents reached the broker only once the first demo had ended).
     */
    public static java.util.Optional<String> linksInUse() {
        String held;
        try {
            Process p = new ProcessBuilder("ip", "-o", "-4", "addr", "show", "to", LINKS).redirectErrorStream(true).start();
            held = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                return java.util.Optional.of("'ip -o -4 addr show to " + LINKS + "' failed: " + held);
            }
        } catch (IOException e) {
            return java.util.Optional.of("cannot run 'ip' (iproute2): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.of("interrupted");
        }
        if (held.isEmpty()) {
            return java.util.Optional.empty();
        }
        String[] f = held.lines().findFirst().orElseThrow().trim().split("\\s+"); // "7: xfda123u    inet 169.254.77.1/30 ..."
        String iface = f.length > 1 ? f[1] : "?";
        String address = f.length > 3 ? f[3] : LINKS;
        return java.util.Optional.of(address + " is on " + iface + " already. The demo's links use " + LINKS
                + ": one fleet demo at a time on a machine. Another may be running (its interfaces are xfd[ab]PIDu, PID its"
                + " process modulo 100000), or one killed with -9 left its namespaces: 'ip netns list | grep xdpml-fleet-' names"
                + " them, 'ip netns del NAME' removes one with its links");
    }

    /**
     * The story under a shutdown hook: Ctrl-C or SIGTERM ends the JVM without the story's own
     * clean-up, and the kernel keeps pinned maps (about 50 MB an agent) until someone removes them.
     */
    private boolean storyStoppedCleanly() throws Exception {
        Thread hook = Thread.ofPlatform().name("xdpml-fleet-demo-stop").unstarted(this::stopOnSignal);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return story();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    /**
     * The shutdown hook: stops both agents (each detaches and removes its own pins), removes the
     * pins left, stops the broker and deletes the temporary directory. The namespaces go in the
     * kernel binding's own hook, the broker's process in LocalBroker's as well.
     */
    private void stopOnSignal() {
        signalled = true;
        say("interrupted: stopping both agents and the broker, removing their pins and %s", dir);
        hosts.forEach(Host::requestStop);
        for (Host h : hosts) {
            try {
                h.awaitStoppedAndUnpin(10);
            } catch (RuntimeException e) {
                say("interrupted: %s: %s", h.name, e.getMessage()); // and on to the rest
            }
        }
        LocalBroker b = broker;
        if (b != null) {
            b.stop();
        }
        Path d = dir;
        if (d != null) {
            deleteTree(d);
        }
    }

    private boolean story() throws Exception {
        Path dir = Files.createTempDirectory("xdpml-fleet-demo");
        this.dir = dir;
        try (Host a = tracked(new Host("host A", "a", 0)); Host b = tracked(new Host("host B", "b", 4))) {
            say("namespaces %s (host A: %s, link %s 169.254.77.1/30) and %s (host B: %s, link %s 169.254.77.5/30)", a.ns.name(),
                    a.in, a.up, b.ns.name(), b.in, b.up);
            try (LocalBroker broker = LocalBroker.start("169.254.77.1", 0, dir.resolve("kafka"))) {
                this.broker = broker;
                String bootstrap = broker.bootstrapServers();
                say("Kafka broker (KRaft, a child JVM) at %s; host B reaches it through its own link", bootstrap);
                FleetCounters counters = new FleetCounters();
                List<Finding> findings = new CopyOnWriteArrayList<>();
                FleetTopology.Topics topics = new FleetTopology.Topics("xdpml.flows", "xdpml.alerts", "xdpml.alerts", "xdpml.blocks");
                FleetConfig fleetConfig = FleetConfig.defaults().withBlockSeconds(blockSeconds);
                var props = FleetApp.properties(bootstrap, "xdpml-fleet-demo", dir.resolve("streams").toString(), Map.of());
                FleetApp.ensureTopics(props, topics, true, m -> say("fleet detector: %s", m));
                try (FleetApp fleet = new FleetApp(new FleetTopology(fleetConfig, topics, true, counters, f -> {
                    findings.add(f);
                    say("fleet detector | %s", f.toLine());
                }), props)) {
                    fleet.start();
                    say("fleet detector (Kafka Streams) started: %s", fleetConfig.describe());
                    a.agent = start(a, "host-a", bootstrap, dir);
                    b.agent = start(b, "host-b", bootstrap, dir);
                    if (await(() -> a.agent().fleetBlockCounters().caughtUp() && b.agent().fleetBlockCounters().caughtUp(), 30)) {
                        say("both agents run and have read the blocks topic");
                    } else { // said as it is: the steps' own checks then tell what that cost
                        say("after 30 s, not both agents have read the blocks topic (host A: %s, host B: %s); going on",
                                a.agent().fleetBlockCounters().caughtUp() ? "read" : "not yet",
                                b.agent().fleetBlockCounters().caughtUp() ? "read" : "not yet");
                    }
                    act1(a, b);
                    act2(b);
                    act3(a, b, findings);
                }
            }
        } finally {
            deleteTree(dir);
        }
        out.println();
        if (signalled) {
            out.println("VERDICT: none: interrupted (Ctrl-C or SIGTERM)");
            out.flush();
            return false;
        }
        if (failures.isEmpty()) {
            out.println("VERDICT: the fleet held: a block decided on one host protected the other within 2 s, and the fleet"
                    + " detector caught what no host saw alone.");
        } else {
            out.println("VERDICT: FAILED: " + String.join("; ", failures));
        }
        out.flush();
        return failures.isEmpty();
    }

    private Host tracked(Host h) {
        hosts.add(h);
        return h;
    }

    /** Host A scanned: detected and blocked there, the block on host B through Kafka. */
    private void act1(Host a, Host b) throws InterruptedException {
        say("");
        say("1. %s scans %d ports of host A, once a second", SCANNER, SCAN_PORTS);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!a.blockedAt.containsKey(SCANNER) && System.nanoTime() < deadline) {
            a.probe(SCANNER, 1, SCAN_PORTS);
            // longer than the detectors' 1 s window: a window holds at most two scans (more probes per port read as a flood)
            Thread.sleep(1100);
        }
        Long onA = a.blockedAt.get(SCANNER);
        if (!check(onA != null, "host A detected the scan and blocked %s", "host A did not block %s within 20 s", SCANNER)) {
            return;
        }
        await(() -> b.holds(SCANNER), 5);
        long onB = System.nanoTime();
        boolean held = b.holds(SCANNER);
        check(held && onB - onA < 2_000_000_000L, "host B's kernel holds the block %.0f ms after host A decided it (through xdpml.blocks)",
                "host B did not hold the block within 2 s of host A (%.0f ms)", (onB - onA) / 1e6);
    }

    /** The scanner turns to host B: dropped by its blocks stage, never seen by its detectors. */
    private void act2(Host b) throws InterruptedException {
        say("");
        say("2. %s turns to host B: %d probes", SCANNER, SCAN_PORTS);
        long before = b.blockedPackets();
        b.probe(SCANNER, 1, SCAN_PORTS);
        await(() -> b.blockedPackets() >= before + SCAN_PORTS, 3);
        long dropped = b.blockedPackets() - before;
        check(dropped == SCAN_PORTS && !b.detected(SCANNER), "host B dropped all %d probes in XDP before it was scanned; its detectors saw none",
                "host B dropped %d of %d probes (detected by B itself: %s)", dropped, SCAN_PORTS, b.detected(SCANNER));
    }

    /** A scan spread thin over both hosts: found by the fleet detector, blocked on both. */
    private void act3(Host a, Host b, List<Finding> findings) throws InterruptedException {
        say("");
        say("3. %s probes %d ports on host A and %d others on host B (each host: below its port scan threshold of 100)", DISTRIBUTED,
                SPREAD_PORTS, SPREAD_PORTS);
        a.probe(DISTRIBUTED, 2000, SPREAD_PORTS);
        b.probe(DISTRIBUTED, 3000, SPREAD_PORTS);
        long sent = System.nanoTime();
        say("   the agents publish each probe's flow as it ends (1 s idle, then swept), the fleet detector counts targets over hosts");
        await(() -> a.holds(DISTRIBUTED) && b.holds(DISTRIBUTED), 40);
        boolean found = findings.stream().anyMatch(f -> f.detector().equals("fleet-scan") && f.subject().equals(DISTRIBUTED));
        check(found, "the fleet detector found the distributed scan of %s (fleet-scan)", "no fleet-scan finding of %s", DISTRIBUTED);
        double after = (System.nanoTime() - sent) / 1e9;
        boolean onA = a.holds(DISTRIBUTED);
        boolean onB = b.holds(DISTRIBUTED);
        if (onA && onB) {
            check(true, "both hosts hold the fleet block of %s, %.1f s after the probes", null, DISTRIBUTED, after);
        } else {
            check(false, null, "the fleet block of %s is not on both hosts %.0f s after the probes (host A: %s, host B: %s)",
                    DISTRIBUTED, after, onA, onB);
        }
        check(!a.detected(DISTRIBUTED) && !b.detected(DISTRIBUTED), "neither host's own detectors saw a scan in it",
                "a host detected %s on its own (the probes were meant to stay below its threshold)", DISTRIBUTED);
    }

    private AgentOnThread start(Host h, String hostName, String bootstrap, Path dir) throws Exception {
        Path file = dir.resolve(hostName + ".yaml");
        Files.writeString(file, """
                # %s: the agent of 'xdpml fleet demo'
                interfaces: [%s]
                blocks:
                  enabled: true
                flows:
                  idle-timeout: 1s
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan]
                  window: 1s
                mitigation:
                  block: %ds
                outputs:
                  status: 0s
                  kafka:
                    bootstrap: %s
                    host: %s
                    types: [alert, flow]
                    publish-blocks: true
                """.formatted(h.name, h.in, blockSeconds, bootstrap, hostName));
        AgentConfig config = AgentConfigLoader.load(file);
        PrintWriter lines = new PrintWriter(new Prefixed(out, "   " + h.name + " | "), true);
        AgentOnThread t = AgentOnThread.start(h.ns, config, h.blocksPins(), lines, "agent-" + h.in);
        t.agent().observe(new Agent.Observer() {
            @Override
            public void detected(Detection d) {
                h.detections.add(d);
            }

            @Override
            public void blocked(String source, String detector) {
                h.blockedAt.putIfAbsent(source, System.nanoTime());
            }
        });
        return t;
    }

    private boolean check(boolean ok, String good, String bad, Object... args) {
        String text = ok ? good.formatted(args) : bad.formatted(args);
        say("   %s %s", ok ? "ok:" : "FAILED:", text);
        if (!ok) {
            failures.add(text);
        }
        return ok;
    }

    private void say(String format, Object... args) {
        synchronized (out) {
            out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, args.length == 0 ? format : format.formatted(args));
            out.flush();
        }
    }

    /** Whether {@code cond} held within {@code seconds}. */
    private static boolean await(BooleanSupplier cond, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!cond.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return cond.getAsBoolean();
    }

    /**
     * Deletes {@code dir} with what is in it. Walks again when a file vanished under the walk: on a
     * signal, the story's own clean-up and the shutdown hook delete it at the same time.
     */
    static void deleteTree(Path dir) {
        for (int attempt = 0; attempt < 5 && Files.exists(dir); attempt++) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | java.io.UncheckedIOException e) {
                // something vanished meanwhile: walk again
            }
        }
    }

    /** An agent's lines, each behind its host's name, whole lines at a time into the story. */
    private static final class Prefixed extends Writer {
        private final PrintWriter out;
        private final String prefix;
        private final StringBuilder line = new StringBuilder();

        Prefixed(PrintWriter out, String prefix) {
            this.out = out;
            this.prefix = prefix;
        }

        @Override
        public synchronized void write(char[] buf, int off, int len) {
            for (int i = off; i < off + len; i++) {
                char c = buf[i];
                if (c == '\n') {
                    synchronized (out) {
                        out.println(prefix + line);
                        out.flush();
                    }
                    line.setLength(0);
                } else if (c != '\r') {
                    line.append(c);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
