package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Once every subject of a capture is known, observing its packets again (same timestamps, so no
 * window closes) allocates nothing: parse, flow update and all six detectors. Measured with the
 * thread allocation counter.
 */
class DetectorAllocationTest {
    record Packet(MemorySegment frame, int length, long time) {}

    static List<Packet> load(String capture) throws Exception {
        List<Packet> out = new ArrayList<>();
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(TestData.capture(capture))) {
            while (r.next()) {
                int len = framer.frame(r);
                if (len >= 14) {
                    byte[] copy = new byte[len];
                    MemorySegment.copy(framer.frameSegment(), 0, MemorySegment.ofArray(copy), 0, len);
                    out.add(new Packet(MemorySegment.ofArray(copy), len, r.timestampNanos()));
                }
            }
        }
        return out;
    }

    static long pass(List<Packet> packets, ObservationBuilder builder, DetectorSet set) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Packet[] array = packets.toArray(Packet[]::new);
        long before = bean.getCurrentThreadAllocatedBytes();
        for (Packet p : array) {
            set.observe(builder.observe(p.frame(), p.length(), p.time()));
        }
        return bean.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void steadyStateAllocatesNothing() throws Exception {
        for (String capture : List.of("attack/portscan-1-10000.pcapng", "attack/bacnet-amplification.pcapng",
                "attack/dns-tunnel-iodine.pcap", "attack/cicddos2019-synflood.pcap", "benign/ndpi-teams.pcap")) {
            List<Packet> packets = load(capture);
            DetectorSet set = new DetectorSet(Detectors.create("all"));
            ObservationBuilder builder = new ObservationBuilder(set.needsFlows());
            long allocated = Long.MAX_VALUE;
            for (int i = 0; i < 6; i++) { // the first passes create the subjects and warm the JIT up
                allocated = Math.min(allocated, pass(packets, builder, set));
            }
            assertThat(allocated).as("bytes allocated observing %,d packets of %s again", packets.size(), capture).isLessThan(1024);
        }
    }
    /**
     * A window's sets past their caps ({@code synflood.maxTuples}, {@code maxPairs}; since
     * 2026-12-06) drop keys in place as their sampling level goes up: once the tables have their
     * full size, a spoofed SYN flood allocates nothing while the level rises.
     */
    @Test
    void sampledWindowSetsAllocateNothing() {
        SynFloodDetector.Config c = SynFloodDetector.Config.defaults();
        SynFloodDetector d = new SynFloodDetector(new SynFloodDetector.Config(c.windowNanos(), c.minSyns(), c.minSynRate(),
                c.maxCompletionRatio(), c.spoofedSpread(), c.earlyNanos(), c.maxHosts(), 4096, 4096));
        SpoofedTraffic traffic = new SpoofedTraffic();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        int victim = SpoofedTraffic.ip("192.0.2.7");
        long t = 1_000_000_000L;
        for (int i = 0; i < 100_000; i++) { // the tables reach their full size, the JIT warms up
            traffic.tcp(d, t + i, rnd.nextInt(), victim, 1024 + rnd.nextInt(60_000), 80, SpoofedTraffic.SYN);
        }
        int levelBefore = d.tuples().level();
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 400_000; i++) {
            traffic.tcp(d, t + 100_000 + i, rnd.nextInt(), victim, 1024 + rnd.nextInt(60_000), 80, SpoofedTraffic.SYN);
        }
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        assertThat(d.tuples().level()).as("the sampling level rose while measured").isGreaterThan(levelBefore);
        assertThat(d.pairs().level()).isPositive();
        assertThat(allocated).as("bytes allocated by 400,000 spoofed SYNs past the caps").isLessThan(1024);
    }

    /**
     * The scans' window sets past their caps ({@code maxTargets}; since 2026-12-06): one scanner
     * probing a new (host, port) with every SYN or datagram, its entry made, allocates nothing in
     * portscan, udpscan, sweep or slowscan once the sets are at their cap and sampled.
     */
    @Test
    void sampledTargetSetsAllocateNothing() {
        PortScanDetector.Config p = PortScanDetector.Config.defaults();
        UdpScanDetector.Config u = UdpScanDetector.Config.defaults();
        SweepDetector.Config w = SweepDetector.Config.defaults();
        SlowScanDetector.Config l = SlowScanDetector.Config.defaults();
        List<Detector> detectors = List.of(
                new PortScanDetector(new PortScanDetector.Config(p.windowNanos(), p.minDistinctPorts(), p.minDistinctHosts(),
                        p.maxProbesPerTarget(), p.maxReplyRatio(), p.maxSources(), p.earlyNanos(), 4096, 4096)),
                new UdpScanDetector(new UdpScanDetector.Config(u.windowNanos(), u.minDistinctPorts(), u.minPortsPerHost(), u.minDistinctHosts(),
                        u.minHostsPerPort(), u.maxProbesPerTarget(), u.maxReplyRatio(), u.maxSources(), u.earlyNanos(), 4096)),
                new SweepDetector(new SweepDetector.Config(w.windowNanos(), w.minDistinctHosts(), w.maxProbesPerHost(), w.maxReplyRatio(),
                        w.minHostsPerPort(), w.maxSources(), w.earlyNanos(), 4096, 4096)),
                new SlowScanDetector(new SlowScanDetector.Config(l.epochNanos(), l.epochs(), l.minDistinctTargets(), l.maxProbesPerTarget(),
                        l.maxReplyRatio(), l.maxSources(), 4096)));
        SpoofedTraffic traffic = new SpoofedTraffic();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        int scanner = SpoofedTraffic.ip("203.0.113.5");
        int net = SpoofedTraffic.ip("10.60.0.0");
        long t = 1_000_000_000L;
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (Detector d : detectors) {
            boolean udp = d instanceof UdpScanDetector;
            for (int i = 0; i < 100_000; i++) { // the sets reach their cap, the JIT warms up
                probe(traffic, d, udp, t + i, scanner, net | rnd.nextInt(65_536), 1 + rnd.nextInt(65_535));
            }
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 300_000; i++) {
                probe(traffic, d, udp, t + 100_000 + i, scanner, net | rnd.nextInt(65_536), 1 + rnd.nextInt(65_535));
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("bytes allocated by 300,000 new targets past the cap in %s", d.name()).isLessThan(1024);
        }
    }

    private static void probe(SpoofedTraffic traffic, Detector d, boolean udp, long t, int src, int dst, int port) {
        if (udp) {
            traffic.udp(d, t, src, dst, 45_000, port);
        } else {
            traffic.tcp(d, t, src, dst, 45_000, port, SpoofedTraffic.SYN);
        }
    }
}
