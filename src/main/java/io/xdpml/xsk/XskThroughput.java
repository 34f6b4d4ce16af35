package io.xdpml.xsk;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpMode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AF_XDP receive rate, Java against C, side by side: in a namespace of its own, xdp_xsk.bpf.c on
 * one end of a veth pair hands frames (all, or 1-in-N) to the socket of queue 0; real frames come
 * from BPF_PROG_TEST_RUN live frames (xdp_tx.bpf.c) into the other end, generated on CPU 0 (where
 * veth also runs the receiver's XDP program and the copy into the UMEM). The consumer busy-polls
 * on CPU 1 with a trivial callback (frame length plus first byte into a sum): either
 * {@link XskReceiver} (Java) or {@code bench/xsk_consumer.c} (C, raw syscalls, the same ring
 * sizes and batch), which finds the XSKMAP pinned in bpffs. Runs alternate between the two.
 * The rate is frames delivered to the consumer per second of generation.
 */
public final class XskThroughput {
    /**
     * One measurement.
     *
     * @param consumer   "java" or "c"
     * @param sampleN    1-in-N sampling in XDP
     * @param frames     frames generated
     * @param nanos      generation time
     * @param received   frames the consumer handled
     * @param redirected frames XDP redirected to the socket in that time (kernel counter), -1 when not known
     */
    public record Result(String consumer, int sampleN, long frames, long nanos, long received, long redirected) {
        /** Millions of frames per second received by the consumer. */
        public double mpps() { return received * 1e3 / nanos; }

        /** Millions of frames per second generated (seen by XDP). */
        public double offeredMpps() { return frames * 1e3 / nanos; }
    }

    static final String GEN = "xskgen0";
    static final String RCV = "xskgen1";
    static final int GENERATOR_CPU = 0;
    static final int CONSUMER_CPU = 1;

    private XskThroughput() {}

    /**
     * Median-of-runs result per (sampling, consumer), sampling in the order given, "c" before
     * "java" for each.
     *
     * @param consumerBinary the compiled C consumer ({@link #compileConsumer})
     */
    public static List<Result> measure(int[] sampleNs, byte[] frame, int frames, int runs, boolean metadata,
                                       int batch, boolean hugePages, Path consumerBinary) {
        List<Result> out = new ArrayList<>();
        Path pinDir = BpfFs.createDirectoriesRemovedOnExit(BpfFs.ensureMounted().resolve("xdpml-bench-xsk-" + ProcessHandle.current().pid()));
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xskbench")) {
            ns.createVethPair(GEN, RCV);
            ns.run(() -> {
                int gen = Interfaces.indexOf(GEN);
                int rcv = Interfaces.indexOf(RCV);
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofConfined()) {
                    tx.load();
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(gen, 0).withLiveFrames(64)) {
                        for (int n : sampleNs) {
                            Path pin = pinDir.resolve("xsks_" + n);
                            try (XskProgram prog = XskProgram.load(n, XskProgram.XDP_DROP, metadata)) {
                                prog.socketMap().pin(pin);
                                prog.attach(rcv, XdpMode.NATIVE);
                                List<Result> c = new ArrayList<>();
                                List<Result> j = new ArrayList<>();
                                XskConfig cfg = XskConfig.receiveOnly().withBatchSize(batch).withBindMode(XskBindMode.COPY)
                            .withHugePages(hugePages);
                                // warm-up: page pool, caches, JIT of the Java receive loop
                                java(prog, run, pkt, frame.length, Math.min(frames, 2_000_000), n, rcv, cfg);
                                for (int r = 0; r < runs; r++) { // who goes first alternates
                                    if ((r & 1) == 1) j.add(java(prog, run, pkt, frame.length, frames, n, rcv, cfg));
                                    c.add(c(prog, run, pkt, frame.length, frames, n, ns, pin, batch, hugePages, consumerBinary));
                                    if ((r & 1) == 0) j.add(java(prog, run, pkt, frame.length, frames, n, rcv, cfg));
                                }
                                out.add(median(c));
                                out.add(median(j));
                            } finally {
                                BpfFs.removePin(pin);
                            }
                        }
                    }
                }
                return null;
            });
        } finally {
            BpfFs.removeRecursively(pinDir);
        }
        return out;
    }

    /**
     * A consumer that brings its own XDP program and attaches it (e.g. an
     * {@code MlPacketProcessor}): opened on the receiving interface inside the bench's namespace.
     */
    public interface AttachedConsumer extends AutoCloseable {
        /** Frames handed to the consumer so far (exact after {@link #stop()}). */
        long received();

        /** Stops receiving; what is already in the ring is handled first. */
        void stop();
    }

    /** Opens an {@link AttachedConsumer} on interface {@code ifname} with 1-in-{@code sampleN} sampling. */
    @FunctionalInterface
    public interface AttachedConsumerFactory {
        AttachedConsumer open(String ifname, int sampleN) throws Exception;
    }

    /** A named consumer under test beside C and the trivial Java consumer. */
    public record Variant(String name, AttachedConsumerFactory factory) {}

    /**
     * Like {@link #measure}, plus {@code variants}: for each sampling, C and the trivial Java
     * consumer ({@code runs} each, alternating, behind {@code xdp_xsk.bpf.c} with
     * {@code otherAction} for the frames not sampled), then each variant ({@code runs} times, its
     * own program attached, which passes the frames not sampled, as {@code MlPacketProcessor}
     * does). Medians, in the order: per sampling "c", "java", then the variants. UMEM on 4 KiB
     * pages for all (as the processor has it). Each variant is fed for {@code warmUpNanos} before
     * its first run. {@code progress} sees each median as it is known.
     */
    public static List<Result> measureVariants(int[] sampleNs, byte[] frame, int frames, int runs, int otherAction, int batch,
                                               Path consumerBinary, List<Variant> variants, long warmUpNanos,
                                               java.util.function.Consumer<Result> progress) {
        List<Result> out = new ArrayList<>();
        Path pinDir = BpfFs.createDirectoriesRemovedOnExit(BpfFs.ensureMounted().resolve("xdpml-bench-xsk-" + ProcessHandle.current().pid()));
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xskbench")) {
            ns.createVethPair(GEN, RCV);
            ns.run(() -> {
                int gen = Interfaces.indexOf(GEN);
                int rcv = Interfaces.indexOf(RCV);
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofConfined()) {
                    tx.load();
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    boolean warm = false;
                    try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(gen, 0).withLiveFrames(64)) {
                        for (int n : sampleNs) {
                            Path pin = pinDir.resolve("xsks_" + n);
                            try (XskProgram prog = XskProgram.load(n, otherAction, true)) {
                                prog.socketMap().pin(pin);
                                prog.attach(rcv, XdpMode.NATIVE);
                                List<Result> c = new ArrayList<>();
                                List<Result> j = new ArrayList<>();
                                XskConfig cfg = XskConfig.receiveOnly().withBatchSize(batch).withBindMode(XskBindMode.COPY);
                                if (!warm) java(prog, run, pkt, frame.length, Math.min(frames, 2_000_000), n, rcv, cfg);
                                for (int r = 0; r < runs; r++) { // who goes first alternates
                                    if ((r & 1) == 1) j.add(java(prog, run, pkt, frame.length, frames, n, rcv, cfg));
                                    c.add(c(prog, run, pkt, frame.length, frames, n, ns, pin, batch, false, consumerBinary));
                                    if ((r & 1) == 0) j.add(java(prog, run, pkt, frame.length, frames, n, rcv, cfg));
                                }
                                addMedian(out, c, progress);
                                addMedian(out, j, progress);
                            } finally {
                                BpfFs.removePin(pin);
                            }
                            for (Variant v : variants) { // the bench's program is detached: each brings its own
                                List<Result> rs = new ArrayList<>();
                                if (!warm) warmUp(v, run, pkt, frame.length, n, warmUpNanos);
                                for (int r = 0; r < runs; r++) rs.add(attached(v, run, pkt, frame.length, frames, n));
                                addMedian(out, rs, progress);
                            }
                            warm = true;
                        }
                    }
                }
                return null;
            });
        } finally {
            BpfFs.removeRecursively(pinDir);
        }
        return out;
    }

    private static void addMedian(List<Result> out, List<Result> runs, java.util.function.Consumer<Result> progress) {
        Result m = median(runs);
        out.add(m);
        if (progress != null) progress.accept(m);
    }

    /**
     * Feeds a variant bursts of frames for {@code warmUpNanos} before its first measured run: a
     * slow consumer gets few packets per run, too few to get its per-packet path compiled.
     */
    private static void warmUp(Variant v, TestRun run, MemorySegment pkt, int length, int n, long warmUpNanos) throws Exception {
        try (AttachedConsumer consumer = v.factory().open(RCV, n)) {
            long end = System.nanoTime() + warmUpNanos;
            while (System.nanoTime() < end) generate(run, pkt, length, 200_000);
            consumer.stop();
        }
    }

    /** One run of a variant: open it (it attaches), generate, let it drain, stop, close. */
    private static Result attached(Variant v, TestRun run, MemorySegment pkt, int length, int frames, int n) throws Exception {
        try (AttachedConsumer consumer = v.factory().open(RCV, n)) {
            Thread.sleep(20);
            long nanos = generate(run, pkt, length, frames);
            Thread.sleep(20); // what is still in the ring gets consumed
            consumer.stop();
            return new Result(v.name(), n, frames, nanos, consumer.received(), -1);
        }
    }

    private static Result median(List<Result> rs) {
        List<Result> sorted = new ArrayList<>(rs);
        sorted.sort((a, b) -> Double.compare(a.mpps(), b.mpps()));
        return sorted.get(sorted.size() / 2);
    }

    /** Runs the generator pinned to {@link #GENERATOR_CPU}; returns its nanoseconds. */
    private static long generate(TestRun run, MemorySegment pkt, int length, int frames) throws Exception {
        return CpuAffinity.callPinned(GENERATOR_CPU, () -> {
            long t0 = System.nanoTime();
            run.run(pkt, length, frames);
            return System.nanoTime() - t0;
        });
    }

    private static Result java(XskProgram prog, TestRun run, MemorySegment pkt, int length, int frames, int n,
                               int rcv, XskConfig cfg) throws Exception {
        SumHandler h = new SumHandler();
        try (XskReceiver r = XskReceiver.open(prog, rcv, new int[] {0}, cfg)) {
            r.start(q -> h, new int[] {CONSUMER_CPU}, true);
            Thread.sleep(20);
            long before = prog.counters().get(XskCounter.REDIRECTED);
            long nanos = generate(run, pkt, length, frames);
            Thread.sleep(20); // what is still in the ring gets consumed
            r.stop();
            long redirected = prog.counters().get(XskCounter.REDIRECTED) - before;
            return new Result("java", n, frames, nanos, r.received(), redirected);
        }
    }

    private static final Pattern C_RESULT = Pattern.compile("received (\\d+) sum (\\d+)");

    private static Result c(XskProgram prog, TestRun run, MemorySegment pkt, int length, int frames, int n,
                            NetworkNamespace ns, Path pin, int batch, boolean hugePages, Path binary) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "/var/run/netns/" + ns.name(), RCV, "0", pin.toString(),
                String.valueOf(CONSUMER_CPU), String.valueOf(batch)));
        if (hugePages) cmd.add("thp");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            if (!"ready".equals(ready)) throw new IllegalStateException("C consumer did not start: " + ready);
            Thread.sleep(20);
            long before = prog.counters().get(XskCounter.REDIRECTED);
            long nanos = generate(run, pkt, length, frames);
            Thread.sleep(20);
            p.toHandle().destroy(); // SIGTERM (Process.destroy would close our end of its stdout): it prints its count
            String line = out.readLine();
            if (!p.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException("C consumer did not exit");
            Matcher m = line == null ? null : C_RESULT.matcher(line);
            if (m == null || !m.find()) throw new IllegalStateException("C consumer said: " + line);
            long redirected = prog.counters().get(XskCounter.REDIRECTED) - before;
            return new Result("c", n, frames, nanos, Long.parseLong(m.group(1)), redirected);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Cost of draining frames already waiting in the RX ring, Java against C. Two veth pairs, the
     * program on each receiving end, the C consumer's socket on one and Java's on the other, so
     * that rounds alternate between them (drift of a shared machine's load hits both alike; who
     * goes first alternates too). Per
     * round the generator puts {@code perRound} frames into a ring while its consumer waits; the
     * consumer (pinned to CPU 1 for all rounds: the C process, a Java thread) waits until all of
     * them are in its RX ring, drains them and times only that. Less at the mercy of a loaded
     * machine than the end-to-end rate, since a drain of some microseconds is rarely
     * interrupted. Returns "c" then "java".
     */
    public static List<DrainResult> measureDrain(byte[] frame, int perRound, int rounds, boolean metadata, int batch,
                                                 boolean hugePages, Path consumerBinary) {
        List<DrainResult> out = new ArrayList<>();
        Path pinDir = BpfFs.createDirectoriesRemovedOnExit(BpfFs.ensureMounted().resolve("xdpml-bench-xsk-" + ProcessHandle.current().pid()));
        Path pin = pinDir.resolve("xsks_drain");
        String cGen = GEN;
        String cRcv = RCV;
        String jGen = "xskgen2";
        String jRcv = "xskgen3";
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-xskbench")) {
            ns.createVethPair(cGen, cRcv);
            ns.createVethPair(jGen, jRcv);
            ns.run(() -> {
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofConfined();
                     XskProgram cProg = XskProgram.load(1, XskProgram.XDP_DROP, metadata);
                     XskProgram jProg = XskProgram.load(1, XskProgram.XDP_DROP, metadata)) {
                    tx.load();
                    cProg.socketMap().pin(pin);
                    cProg.attach(Interfaces.indexOf(cRcv), XdpMode.NATIVE);
                    jProg.attach(Interfaces.indexOf(jRcv), XdpMode.NATIVE);
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    long[] cNs = new long[rounds];
                    long[] jNs = new long[rounds];
                    long[] cFirst = new long[rounds];
                    long[] jFirst = new long[rounds];
                    double[] cSteady = new double[rounds];
                    double[] jSteady = new double[rounds];
                    XskConfig cfg = XskConfig.receiveOnly().withBatchSize(batch).withBindMode(XskBindMode.COPY)
                            .withHugePages(hugePages);
                    List<String> args = new ArrayList<>(List.of(consumerBinary.toString(), "/var/run/netns/" + ns.name(), cRcv,
                            "0", pin.toString(), String.valueOf(CONSUMER_CPU), String.valueOf(batch), "drain"));
                    if (hugePages) args.add("thp");
                    Process p = new ProcessBuilder(args).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                    var commands = new java.util.concurrent.SynchronousQueue<Integer>();
                    var results = new java.util.concurrent.SynchronousQueue<long[]>();
                    Thread consumer = null;
                    try (TestRun cRun = tx.program("xdpml_tx").testRun().withIngress(Interfaces.indexOf(cGen), 0).withLiveFrames(64);
                         TestRun jRun = tx.program("xdpml_tx").testRun().withIngress(Interfaces.indexOf(jGen), 0).withLiveFrames(64);
                         XskSocket sock = XskSocket.open(Interfaces.indexOf(jRcv), 0, cfg)) {
                        jProg.register(sock);
                        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                        var cmd = new java.io.PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
                        if (!"ready".equals(in.readLine())) throw new IllegalStateException("C consumer did not start");
                        consumer = Thread.ofPlatform().daemon().name("xsk-drain").start(() -> {
                            try {
                                CpuAffinity.pinCurrentThread(CONSUMER_CPU);
                                SumHandler h = new SumHandler();
                                for (int want = commands.take(); want > 0; want = commands.take()) {
                                    // XDP counted them redirected; the copies land in the ring a little later
                                    while (sock.rxPending() < want) Thread.onSpinWait();
                                    long t0 = System.nanoTime();
                                    long got = sock.receive(h);
                                    long first = System.nanoTime() - t0;
                                    long firstFrames = got;
                                    while (got < want) got += sock.receive(h);
                                    results.put(new long[] {System.nanoTime() - t0, first, firstFrames});
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        Pattern drained = Pattern.compile("drained (\\d+) ns (\\d+) first (\\d+) frames (\\d+)");
                        for (int r = -rounds; r < rounds; r++) { // the first half warms up (JIT, caches)
                            long[] c = null;
                            long[] j = null;
                            for (int turn = 0; turn < 2; turn++) {
                                if ((turn == 0) == ((r & 1) == 0)) { // C first in even rounds, Java first in odd ones
                                    fillRing(cProg, cRun, pkt, frame.length, perRound);
                                    cmd.println("d " + perRound);
                                    String line = in.readLine();
                                    Matcher m = line == null ? null : drained.matcher(line);
                                    if (m == null || !m.find()) throw new IllegalStateException("C consumer said: " + line);
                                    c = new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4))};
                                } else {
                                    fillRing(jProg, jRun, pkt, frame.length, perRound);
                                    commands.put(perRound);
                                    j = results.take();
                                }
                            }
                            if (r >= 0) {
                                cNs[r] = c[0];
                                jNs[r] = j[0];
                                cFirst[r] = c[1];
                                jFirst[r] = j[1];
                                cSteady[r] = (double) (c[0] - c[1]) / (perRound - c[2]);
                                jSteady[r] = (double) (j[0] - j[1]) / (perRound - j[2]);
                            }
                        }
                        cmd.println("q");
                        p.waitFor(10, TimeUnit.SECONDS);
                    } finally {
                        p.destroyForcibly();
                        if (consumer != null) {
                            commands.put(0);
                            consumer.join();
                        }
                    }
                    out.add(new DrainResult("c", perRound, median(cNs) / perRound, min(cNs) / perRound, median(cFirst), median(cSteady)));
                    out.add(new DrainResult("java", perRound, median(jNs) / perRound, min(jNs) / perRound, median(jFirst),
                            median(jSteady)));
                }
                return null;
            });
        } finally {
            BpfFs.removePin(pin);
            BpfFs.removeRecursively(pinDir);
        }
        return out;
    }

    /**
     * ns per frame of draining waiting frames: the median and the fastest round; and the round
     * split in two: its first batch (the consumer has just woken up: caches and TLB cold after
     * whatever else ran on the CPU), median ns, and the rest, median ns per frame.
     */
    public record DrainResult(String consumer, int frames, double nsPerFrame, double minNsPerFrame, double firstBatchNanos,
                              double steadyNsPerFrame) {
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double min(long[] v) {
        return java.util.Arrays.stream(v).min().orElse(0);
    }

    /** Generates {@code n} frames on CPU 0 and waits until XDP has redirected them all. */
    private static void fillRing(XskProgram prog, TestRun run, MemorySegment pkt, int length, int n) throws Exception {
        long target = prog.counters().get(XskCounter.REDIRECTED) + n;
        generate(run, pkt, length, n);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (prog.counters().get(XskCounter.REDIRECTED) < target) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("frames did not reach the socket");
            Thread.onSpinWait();
        }
    }

    /** The trivial callback: frame length plus first byte into a sum (as the C consumer does). */
    static final class SumHandler implements XskFrameHandler {
        long sum;

        @Override
        public void onFrame(XskFrame f) {
            sum += f.length() + (f.getByte(0) & 0xff);
        }
    }

    /**
     * Compiles {@code bench/xsk_consumer.c} (from the classpath) with gcc or clang into
     * {@code dir}; returns the binary.
     */
    public static Path compileConsumer(Path dir) {
        try {
            Files.createDirectories(dir);
            Path src = dir.resolve("xsk_consumer.c");
            try (InputStream in = XskThroughput.class.getResourceAsStream("/bench/xsk_consumer.c")) {
                if (in == null) throw new IllegalStateException("bench/xsk_consumer.c is not on the classpath");
                Files.write(src, in.readAllBytes());
            }
            Path bin = dir.resolve("xsk_consumer");
            String cc = Files.isExecutable(Path.of("/usr/bin/gcc")) ? "gcc" : "clang";
            Process p = new ProcessBuilder(cc, "-O2", "-Wall", "-o", bin.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException(cc + " failed on xsk_consumer.c:\n" + log);
            return bin;
        } catch (IOException e) {
            throw new UncheckedIOException("compiling the C consumer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
