package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The window sets of portscan, udpscan, sweep, reflection and slowscan under a spoofed flood (since
 * 2026-12-06; before, they grew with every packet of the window): each stays at its cap (set small
 * here, 512 keys, so that the flood drives the sample to 1 in 128 or less), the attack inside is still
 * reported and says its counts were sampled, and none of the flood's sources, whose one kept key
 * stands for 128 or more, passes a threshold of 50 or 100 ({@link SampledKeys#enoughKept}).
 */
class WindowSetCapsTest {
    private static final long S = 1_000_000_000L;
    private static final int CAP = 512;
    private final SplittableRandom rnd = new SplittableRandom(11);
    private final SpoofedTraffic traffic = new SpoofedTraffic();

    /** 300,000 spoofed SYNs to a /16 in one window and, among them, a SYN scan of 10,000 ports of one host. */
    @Test
    void portscanTargetSetsStayAtTheCapAndTheScanIsReported() {
        PortScanDetector.Config c = PortScanDetector.Config.defaults();
        PortScanDetector d = new PortScanDetector(new PortScanDetector.Config(c.windowNanos(), c.minDistinctPorts(), c.minDistinctHosts(),
                c.maxProbesPerTarget(), c.maxReplyRatio(), c.maxSources(), c.earlyNanos(), c.maxConnected(), CAP));
        int net = SpoofedTraffic.ip("10.40.0.0");
        int scanner = SpoofedTraffic.ip("203.0.113.7");
        int scanned = SpoofedTraffic.ip("192.0.2.10");
        int[] largest = {0};
        hide((t, n) -> traffic.tcp(d, t, scanner, scanned, 45_000, 1 + n, SpoofedTraffic.SYN),
                t -> traffic.tcp(d, t, rnd.nextInt(), net | rnd.nextInt(65_536), 1024 + rnd.nextInt(60_000), 80, SpoofedTraffic.SYN),
                () -> largest[0] = Math.max(largest[0], d.largestTargetSet()));
        traffic.finish(d);
        assertThat(largest[0]).as("keys in the largest target set").isLessThanOrEqualTo(CAP);
        List<Detection> scans = traffic.of("203.0.113.7");
        assertThat(scans).as("the scanner").hasSize(1);
        assertThat(scans.getFirst().reasons().getFirst()).matches("[\\d,]+ distinct destination ports on 1 host in .*");
        assertThat(scans.getFirst().reasons()).anyMatch(r -> r.matches("sampled 1 in [\\d,]+ of the window's .*portscan.maxTargets 512 reached.*estimated"));
        assertThat(traffic.found).as("only the scanner: no spoofed source on one kept key").hasSize(1);
    }

    /** The same for UDP: 300,000 spoofed datagrams and a UDP scan of 10,000 ports of one host. */
    @Test
    void udpscanTargetSetsStayAtTheCapAndTheScanIsReported() {
        UdpScanDetector.Config c = UdpScanDetector.Config.defaults();
        UdpScanDetector d = new UdpScanDetector(new UdpScanDetector.Config(c.windowNanos(), c.minDistinctPorts(), c.minPortsPerHost(),
                c.minDistinctHosts(), c.minHostsPerPort(), c.maxProbesPerTarget(), c.maxReplyRatio(), c.maxSources(), c.earlyNanos(), CAP));
        int net = SpoofedTraffic.ip("10.41.0.0");
        int scanner = SpoofedTraffic.ip("203.0.113.17");
        int scanned = SpoofedTraffic.ip("192.0.2.11");
        int[] largest = {0};
        hide((t, n) -> traffic.udp(d, t, scanner, scanned, 45_000, 1 + n),
                t -> traffic.udp(d, t, rnd.nextInt(), net | rnd.nextInt(65_536), 40_000 + rnd.nextInt(20_000), 53),
                () -> largest[0] = Math.max(largest[0], d.largestTargetSet()));
        traffic.finish(d);
        assertThat(largest[0]).isLessThanOrEqualTo(CAP);
        List<Detection> scans = traffic.of("203.0.113.17");
        assertThat(scans).as("the UDP scanner").hasSize(1);
        assertThat(scans.getFirst().reasons()).anyMatch(r -> r.contains("udpscan.maxTargets 512 reached"));
        assertThat(traffic.found).as("only the scanner").hasSize(1);
    }

    /** 300,000 spoofed SYNs and a SYN sweep of port 80 over 10,000 hosts. */
    @Test
    void sweepHostSetStaysAtTheCapAndTheSweepIsReported() {
        SweepDetector.Config c = SweepDetector.Config.defaults();
        SweepDetector d = new SweepDetector(new SweepDetector.Config(c.windowNanos(), c.minDistinctHosts(), c.maxProbesPerHost(),
                c.maxReplyRatio(), c.minHostsPerPort(), c.maxSources(), c.earlyNanos(), c.maxConnected(), CAP));
        int net = SpoofedTraffic.ip("10.42.0.0");
        int sweeper = SpoofedTraffic.ip("203.0.113.8");
        int swept = SpoofedTraffic.ip("10.99.0.0");
        int[] largest = {0};
        hide((t, n) -> traffic.tcp(d, t, sweeper, swept + 1 + n, 45_001, 80, SpoofedTraffic.SYN),
                t -> traffic.tcp(d, t, rnd.nextInt(), net | rnd.nextInt(65_536), 1024 + rnd.nextInt(60_000), 80, SpoofedTraffic.SYN),
                () -> largest[0] = Math.max(largest[0], d.hostSet().size()));
        traffic.finish(d);
        assertThat(largest[0]).isLessThanOrEqualTo(CAP);
        List<Detection> sweeps = traffic.of("203.0.113.8");
        assertThat(sweeps).as("the sweeper").hasSize(1);
        assertThat(sweeps.getFirst().reasons()).anyMatch(r -> r.startsWith("TCP SYN sweep: "))
                .anyMatch(r -> r.contains("sweep.maxTargets 512 reached"));
        assertThat(traffic.found).as("only the sweeper").hasSize(1);
    }

    /** A million datagrams to random (host, port)s and, among them, 20,000 responses from UDP 3283 of 5,000 reflectors to one victim. */
    @Test
    void reflectorSetStaysAtTheCapAndTheVictimIsReported() {
        SpoofedTraffic big = new SpoofedTraffic(512);
        ReflectionDetector.Config c = ReflectionDetector.Config.defaults();
        ReflectionDetector d = new ReflectionDetector(new ReflectionDetector.Config(c.windowNanos(), c.minResponseBytes(), c.minReflectors(),
                c.minAmplification(), c.minUnsolicitedShare(), c.listedServicesToo(), c.maxVictims(), c.earlyNanos(), c.twoWay(),
                c.oneWayMinReflectors(), c.oneWayPortReflectors(), CAP));
        int net = SpoofedTraffic.ip("10.30.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.99");
        int largest = 0;
        for (int i = 0; i < 1_000_000; i++) {
            long t = S + i * (9 * S / 1_000_000);
            if (i >= 200_000 && i % 40 == 20) {
                big.udp(d, t, SpoofedTraffic.ip("198.51.0.0") + rnd.nextInt(5_000), victim, 3283, 4444);
            } else {
                big.udp(d, t, rnd.nextInt(), net | rnd.nextInt(65_536), 1024 + rnd.nextInt(60_000), 1024 + rnd.nextInt(60_000));
            }
            largest = Math.max(largest, d.reflectorSet().size());
        }
        big.finish(d);
        assertThat(largest).isLessThanOrEqualTo(CAP);
        List<Detection> reports = big.of("192.0.2.99");
        assertThat(reports).as("the victim").hasSize(1);
        assertThat(reports.getFirst().reasons()).anyMatch(r -> r.contains("reflection.maxReflectors 512 reached): reflectors estimated"));
        assertThat(big.found).as("only the victim").hasSize(1);
    }

    /** 100,000 spoofed SYNs an epoch from a /16 to one server; from the second epoch, a slow scanner's 5 new ports an epoch. */
    @Test
    void slowscanEpochSetStaysAtTheCapAndTheSlowScanIsReported() {
        SlowScanDetector.Config c = SlowScanDetector.Config.defaults();
        SlowScanDetector d = new SlowScanDetector(new SlowScanDetector.Config(c.epochNanos(), c.epochs(), c.minDistinctTargets(),
                c.maxProbesPerTarget(), c.maxReplyRatio(), c.maxSources(), CAP));
        int[] largest = {0};
        int[] maxLevel = {0};
        // the server's ports vary: each spoofed source's probes are distinct targets, keys for the set
        traffic.slowScanAmongSpoofedSyns(d, rnd, 1_000, () -> {
            largest[0] = Math.max(largest[0], d.seenSet().size());
            maxLevel[0] = Math.max(maxLevel[0], d.seenSet().level());
        });
        traffic.finish(d);
        assertThat(largest[0]).isLessThanOrEqualTo(CAP);
        assertThat(maxLevel[0]).as("sampled 1 in 128 or less").isGreaterThanOrEqualTo(7);
        assertThat(traffic.of("203.0.113.9")).as("the slow scanner, 5 ports an epoch").isNotEmpty()
                .allMatch(x -> x.detector().equals("slowscan"));
        assertThat(traffic.found).as("only the scanner").allMatch(x -> x.subject().equals("203.0.113.9"));
    }

    /** One of the attack's packets, the {@code n}th (from 0), at {@code t}. */
    private interface Attack {
        void at(long t, int n);
    }

    /**
     * 300,000 packets over 9 s of one window: from the 100,000th on, every 20th is the attack's
     * (10,000 in all), the others the flood's; {@code check} runs after each.
     */
    private static void hide(Attack attack, java.util.function.LongConsumer flood, Runnable check) {
        for (int i = 0; i < 300_000; i++) {
            long t = S + i * (9 * S / 300_000);
            if (i >= 100_000 && i % 20 == 0 && (i - 100_000) / 20 < 10_000) {
                attack.at(t, (i - 100_000) / 20);
            } else {
                flood.accept(t);
            }
            check.run();
        }
    }
}
