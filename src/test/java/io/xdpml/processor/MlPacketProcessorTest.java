package io.xdpml.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor API on a real veth pair: frames generated into the pair reach the callback through
 * AF_XDP with their parse and flow features; the flagged ones are counted and the first N
 * captured to a pcap file byte for byte; a protocol filter and 1-in-N sampling in XDP change what
 * the callback sees as configured.
 */
class MlPacketProcessorTest {
    static final byte[] UDP = new FrameBuilder().ethernet().ipv4("10.7.0.1", "10.7.0.2").udp(5353, 53).payload(40).build();
    static final byte[] TCP = new FrameBuilder().ethernet().ipv4("10.7.0.1", "10.7.0.2").tcp(40000, 443, 0x02).payload(20).build();

    @Test
    void callbackSeesEveryFrameWithFeaturesAndFlaggedOnesAreCaptured(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path pcap = dir.resolve("flagged.pcap");
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-proc")) {
            ns.createVethPair("prc0", "prc1");
            ns.run(() -> {
                AtomicLong maxFwdPackets = new AtomicLong();
                AtomicLong udpSeen = new AtomicLong();
                ProcessorConfig config = ProcessorConfig.forInterface("prc1").withCapture(pcap, 5);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> {
                    maxFwdPackets.accumulateAndGet(packet.input("fwd_packets"), Math::max);
                    if (packet.summary().l4Protocol() == 17) {
                        udpSeen.incrementAndGet();
                        return Verdict.flag(packet.input("packet_length"), "udp");
                    }
                    return Verdict.NORMAL;
                }); LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("prc0"))) {
                    p.start();
                    trickle(gen, UDP, 3000);
                    trickle(gen, TCP, 2000);
                    waitFor(p, 5000);
                    p.stop();
                    ProcessorStats s = p.stats();
                    assertThat(s.received()).as("frames through AF_XDP (%s mode)", p.socketMode()).isEqualTo(5000);
                    assertThat(s.processed()).isEqualTo(5000);
                    assertThat(s.flagged()).isEqualTo(3000);
                    assertThat(udpSeen.get()).isEqualTo(3000);
                    assertThat(s.captured()).isEqualTo(5);
                    assertThat(s.callbackErrors()).isZero();
                    assertThat(maxFwdPackets.get()).as("flow features: the UDP flow's packet count").isEqualTo(3000);
                }
                try (CaptureReader r = CaptureReader.open(pcap)) {
                    int n = 0;
                    while (r.next()) {
                        byte[] got = new byte[(int) r.capturedLength()];
                        java.lang.foreign.MemorySegment.copy(r.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, got, 0, got.length);
                        assertThat(Arrays.equals(got, UDP)).as("captured frame %d", n).isTrue();
                        n++;
                    }
                    assertThat(n).isEqualTo(5);
                }
                return null;
            });
        }
    }

    /**
     * A capture whose writes fail (a 4 KiB tmpfs: the disk full after some 40 packets) stops
     * capturing, says why, and every packet is still received and handled; before 2026-12-05 the
     * failed write ended the receive thread, and with it the agent.
     */
    @Test
    void aCaptureThatCannotBeWrittenStopsAloneNotTheReceiving(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        host("mount", "-t", "tmpfs", "-o", "size=4k", "xdpml-test", dir.toString()); // not ip netns exec: it mounts in a namespace of its own
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-proc")) {
            try {
                ns.createVethPair("prc0", "prc1");
                ns.run(() -> {
                    ProcessorConfig config = ProcessorConfig.forInterface("prc1").withCapture(dir.resolve("flagged.pcap"), 1000);
                    try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> Verdict.flag(1, "every"));
                         LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("prc0"))) {
                        p.start();
                        trickle(gen, UDP, 2000);
                        waitFor(p, 2000);
                        p.stop(); // rethrows a receive thread's failure
                        ProcessorStats s = p.stats();
                        assertThat(s.processed()).isEqualTo(2000);
                        assertThat(s.flagged()).isEqualTo(2000);
                        assertThat(s.captured()).as("captured until the disk was full").isBetween(1L, 100L);
                        assertThat(p.captureFailure()).as("why the capture stopped").isNotNull();
                    }
                    return null;
                });
            } finally {
                host("umount", dir.toString());
            }
        }
    }

    static void host(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

    @Test
    void protocolFilterAndSamplingApply() throws Exception {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-proc")) {
            ns.createVethPair("prf0", "prf1");
            ns.run(() -> {
                ProcessorConfig config = ProcessorConfig.forInterface("prf1").withProtocols(6).withSampling(10).withCpus(0).withHugePages(true);
                try (MlPacketProcessor p = MlPacketProcessor.open(config, packet -> Verdict.NORMAL);
                     LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("prf0"))) {
                    p.start();
                    trickle(gen, UDP, 20_000);
                    trickle(gen, TCP, 20_000);
                    Thread.sleep(300);
                    p.stop();
                    ProcessorStats s = p.stats();
                    // 1-in-10 at random in XDP: 4,000 expected of 40,000; +-20% is > 6 sigma
                    assertThat(s.received()).isBetween(3200L, 4800L);
                    assertThat(s.filtered() + s.processed()).isEqualTo(s.received());
                    assertThat(s.processed()).as("TCP only").isBetween(1600L, 2400L);
                }
                return null;
            });
        }
    }

    @Test
    void theExampleRunsAsDocumented(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Path pcap = dir.resolve("example.pcap");
        byte[] syn = new FrameBuilder().ethernet().ipv4("10.7.1.1", "10.7.1.2").tcp(41000, 80, 0x02).build();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-proc")) {
            ns.createVethPair("pre0", "pre1");
            java.util.concurrent.CompletableFuture<ProcessorStats> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return ns.callOnThisThread(() -> io.xdpml.examples.ProcessorExample.run("pre1", 3, pcap,
                            new java.io.PrintStream(java.io.OutputStream.nullOutputStream())));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            ns.run(() -> {
                Thread.sleep(1500);
                try (LiveFrameGenerator gen = LiveFrameGenerator.open(Interfaces.indexOf("pre0"))) {
                    trickle(gen, syn, 10);
                }
                return null;
            });
            ProcessorStats s = run.get();
            assertThat(s.processed()).isEqualTo(10);
            assertThat(s.flagged()).as("SYNs 3 to 10 of an unanswered flow").isEqualTo(8);
            assertThat(s.captured()).isEqualTo(8);
        }
    }

    /** Sends in bursts of 250 with pauses, so the AF_XDP RX ring (2,048 frames) never overflows. */
    static void trickle(LiveFrameGenerator gen, byte[] frame, int count) throws InterruptedException {
        for (int sent = 0; sent < count; sent += 250) {
            gen.send(frame, Math.min(250, count - sent), 0);
            Thread.sleep(5);
        }
    }

    static void waitFor(MlPacketProcessor p, long frames) throws InterruptedException {
        for (int i = 0; i < 200 && p.stats().received() < frames; i++) {
            Thread.sleep(10);
        }
        Thread.sleep(50);
    }
}
