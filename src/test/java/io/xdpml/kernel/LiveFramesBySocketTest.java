package io.xdpml.kernel;

import io.xdpml.xsk.CpuAffinity;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AF_PACKET fallback of live-frame test runs ({@link TestRun#withLiveFramesBySocket},
 * {@link PacketSocketTx}), forced, so it is tested also where the kernel takes live frames: the
 * frames of a veth end reach its peer's XDP program, each counted once (maps.bpf.o's count_a,
 * native mode), none lost, none more; a program other than xdpml_tx is run per frame and what it
 * leaves is sent. And plain live frames work on either kind of kernel (live, or the fallback).
 */
class LiveFramesBySocketTest {
    NetworkNamespace ns;
    BpfObject counters;
    BpfObject tx;
    Arena arena;
    /** The sending end's and the peer's ifindex. */
    int a;
    int b;

    @BeforeEach
    void setUp() {
        KernelAssumptions.assumeBpf();
        arena = Arena.ofShared();
        ns = NetworkNamespace.create("xdpml-lfsock");
        ns.createVethPair("lfa", "lfb");
        counters = BpfObject.openResource("/bpf/maps.bpf.o");
        counters.load();
        tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o");
        tx.load();
        a = ns.run(() -> Interfaces.indexOf("lfa"));
        b = ns.run(() -> Interfaces.indexOf("lfb"));
    }

    /** count_a natively on the peer: arr[0] counts what arrives. */
    private XdpAttachment countOnPeer() {
        return ns.run(() -> XdpAttachment.attach(counters.program("count_a"), b, XdpMode.NATIVE));
    }

    @AfterEach
    void tearDown() {
        try {
            if (tx != null) tx.close();
            if (counters != null) counters.close();
        } finally {
            if (ns != null) ns.close();
            if (arena != null) arena.close();
        }
    }

    private long counted() {
        return counters.map("arr").lookupLong(0, arena.allocate(8), 0);
    }

    private void awaitCounted(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (counted() < expected && System.nanoTime() < deadline) Thread.sleep(5);
        Thread.sleep(50); // nothing more may arrive
        assertThat(counted()).as("frames the peer's XDP program counted").isEqualTo(expected);
    }

    @Test
    void theFallbackDeliversExactlyTheFramesAskedForToThePeersXdpProgram() throws Exception {
        MemorySegment frame = KernelAssumptions.frame(arena, 64);
        try (XdpAttachment att = countOnPeer()) {
            int n = 200_003; // not a multiple of the batch: the last sendmmsg is short
            int rc = ns.run(() -> {
                try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(a, 0).withLiveFramesBySocket(64)) {
                    assertThat(run.sendsBySocket()).isTrue();
                    int r = run.run(frame, 64, 1); // one, then many: the socket is opened once
                    return r + run.run(frame, 64, n - 1);
                }
            });
            assertThat(rc).isZero(); // as a live run: no return code
            awaitCounted(n);
        }
    }

    @Test
    void anotherProgramRunsPerFrameAndWhatItLeavesIsSent() throws Exception {
        // xdpml_tx_two_flows writes flow 0's or flow 1's source address (last two bytes, offset 28) in turn
        MemorySegment flows = tx.variable("tx_flows");
        flows.set(JAVA_BYTE, 2, (byte) 0x11);
        flows.set(JAVA_BYTE, 3, (byte) 0x22);
        flows.set(JAVA_BYTE, 6, (byte) 0x33);
        flows.set(JAVA_BYTE, 7, (byte) 0x44);
        MemorySegment frame = KernelAssumptions.frame(arena, 64);
        int n = 150; // more than two batches
        Map<Integer, Integer> seen = ns.run(() -> {
            try (PacketSocket rx = PacketSocket.open("lfb");
                 TestRun run = tx.program("xdpml_tx_two_flows").testRun().withIngress(a, 0).withLiveFramesBySocket(64)) {
                run.run(frame, 64, n);
                Map<Integer, Integer> bySource = new HashMap<>();
                MemorySegment buf = arena.allocate(2048);
                for (int len; (len = rx.receive(buf, 500)) >= 0; ) {
                    if (len == 64 && buf.get(JAVA_BYTE, 12) == (byte) 0x88 && buf.get(JAVA_BYTE, 13) == (byte) 0xb5) {
                        bySource.merge((buf.get(JAVA_BYTE, 28) & 0xff) << 8 | (buf.get(JAVA_BYTE, 29) & 0xff), 1, Integer::sum);
                    }
                }
                return bySource;
            }
        });
        assertThat(seen).containsExactlyInAnyOrderEntriesOf(Map.of(0x1122, n / 2, 0x3344, n / 2));
    }

    @Test
    void queuedDistinctFramesGoOutInBurstsEachOnceInOrder() throws Exception {
        int n = 200; // three full bursts of 64 and a short one
        java.util.List<Integer> seen = ns.run(() -> {
            try (PacketSocket rx = PacketSocket.open("lfb");
                 TestRun run = tx.program("xdpml_tx").testRun().withIngress(a, 0).withLiveFramesBySocket(64)) {
                MemorySegment frame = KernelAssumptions.frame(arena, 64);
                for (int i = 0; i < n; i++) {
                    frame.set(JAVA_BYTE, 20, (byte) (i >> 8));
                    frame.set(JAVA_BYTE, 21, (byte) i); // every frame differs: the queue copies it
                    assertThat(run.queueLive(frame, 64)).isTrue();
                }
                run.sendQueued();
                java.util.List<Integer> order = new java.util.ArrayList<>();
                MemorySegment buf = arena.allocate(2048);
                for (int len; (len = rx.receive(buf, 500)) >= 0; ) {
                    if (len == 64 && buf.get(JAVA_BYTE, 12) == (byte) 0x88 && buf.get(JAVA_BYTE, 13) == (byte) 0xb5) {
                        order.add((buf.get(JAVA_BYTE, 20) & 0xff) << 8 | (buf.get(JAVA_BYTE, 21) & 0xff));
                    }
                }
                return order;
            }
        });
        assertThat(seen).isEqualTo(java.util.stream.IntStream.range(0, n).boxed().toList());
    }

    @Test
    void liveFramesReachThePeerOnEitherKindOfKernel() throws Exception {
        MemorySegment frame = KernelAssumptions.frame(arena, 64);
        try (XdpAttachment att = countOnPeer()) {
            boolean bySocket = ns.run(() -> {
                try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(a, 0).withLiveFrames(64)) {
                    run.run(frame, 64, 1000);
                    return run.sendsBySocket();
                }
            });
            assertThat(bySocket).isEqualTo(TestRun.liveFramesRefused());
            awaitCounted(1000);
        }
    }

    /**
     * ENOBUFS is retried: every frame handed in arrives once. On this kernel a veth peer with a
     * native XDP program takes frames into a 256-entry ring drained by its NAPI; run in the sender's
     * own softirq (the default) it keeps up: 200,000 frames met no ENOBUFS here. With the peer's
     * NAPI threaded (a kthread), pinned to the sender's CPU, it drains only while the sender is off
     * that CPU (its retry yields to it): the ring fills, veth refuses the frame (the sender's
     * tx_dropped) and sendmmsg answers ENOBUFS (27,000 to 96,000 times in 200,000 frames here, pinned
     * or not, at load 12-14). Without the retry those frames are lost.
     */
    @Test
    void aFullPeerRingAnswersEnobufsAndEveryFrameStillArrivesOnce() throws Exception {
        MemorySegment frame = KernelAssumptions.frame(arena, 64);
        try (XdpAttachment att = countOnPeer()) {
            Set<Long> before = napiThreads();
            ns.exec("sh", "-c", "echo 1 > /sys/class/net/lfb/threaded"); // the peer's NAPI in a kthread
            Set<Long> ours = napiThreads();
            ours.removeAll(before);
            if (ours.size() == 1) { // another run's veth of the same name may have made one at once: then leave them be
                ns.exec("taskset", "-pc", "0", String.valueOf(ours.iterator().next()));
            }
            int n = 200_000;
            long noBufs = ns.run(() -> CpuAffinity.callPinned(0, () -> {
                try (PacketSocketTx tx = PacketSocketTx.open(a)) {
                    tx.sendCopies(frame, 64, n);
                    return tx.noBufs();
                }
            }));
            long refused = Long.parseLong(ns.exec("cat", "/sys/class/net/lfa/statistics/tx_dropped").trim());
            assertThat(noBufs).as("sendmmsg calls answered ENOBUFS (the test's precondition)").isPositive();
            assertThat(refused).as("frames veth refused for a full ring (tx_dropped)").isGreaterThanOrEqualTo(noBufs);
            awaitCounted(n);
            assertThat(Long.parseLong(ns.exec("cat", "/sys/class/net/lfa/statistics/tx_packets").trim()))
                    .as("frames veth took (tx_packets)").isEqualTo(n);
        }
    }

    /**
     * A peer that is down takes no frame (every send answered ENOBUFS): the send says so after
     * {@link PacketSocketTx#STALL_NANOS}, where it retried for ever before (a generator into a gone
     * link hung).
     */
    @Test
    @Timeout(60) // without the stall's limit the send never returns
    void aPeerThatIsDownMakesTheSendFailWithinItsStallTimeNotRetryForEver() {
        MemorySegment frame = KernelAssumptions.frame(arena, 64);
        ns.exec("ip", "link", "set", "lfb", "down");
        long start = System.nanoTime();
        Throwable thrown = ns.run(() -> {
            try (PacketSocketTx tx = PacketSocketTx.open(a)) {
                tx.sendCopies(frame, 64, 1_000);
                return null;
            } catch (KernelException e) {
                return e;
            }
        });
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(thrown).as("the send into a link that is down").isInstanceOf(KernelException.class)
                .hasMessageContaining("took no frame for 2 s").hasMessageContaining("down");
        assertThat(tookMillis).as("ms until it gave up").isBetween(PacketSocketTx.STALL_NANOS / 1_000_000, 30_000L);
    }

    /**
     * close() of a run whose queued frames cannot go out (the peer down: the send's stall) throws,
     * and still closes its socket: before 2026-12-06 the throw left the socket open.
     */
    @Test
    @Timeout(60)
    void aCloseWhoseQueuedFramesCannotGoStillClosesItsSocket() throws Exception {
        ns.exec("ip", "link", "set", "lfb", "down");
        Set<String> before = openSockets();
        Throwable thrown = ns.run(() -> {
            TestRun run = tx.program("xdpml_tx").testRun().withIngress(a, 0).withLiveFramesBySocket(64);
            MemorySegment frame = KernelAssumptions.frame(arena, 64);
            assertThat(run.queueLive(frame, 64)).isTrue();
            try {
                run.close();
                return null;
            } catch (KernelException e) {
                return e;
            }
        });
        assertThat(thrown).as("closing with frames the link will not take").isInstanceOf(KernelException.class)
                .hasMessageContaining("took no frame");
        Set<String> left = openSockets();
        left.removeAll(before);
        assertThat(left).as("sockets opened by the run and still open after its close").isEmpty();
    }

    /** The sockets this process has open (their "socket:[inode]" names). */
    private static Set<String> openSockets() throws IOException {
        Set<String> sockets = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:")) {
                        sockets.add(target);
                    }
                } catch (IOException closed) {
                    // closed meanwhile (the directory stream's own descriptor among them)
                }
            }
        }
        return sockets;
    }

    /** The pids of the kernel's threaded-NAPI threads of interfaces named lfb (any namespace). */
    private static Set<Long> napiThreads() throws IOException {
        Set<Long> pids = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : procs) {
                try {
                    if (Files.readString(d.resolve("comm")).startsWith("napi/lfb-")) {
                        pids.add(Long.parseLong(d.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // the process ended meanwhile
                }
            }
        }
        return pids;
    }
}
