package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.model.ExtraInput;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.FloatTreeEnsemble;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A real agent on a veth pair of a namespace of the test's own: {@link #rx} is the agent's
 * interface, frames are sent into the pair from {@link #tx} as live frames (BPF_PROG_TEST_RUN,
 * XDP_TX from the peer), so they arrive at the agent's program as any received packet does. The
 * agent is built from a YAML file with {@link AgentConfigLoader} and runs on a thread of its own
 * in the namespace, as {@code xdpml run --config} would. Interface names are unique per JVM and
 * rig (the agent's pins are under /sys/fs/bpf/xdpml/agent/IF/, shared by every namespace);
 * {@link #close} stops the agent, deletes the namespace and removes whatever pins are left.
 */
final class AgentRig implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final NetworkNamespace ns;
    /** The agent's interface. */
    final String rx;
    /** The peer: frames sent here arrive at {@link #rx}. */
    final String tx;
    final Path blocksPins;
    private final StringWriter text = new StringWriter();
    final PrintWriter out = new PrintWriter(text, true);
    private volatile Agent agent;
    private CompletableFuture<Integer> exit;

    AgentRig(String tag) {
        String id = tag + (ProcessHandle.current().pid() % 1_000_000) + "x" + COUNTER.incrementAndGet();
        if (id.length() > 14) {
            throw new IllegalArgumentException("interface name too long: " + id);
        }
        rx = id + "r";
        tx = id + "t";
        blocksPins = BpfFs.ROOT.resolve("xdpml-test-agent-" + id);
        ns = NetworkNamespace.create("xdpml-" + tag);
        try {
            ns.createVethPair(tx, rx);
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    /** What the agent printed so far. */
    String output() {
        synchronized (out) {
            return text.toString();
        }
    }

    Agent agent() {
        return agent;
    }

    static Agent.Extras extras(Path blocksPins) {
        return new Agent.Extras(0, false, null, List.of(), 0, null, 1000, new int[0], false, blocksPins);
    }

    /**
     * Loads {@code config} and runs an agent from it on a thread of its own inside the namespace;
     * returns once the program is attached and {@link Agent#run} has begun.
     */
    Agent start(Path config) throws Exception {
        AgentConfig c = AgentConfigLoader.load(config);
        CompletableFuture<Agent> started = new CompletableFuture<>();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        exit = done;
        Thread.ofPlatform().name("agent-" + rx).daemon().start(() -> {
            try {
                done.complete(ns.callOnThisThread(() -> {
                    try (Agent a = new Agent(c, UnaryOperator.identity(), true, extras(blocksPins), out)) {
                        agent = a;
                        started.complete(a);
                        return a.run();
                    }
                }));
            } catch (Throwable t) {
                started.completeExceptionally(t);
                done.completeExceptionally(t);
            }
        });
        Agent a = started.get(60, TimeUnit.SECONDS);
        // run() has begun when its start line is out
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!output().contains("running on " + rx) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return a;
    }

    /** What run() returned (waits at most {@code seconds}). */
    int exitCode(double seconds) throws Exception {
        return exit.get((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    }

    /** Stops the agent and waits for it to close (detached, pins removed); returns run()'s exit code. */
    int stop() throws Exception {
        Agent a = agent;
        if (a == null || exit == null) {
            return -1;
        }
        a.requestStop();
        int code = exitCode(30);
        agent = null;
        return code;
    }

    /** The XDP program attached to {@link #rx}, if any. */
    OptionalInt attachedProgram() {
        return ns.run(() -> {
            int ifindex = Interfaces.indexOrZero(rx);
            if (ifindex == 0) {
                return OptionalInt.empty();
            }
            OptionalInt id = XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE);
            return id.isPresent() ? id : XdpAttachment.attachedProgramId(ifindex, XdpMode.GENERIC);
        });
    }

    /** The agent's pipeline counters, read through its pins as another shell would. */
    PipelineCounters counters() {
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            return PipelineCounters.of(o.map("xdpml_pipeline_stats").sumPerCpuLongs(0));
        }
    }

    /** The agent's configuration word, read through its pins. */
    int word() {
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            return new ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync")).read();
        }
    }

    AgentInfo info() {
        try (AgentPins.Opened o = AgentPins.open(rx)) {
            return o.info();
        }
    }

    /** Sends {@code count} copies of {@code frame} from {@link #tx}, flat out, in this thread's turn on the namespace. */
    void send(byte[] frame, long count) {
        ns.run(() -> {
            try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(tx))) {
                for (long left = count; left > 0; left -= 64) {
                    g.send(frame, Math.min(64, left), 0); // in bursts well inside the veth's ring
                }
            }
            return null;
        });
    }

    /** Frames X and Y sent at a steady rate from {@link #tx} until {@link #close}d. */
    Traffic traffic(byte[] x, byte[] y, int burst, long pairsPerSecond) throws InterruptedException {
        return new Traffic(this, x, y, burst, pairsPerSecond);
    }

    static final class Traffic implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong sentX = new AtomicLong();
        private final AtomicLong sentY = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        private Traffic(AgentRig rig, byte[] x, byte[] y, int burst, long burstsPerSecond) throws InterruptedException {
            CompletableFuture<Void> opened = new CompletableFuture<>();
            long period = 1_000_000_000L / burstsPerSecond;
            thread = Thread.ofPlatform().name("traffic-" + rig.tx).daemon().start(() -> {
                try {
                    rig.ns.callOnThisThread(() -> {
                        int ifindex = Interfaces.indexOf(rig.tx);
                        try (LiveFrameGenerator gx = LiveFrameGenerator.open(ifindex); LiveFrameGenerator gy = LiveFrameGenerator.open(ifindex)) {
                            opened.complete(null);
                            long next = System.nanoTime();
                            while (!stop.get()) {
                                gx.send(x, burst, 0);
                                sentX.addAndGet(burst);
                                gy.send(y, burst, 0);
                                sentY.addAndGet(burst);
                                next += period;
                                long wait = next - System.nanoTime();
                                if (wait > 0) {
                                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                                } else if (wait < -100_000_000L) {
                                    next = System.nanoTime(); // fell behind (a busy machine): no catch-up burst
                                }
                            }
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    failure.set(t);
                    opened.completeExceptionally(t);
                }
            });
            try {
                opened.join();
            } catch (RuntimeException e) {
                throw new IllegalStateException("traffic did not start", e);
            }
        }

        long sentX() { return sentX.get(); }

        long sentY() { return sentY.get(); }

        long sent() { return sentX.get() + sentY.get(); }

        /** Stops sending; returns once the last frame is out. */
        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
            if (failure.get() != null) {
                throw new IllegalStateException("sending failed", failure.get());
            }
        }
    }

    /** A UDP frame 10.77.0.1:40000 -> 10.77.0.2:{@code dport}. */
    static byte[] udp(String src, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, "10.77.0.2").udp(40000, dport).payload(18).build();
    }

    /** A TCP SYN {@code src}:{@code sport} -> 10.77.0.2:{@code dport}. */
    static byte[] syn(String src, int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, "10.77.0.2").tcp(sport, dport, 0x02).build();
    }

    /**
     * One decision tree on the responder's port (the destination port of a flow's first packet):
     * port &lt;= 1500 is class "low", above is "high".
     */
    static ModelFile portModel() {
        return portModel("low", "high");
    }

    /** {@link #portModel()} with other class names. */
    static ModelFile portModel(String low, String high) {
        int port = ExtraInput.RESPONDER_PORT.index();
        int[] f = {port, TreeEnsemble.LEAF, TreeEnsemble.LEAF};
        int[] right = {2, 0, 0};
        int[] cls = {0, 0, 1};
        TreeEnsemble t = TreeEnsemble.tree(2, f, new long[] {1500, 0, 0}, right, cls);
        FloatTreeEnsemble ft = new FloatTreeEnsemble(2, new int[] {0}, f, new double[] {1500.5, 0, 0}, right, cls);
        return new ModelFile(ModelKind.DT, List.of(low, high), List.of("responder_port"), t, ft, null);
    }

    /**
     * As {@link #portModel()} with confidences: responder port <= 1500 "low" (1000), <= 3500 "high"
     * at 950, above "high" at 600.
     */
    static ModelFile portModelWithConfidence() {
        int port = ExtraInput.RESPONDER_PORT.index();
        int[] f = {port, TreeEnsemble.LEAF, port, TreeEnsemble.LEAF, TreeEnsemble.LEAF};
        int[] right = {2, 0, 4, 0, 0};
        int[] cls = {0, 0, 0, 1, 1};
        TreeEnsemble t = new TreeEnsemble(2, new int[] {0}, f, new long[] {1500, 0, 3500, 0, 0}, right, cls, new int[] {0, 1000, 0, 950, 600});
        FloatTreeEnsemble ft = new FloatTreeEnsemble(2, new int[] {0}, f, new double[] {1500.5, 0, 3500.5, 0, 0}, right, cls);
        return new ModelFile(ModelKind.DT, List.of("low", "high"), List.of("responder_port"), t, ft, null);
    }

    /** Writes {@code text} to {@code file} whole (a rename): a reader sees the old file or the new one. */
    static void writeAtomically(Path file, String text) throws java.io.IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            ns.close();
            BpfFs.removeRecursively(blocksPins);
            BpfFs.removeRecursively(AgentPins.dir(rx)); // normally gone already (the agent's close)
        }
    }
}
