package io.xdpml.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two deliveries on a real veth pair, told apart by what the kernel's stack gets (a packet
 * socket on the receiving end sees only what XDP passed): with {@link Delivery#MIRROR} Java sees
 * every frame byte for byte (a 1,400-byte one whole) and the stack still gets every frame; with
 * {@link Delivery#AF_XDP} Java sees them and the stack gets none.
 */
class MirrorDeliveryTest {
    static final byte[] SMALL = new FrameBuilder().ethernet().ipv4("10.7.2.1", "10.7.2.2").udp(5353, 53).payload(40).build();
    static final byte[] LARGE = new FrameBuilder().ethernet().ipv4("10.7.2.1", "10.7.2.2").udp(5353, 9999).payload(1400).build();

    @Test
    void mirrorHandsJavaACopyAndPassesEveryFrame() throws Exception {
        TestData.assumeBpf();
        Result r = run(Delivery.MIRROR);
        assertThat(r.stats.received()).as("records through the mirror ring").isEqualTo(1500);
        assertThat(r.stats.processed()).isEqualTo(1500);
        assertThat(r.identical.get()).as("frames byte for byte as sent").isEqualTo(1500);
        assertThat(r.passedToStack).as("frames the stack got (packet socket)").isEqualTo(1500);
        assertThat(r.stats.deliveryLost()).isZero();
        assertThat(r.socketMode).isEqualTo("mirror");
        assertThat(r.handoffCount).as("hand-off latencies recorded").isEqualTo(1500);
        assertThat(r.latencyCount).isEqualTo(1500);
    }

    @Test
    void afXdpTakesTheFramesFromTheStack() throws Exception {
        TestData.assumeBpf();
        Result r = run(Delivery.AF_XDP);
        assertThat(r.stats.received()).isEqualTo(1500);
        assertThat(r.identical.get()).isEqualTo(1500);
        assertThat(r.passedToStack).as("redirected frames never reach the stack").isZero();
        assertThat(r.handoffCount).as("no kernel timestamp with AF_XDP").isZero();
        assertThat(r.latencyCount).isEqualTo(1500);
    }

    /**
     * A frame longer than the mirror's copy (1,536 bytes, XDPML_MIRROR_SNAP) on a link of MTU 3000:
     * Java gets its first 1,536 bytes, its length on the wire, and counts its flow's bytes at that
     * length, as the kernel's flow stage does. Before 2026-12-06 the copy's length stood for the
     * packet's, in the flows and the detectors' byte counts.
     */
    @Test
    void aFrameLongerThanTheCopyIsCountedAtItsLengthOnTheWire() throws Exception {
        TestData.assumeBpf();
        byte[] big = new FrameBuilder().ethernet().ipv4("10.7.2.1", "10.7.2.2").udp(5353, 9999).payload(2400).build();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mir")) {
            ns.createVethPair("mir0", "mir1");
            ns.exec("ip", "link", "set", "mir0", "mtu", "3000");
            ns.exec("ip", "link", "set", "mir1", "mtu", "3000");
            ns.run(() -> {
                java.util.List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                ProcessorConfig config = ProcessorConfig.forInterface("mir1").withDelivery(Delivery.MIRROR)
                        .withFlowTracking(true, 1024, 60_000_000_000L);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> {
                    MemorySegment st = packet.flowState();
                    long bytes = st == null ? -1 : io.xdpml.flow.FlowLayout.u64(st, io.xdpml.flow.FlowLayout.dirOffset(io.xdpml.flow.FlowLayout.FWD)
                            + io.xdpml.flow.FlowLayout.D_BYTES) + io.xdpml.flow.FlowLayout.u64(st,
                            io.xdpml.flow.FlowLayout.dirOffset(io.xdpml.flow.FlowLayout.BWD) + io.xdpml.flow.FlowLayout.D_BYTES);
                    seen.add(packet.length() + " " + packet.wireLength() + " " + bytes);
                    return Verdict.NORMAL;
                }); LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("mir0"))) {
                    p.start();
                    gen.send(big, 3, 0);
                    for (int i = 0; i < 200 && seen.size() < 3; i++) {
                        Thread.sleep(10);
                    }
                    p.stop();
                }
                assertThat(seen).containsExactly("1536 " + big.length + " " + big.length, "1536 " + big.length + " " + 2 * big.length,
                        "1536 " + big.length + " " + 3 * big.length);
                return null;
            });
        }
    }

    /**
     * stop() called by an interrupted thread still joins the mirror's thread before it returns (the
     * interrupt kept for the caller), so close() never unmaps the ring under a thread still reading
     * it. Until 2026-12-06 the interrupt ended the join at once and left the thread running (it polls
     * the ring for up to 100 ms a look), as XskReceiver's receive threads never were.
     */
    @Test
    void anInterruptedStopStillJoinsTheMirrorThreadAndKeepsTheInterrupt() throws Exception {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mir")) {
            ns.createVethPair("mir0", "mir1");
            ns.run(() -> {
                ProcessorConfig config = ProcessorConfig.forInterface("mir1").withDelivery(Delivery.MIRROR);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> Verdict.NORMAL)) {
                    p.start();
                    Thread.sleep(50); // the thread is in its poll of the ring
                    assertThat(mirrorThreads()).as("mirror threads while running").isPositive();
                    Thread.currentThread().interrupt();
                    p.stop();
                    assertThat(Thread.interrupted()).as("the caller's interrupt, kept").isTrue();
                    assertThat(mirrorThreads()).as("mirror threads alive when stop() returned").isZero();
                }
                return null;
            });
        }
    }

    private static long mirrorThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("xdpml-mirror") && t.isAlive()).count();
    }

    /**
     * Records a stop may still hand to the callback under a flood: the last drain's bound (2,048:
     * the AF_XDP RX ring, the mirror's MirrorReader.LAST_DRAIN), what the thread took between the
     * test's count and the stop flag, with room to spare. Before 2026-12-06 the mirror took up to
     * two rings' worth (~150,000 small records, 10.8 s here at load 3.7 with this callback).
     */
    static final long AFTER_STOP_MAX = 8192;

    /**
     * stop() returns while a flood goes on that Java cannot keep up with (a handler of ~200 µs a
     * packet; the program stays attached until close): the last drain takes what was there at the
     * stop, not what keeps coming, and at most 2,048 records of it. Before 2026-12-05 it drained
     * until Java caught up, which a flood never lets happen, and an agent under attack could not be
     * stopped; until 2026-12-06 the mirror took a ring's worth (16 MiB) a look and at the stop.
     */
    @ParameterizedTest
    @EnumSource(value = Delivery.class, names = {"MIRROR", "AF_XDP"})
    void stopReturnsWhileAFloodGoesOn(Delivery delivery) throws Exception {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mir")) {
            ns.createVethPair("mir0", "mir1");
            ns.run(() -> {
                ProcessorConfig config = ProcessorConfig.forInterface("mir1").withDelivery(delivery);
                AtomicBoolean flooding = new AtomicBoolean(true);
                AtomicLong sent = new AtomicLong();
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> {
                    long until = System.nanoTime() + 200_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    return Verdict.NORMAL;
                })) {
                    p.start();
                    Thread flood = Thread.ofPlatform().start(() -> { // a generator of its own thread, in the namespace
                        try {
                            ns.callOnThisThread(() -> {
                                try (LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("mir0"))) {
                                    while (flooding.get()) {
                                        gen.send(SMALL, 1000, 0);
                                        sent.set(gen.sent());
                                    }
                                }
                                return null;
                            });
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    try {
                        // a flood is what is stopped under: Java is receiving and the generator has outrun it by
                        // more than a last drain's worth (on a loaded 2-core machine the generator, whose frames
                        // the receiving NAPI handles on the same cores, can take a while to get that far ahead)
                        for (int i = 0; i < 1000 && (p.stats().received() < 2000 || sent.get() - p.stats().received() <= 2 * AFTER_STOP_MAX); i++) {
                            Thread.sleep(10);
                        }
                        assertThat(p.stats().received()).as("Java is receiving; sent " + sent + ", " + p.stats()).isPositive();
                        assertThat(sent.get() - p.stats().received()).as("the flood outruns Java before stop(); sent " + sent + ", " + p.stats())
                                .isGreaterThan(2 * AFTER_STOP_MAX);
                        long before = p.stats().received();
                        assertTimeoutPreemptively(Duration.ofSeconds(10), p::stop, "stop() under a flood");
                        // what the machine's speed does not decide: the records handled after the stop began
                        assertThat(p.stats().received() - before).as("records handled after stop() began (a last drain's worth and a few batches)")
                                .isLessThanOrEqualTo(AFTER_STOP_MAX);
                    } finally {
                        flooding.set(false);
                        flood.join();
                    }
                    assertThat(sent.get()).as("the flood went on").isGreaterThan(p.stats().received());
                }
                return null;
            });
        }
    }

    record Result(ProcessorStats stats, AtomicLong identical, int passedToStack, String socketMode, long handoffCount, long latencyCount) {}

    private static Result run(Delivery delivery) throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-mir")) {
            ns.createVethPair("mir0", "mir1");
            return ns.run(() -> {
                AtomicLong identical = new AtomicLong();
                ProcessorConfig config = ProcessorConfig.forInterface("mir1").withDelivery(delivery);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> {
                    byte[] expected = packet.length() == SMALL.length ? SMALL : LARGE;
                    byte[] got = packet.memory().asSlice(packet.offset(), packet.length()).toArray(ValueLayout.JAVA_BYTE);
                    if (Arrays.equals(got, expected)) {
                        identical.incrementAndGet();
                    }
                    return Verdict.NORMAL;
                }); LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("mir0"));
                     PacketSocket stack = PacketSocket.open("mir1"); Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(2048);
                    p.start();
                    int passed = 0;
                    // small bursts, drained as they go: the packet socket's receive buffer holds ~50 large frames
                    for (int i = 0; i < 75; i++) {
                        gen.send(SMALL, 10, 0);
                        gen.send(LARGE, 10, 0);
                        passed += drain(stack, buf, 5);
                    }
                    for (int i = 0; i < 200 && p.stats().processed() < 1500; i++) {
                        Thread.sleep(10);
                    }
                    passed += drain(stack, buf, 200);
                    p.stop();
                    long handoff = p.takeHandoffLatency().getTotalCount();
                    Histogram latency = p.takeLatency();
                    return new Result(p.stats(), identical, passed, p.socketMode(), handoff, latency.getTotalCount());
                }
            });
        }
    }

    /** Frames of the test (by length) the packet socket got, until quiet for {@code quietMillis}. */
    private static int drain(PacketSocket s, MemorySegment buf, int quietMillis) {
        int n = 0;
        int len;
        while ((len = s.receive(buf, quietMillis)) >= 0) {
            if (len == SMALL.length || len == LARGE.length) {
                n++;
            }
        }
        return n;
    }
}
