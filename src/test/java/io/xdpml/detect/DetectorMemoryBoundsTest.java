package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each detector's per-subject tables stay within their caps under a realistic spoofed flood
 * (1-2 million packets through the observe path), and the attack hidden in it is still reported.
 * Until 2026-12-06 these tables grew with every new spoofed subject, or, capped, kept the first
 * comers and missed the attack that came after them.
 */
class DetectorMemoryBoundsTest {
    private static final long S = 1_000_000_000L;
    private final SplittableRandom rnd = new SplittableRandom(7);
    private final SpoofedTraffic traffic = new SpoofedTraffic();

    /**
     * 1.5 million SYNs from random sources to random hosts of a /16 behind a gateway (65,536
     * destinations, about 23 SYNs each) in one 10 s window; hidden in them, from when the table is
     * long full (the fifth of the window on), 1,500 spoofed SYNs to one victim. The destinations'
     * table stays at synflood.maxHosts (8,192, about 16 MB), and the victim is reported by name with
     * nearly all of its SYNs (a cap that kept the first comers would miss it).
     */
    @Test
    void synFloodToManyDestinationsStaysCappedAndTheVictimIsReported() {
        SynFloodDetector d = new SynFloodDetector();
        int gatewayNet = SpoofedTraffic.ip("10.20.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.80");
        int packets = 1_500_000;
        int maxTracked = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            boolean toVictim = i >= 300_000 && i % 800 == 400;
            int dst = toVictim ? victim : gatewayNet | rnd.nextInt(65_536);
            traffic.tcp(d, t, rnd.nextInt(), dst, 1024 + rnd.nextInt(60_000), toVictim ? 443 : 80, SpoofedTraffic.SYN);
            if ((i & 0xffff) == 0) {
                maxTracked = Math.max(maxTracked, d.tracked());
            }
        }
        maxTracked = Math.max(maxTracked, d.tracked());
        traffic.finish(d);
        assertThat(maxTracked).as("destinations tracked in the window").isLessThanOrEqualTo(8192);
        assertThat(d.evicted() + d.untracked()).as("the cap was reached and counted").isPositive();
        List<Detection> reports = traffic.of("192.0.2.80");
        assertThat(reports).as("the victim hidden among 65,536 flooded destinations").hasSize(1);
        assertThat(reports.getFirst().reasons().getFirst()).as("nearly all of its 1,500 SYNs counted").matches("1,[45]\\d\\d SYNs in .*port 443");
        assertThat(reports.getFirst().reasons()).anyMatch(r -> r.startsWith("table of 8,192 destinations full (synflood.maxHosts)"));
        assertThat(traffic.found).as("only the victim").hasSize(1);
        // what /metrics serves (xdpml_detector_untracked_total, xdpml_detector_evicted_total): the set's counts per detector
        java.util.Map<String, long[]> counts = new DetectorSet(List.of(d, new PortScanDetector())).tableCounts();
        assertThat(counts.keySet()).containsExactly("synflood", "portscan");
        assertThat(counts.get("synflood")).containsExactly(d.untracked(), d.evicted());
        assertThat(counts.get("portscan")).containsExactly(0L, 0L);
    }

    /**
     * Two million spoofed SYNs in one 10 s window: a spoofed flood of 500,000 SYNs to one victim's
     * port 443 among 1.5 million to random hosts of a /16 (random sources and ports). synflood's
     * window sets stay at maxTuples and maxPairs (1,048,576 each, about 19 MB each with their flags;
     * until 2026-12-06 they grew with every SYN, about 100 MB here) by hash sampling, and the victim
     * is still named, with no handshake completed, its sources still spoofed and its port found.
     */
    @Test
    void synFloodWindowSetsStayAtTheirCapsAndTheVictimIsNamed() {
        SynFloodDetector d = new SynFloodDetector();
        int net = SpoofedTraffic.ip("10.20.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.81");
        int packets = 2_000_000;
        int maxTuples = 0;
        int maxPairs = 0;
        int maxSlots = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            boolean toVictim = i % 4 == 1;
            int dst = toVictim ? victim : net | rnd.nextInt(65_536);
            traffic.tcp(d, t, rnd.nextInt(), dst, 1024 + rnd.nextInt(60_000), toVictim ? 443 : 80, SpoofedTraffic.SYN);
            if ((i & 0xffff) == 0) {
                maxTuples = Math.max(maxTuples, d.tuples().size());
                maxPairs = Math.max(maxPairs, d.pairs().size());
                maxSlots = Math.max(maxSlots, Math.max(d.tuples().capacity(), d.pairs().capacity()));
            }
        }
        maxTuples = Math.max(maxTuples, d.tuples().size());
        maxPairs = Math.max(maxPairs, d.pairs().size());
        maxSlots = Math.max(maxSlots, Math.max(d.tuples().capacity(), d.pairs().capacity()));
        int tupleLevel = d.tuples().level();
        int pairLevel = d.pairs().level();
        traffic.finish(d);
        assertThat(maxTuples).as("4-tuples kept in the window").isLessThanOrEqualTo(1 << 20);
        assertThat(maxPairs).as("host pairs kept in the window").isLessThanOrEqualTo(1 << 20);
        assertThat(maxSlots).as("slots of each set (9 bytes each)").isLessThanOrEqualTo(1 << 21);
        List<Detection> reports = traffic.of("192.0.2.81");
        assertThat(reports).as("the victim among two million spoofed SYNs").hasSize(1);
        assertThat(reports.getFirst().reasons()).contains("0 completed by ACK (0.00%)")
                .anyMatch(r -> r.matches("~[\\d,]+ distinct sources \\(estimated: sampled\\) \\((0\\.9\\d|1\\.\\d\\d) per SYN: spoofed sources\\)"))
                .anyMatch(r -> r.matches("sampled 1 in \\d+ of the window's 4-tuples \\(synflood.maxTuples 1,048,576 reached\\): .* estimated"))
                .anyMatch(r -> r.matches("sampled 1 in \\d+ of the window's host pairs \\(synflood.maxPairs 1,048,576 reached\\): .* estimated"));
        assertThat(reports.getFirst().reasons().getFirst()).startsWith("500,000 SYNs in ").endsWith("to port 443");
        assertThat(reports.getFirst().target().destinationPort()).isEqualTo(443);
        assertThat(tupleLevel).as("the 4-tuples were sampled").isPositive();
        assertThat(pairLevel).as("the host pairs were sampled").isPositive();
    }

    /**
     * Among 500,000 spoofed SYNs to a /16, a server whose 2,000 clients each complete their
     * handshake (SYN, then its ACK) and a second server of which only 1 in 20 is completed. With
     * the window sets capped at 65,536 (the 4-tuples sampled 1 in 8) the verdicts are those of the
     * uncapped sets: the first is no flood, the second is, with nearly the same completion. Sets
     * that stopped taking tuples when full would have missed the late handshakes and reported the
     * first server as a SYN flood (completion ratio biased towards 0).
     */
    @Test
    void sampledWindowSetsKeepTheCompletionVerdictOfTheUncappedSets() {
        SynFloodDetector.Config defaults = SynFloodDetector.Config.defaults();
        SynFloodDetector capped = new SynFloodDetector(withSetCaps(defaults, 65_536));
        SynFloodDetector uncapped = new SynFloodDetector(withSetCaps(defaults, Integer.MAX_VALUE));
        SpoofedTraffic cappedTraffic = new SpoofedTraffic();
        SpoofedTraffic uncappedTraffic = new SpoofedTraffic();
        int net = SpoofedTraffic.ip("10.20.0.0");
        int completing = SpoofedTraffic.ip("192.0.2.90");
        int flooded = SpoofedTraffic.ip("192.0.2.91");
        int clients = SpoofedTraffic.ip("198.51.100.0");
        int packets = 500_000;
        int maxTuples = 0;
        int maxPairs = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            int k = i / 250; // the handshake's number, 2,000 for each server
            int phase = i % 250;
            int src = clients + k % 200;
            int sport = 20_000 + k;
            int dst;
            int flags = SpoofedTraffic.SYN;
            if (phase == 0 || phase == 1) {
                dst = phase == 0 ? completing : flooded;
            } else if (phase == 100 || phase == 101 && k % 20 == 0) {
                dst = phase == 100 ? completing : flooded;
                flags = SpoofedTraffic.ACK; // the handshake's ACK, 100 packets after its SYN
            } else {
                src = rnd.nextInt();
                dst = net | rnd.nextInt(65_536);
                sport = 1024 + rnd.nextInt(60_000);
            }
            cappedTraffic.tcp(capped, t, src, dst, sport, 443, flags);
            uncappedTraffic.tcp(uncapped, t, src, dst, sport, 443, flags);
            maxTuples = Math.max(maxTuples, capped.tuples().size());
            maxPairs = Math.max(maxPairs, capped.pairs().size());
        }
        int level = capped.tuples().level();
        cappedTraffic.finish(capped);
        uncappedTraffic.finish(uncapped);
        assertThat(uncappedTraffic.of("192.0.2.90")).as("uncapped: completed handshakes are no flood").isEmpty();
        assertThat(cappedTraffic.of("192.0.2.90")).as("sampled: the same").isEmpty();
        assertThat(uncappedTraffic.of("192.0.2.91")).as("uncapped: 5% completed is a flood").hasSize(1);
        List<Detection> flood = cappedTraffic.of("192.0.2.91");
        assertThat(flood).as("sampled: the same").hasSize(1);
        String completion = flood.getFirst().reasons().stream().filter(r -> r.contains("completed by ACK")).findFirst().orElseThrow();
        double percent = Double.parseDouble(completion.replaceAll(".*\\(([\\d.]+)%\\)", "$1"));
        assertThat(percent).as("about 5%% completed: " + completion).isBetween(1.0, 12.0);
        assertThat(flood.getFirst().reasons()).anyMatch(r -> r.startsWith("sampled 1 in ") && r.contains("synflood.maxTuples 65,536"));
        assertThat(cappedTraffic.found.stream().map(Detection::subject).distinct().toList())
                .as("the same subjects as uncapped").containsExactlyInAnyOrderElementsOf(
                        uncappedTraffic.found.stream().map(Detection::subject).distinct().toList());
        assertThat(level).as("the 4-tuples were sampled").isGreaterThanOrEqualTo(2);
        assertThat(maxTuples).isLessThanOrEqualTo(65_536);
        assertThat(maxPairs).isLessThanOrEqualTo(65_536);
    }

    /**
     * An attacker who knows the sample hash sends 5,000 SYNs whose 4-tuples all stay in the sample
     * up to level 14, to push the level up until a server's 2,000 completed handshakes are sampled
     * 1 in 32,768 (none kept: completion 0, a SYN flood). The salt is drawn per set (since
     * 2026-12-06, with the sampling): the crafted tuples, made against the salt a fixed constant
     * would be, are random to it, the level stays low and the server is no flood.
     */
    @Test
    void craftedTuplesDoNotDriveTheSamplingLevelUp() {
        long knownSalt = 0x5DEE_CE66_D1CE_4E5BL; // what a salt written in the source would be
        SynFloodDetector d = new SynFloodDetector(withSetCaps(SynFloodDetector.Config.defaults(), 4096));
        long other = Addresses.keyV4(SpoofedTraffic.ip("192.0.2.200"));
        int server = SpoofedTraffic.ip("192.0.2.90");
        int clients = SpoofedTraffic.ip("198.51.100.0");
        int crafted = 0;
        long t = S;
        while (crafted < 5_000) {
            int src = rnd.nextInt();
            long hosts = Addresses.pair(Addresses.keyV4(src), other);
            for (int sport = 1024; sport < 65_536 && crafted < 5_000; sport++) {
                long key = Addresses.pair(hosts, ((long) sport << 16) | 80);
                if (Long.numberOfLeadingZeros(Addresses.mix(key ^ knownSalt)) >= 14) {
                    traffic.tcp(d, t, src, SpoofedTraffic.ip("192.0.2.200"), sport, 80, SpoofedTraffic.SYN);
                    t += 100_000;
                    crafted++;
                }
            }
        }
        int maxLevel = 0;
        for (int k = 0; k < 2_000; k++) { // 2,000 handshakes in 4 s, each ACK right after its SYN
            traffic.tcp(d, t, clients + k % 200, server, 20_000 + k, 443, SpoofedTraffic.SYN);
            traffic.tcp(d, t + 1_000_000, clients + k % 200, server, 20_000 + k, 443, SpoofedTraffic.ACK);
            t += 2_000_000;
            maxLevel = Math.max(maxLevel, d.tuples().maxLevelNow());
        }
        traffic.finish(d);
        assertThat(traffic.of("192.0.2.90")).as("2,000 completed handshakes are no flood").isEmpty();
        assertThat(maxLevel).as("the sampling level").isLessThanOrEqualTo(4);
    }

    private static SynFloodDetector.Config withSetCaps(SynFloodDetector.Config c, int cap) {
        return new SynFloodDetector.Config(c.windowNanos(), c.minSyns(), c.minSynRate(), c.maxCompletionRatio(), c.spoofedSpread(),
                c.earlyNanos(), c.maxHosts(), cap, cap);
    }

    /**
     * 1.5 million DNS responses (512-byte datagrams) from random reflectors to random hosts of a
     * /14 (262,144 "victims" of about 6 responses each, carpet bombing or backscatter); hidden in
     * them, from when the table is long full, 2,400 responses from 100 reflectors to one victim. The table stays at
     * amplification.maxVictims (16,384, about 8 MB) and the victim is reported.
     */
    @Test
    void amplificationToManyDestinationsStaysCappedAndTheVictimIsReported() {
        SpoofedTraffic big = new SpoofedTraffic(512);
        AmplificationDetector d = new AmplificationDetector();
        int net = SpoofedTraffic.ip("10.64.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.53");
        int packets = 1_500_000;
        int maxTracked = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            boolean toVictim = i >= 300_000 && i % 500 == 250;
            int dst = toVictim ? victim : net | rnd.nextInt(1 << 18);
            int reflector = toVictim ? SpoofedTraffic.ip("198.51.100.0") + rnd.nextInt(100) : rnd.nextInt();
            big.udp(d, t, reflector, dst, 53, toVictim ? 4444 : 1024 + rnd.nextInt(60_000));
            if ((i & 0xffff) == 0) {
                maxTracked = Math.max(maxTracked, d.tracked());
            }
        }
        maxTracked = Math.max(maxTracked, d.tracked());
        big.finish(d);
        assertThat(maxTracked).as("victims tracked in the window").isLessThanOrEqualTo(16_384);
        assertThat(d.evicted() + d.untracked()).as("the cap was reached and counted").isPositive();
        List<Detection> reports = big.of("192.0.2.53");
        assertThat(reports).as("the victim hidden among 262,144 flooded destinations").hasSize(1);
        assertThat(reports.getFirst().reasons()).contains("from 100 reflectors")
                .anyMatch(r -> r.startsWith("table of 16,384 victims full (amplification.maxVictims)"));
        assertThat(big.found).as("only the victim").hasSize(1);
    }

    /**
     * A million UDP datagrams from random sources and ports to random hosts of a /16 (each a new
     * (victim, port) for reflection, which knows no service list); hidden in them, from when the
     * table is long full, 1,600 responses from UDP 3283 of 300 reflectors to one victim. The table stays at reflection.maxVictims
     * (16,384; until 2026-12-06 1,048,576, about 500 MB, and the first comers kept) and the victim
     * is reported.
     */
    @Test
    void reflectionUnderARandomPortFloodStaysCappedAndTheVictimIsReported() {
        SpoofedTraffic big = new SpoofedTraffic(512);
        ReflectionDetector d = new ReflectionDetector();
        int net = SpoofedTraffic.ip("10.30.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.99");
        int packets = 1_000_000;
        int maxTracked = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            boolean toVictim = i >= 200_000 && i % 500 == 250;
            if (toVictim) {
                big.udp(d, t, SpoofedTraffic.ip("198.51.100.0") + rnd.nextInt(300), victim, 3283, 4444);
            } else {
                big.udp(d, t, rnd.nextInt(), net | rnd.nextInt(65_536), 1024 + rnd.nextInt(60_000), 1024 + rnd.nextInt(60_000));
            }
            if ((i & 0xffff) == 0) {
                maxTracked = Math.max(maxTracked, d.tracked());
            }
        }
        maxTracked = Math.max(maxTracked, d.tracked());
        big.finish(d);
        assertThat(maxTracked).as("victims tracked in the window").isLessThanOrEqualTo(16_384);
        List<Detection> reports = big.of("192.0.2.99");
        assertThat(reports).as("the victim hidden in a million datagrams to random (host, port)s").hasSize(1);
        assertThat(reports.getFirst().reasons()).as("all but the few reflectors answering before it got its entry")
                .anyMatch(r -> r.matches("from 29\\d reflectors|from 300 reflectors"))
                .anyMatch(r -> r.startsWith("table of 16,384 victims full (reflection.maxVictims)"));
        assertThat(big.found).as("only the victim").hasSize(1);
    }

    /**
     * Two million spoofed SYNs (random sources to random hosts of a /16) in one 10 s window: every
     * one a new host pair for the connected sets and a new source. Hidden in them, from when the
     * tables are long full, an ACK scan of 200 ports of one host and an ACK sweep of 200 hosts. portscan's and sweep's connected sets
     * stay at maxConnected (524,288, 8 MB), their sources at maxSources (65,536), and both are
     * still reported.
     */
    @Test
    void scanDetectorsUnderASpoofedSynFloodStayCappedAndTheScansAreReported() {
        PortScanDetector portscan = new PortScanDetector();
        SweepDetector sweep = new SweepDetector();
        int net = SpoofedTraffic.ip("10.40.0.0");
        int scanner = SpoofedTraffic.ip("203.0.113.7");
        int sweeper = SpoofedTraffic.ip("203.0.113.8");
        int scanned = SpoofedTraffic.ip("192.0.2.10");
        int swept = SpoofedTraffic.ip("10.99.0.0");
        int packets = 2_000_000;
        int maxConnected = 0;
        int maxSources = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            if (i >= 400_000 && i % 8_000 == 4_000) {
                int n = (i - 400_000) / 8_000;
                traffic.tcp(portscan, t, scanner, scanned, 45_000, 1 + n, SpoofedTraffic.ACK);
                traffic.tcp(sweep, t, sweeper, swept + 1 + n, 45_001, 80, SpoofedTraffic.ACK);
                continue;
            }
            int src = rnd.nextInt();
            int dst = net | rnd.nextInt(65_536);
            int sport = 1024 + rnd.nextInt(60_000);
            traffic.tcp(portscan, t, src, dst, sport, 80, SpoofedTraffic.SYN);
            traffic.tcp(sweep, t, src, dst, sport, 80, SpoofedTraffic.SYN);
            if ((i & 0xffff) == 0) {
                maxConnected = Math.max(maxConnected, Math.max(portscan.connectedSize(), sweep.connectedSize()));
                maxSources = Math.max(maxSources, Math.max(portscan.tracked(), sweep.tracked()));
            }
        }
        maxConnected = Math.max(maxConnected, Math.max(portscan.connectedSize(), sweep.connectedSize()));
        maxSources = Math.max(maxSources, Math.max(portscan.tracked(), sweep.tracked()));
        traffic.finish(portscan);
        traffic.finish(sweep);
        assertThat(maxConnected).as("host pairs remembered as connected").isLessThanOrEqualTo(524_288);
        assertThat(maxSources).as("sources tracked").isLessThanOrEqualTo(65_536);
        assertThat(portscan.connectedRefused()).as("the connected cap was reached and counted").isPositive();
        List<Detection> scans = traffic.of("203.0.113.7");
        assertThat(scans).as("the ACK scanner").hasSize(1);
        assertThat(scans.getFirst().detector()).isEqualTo("portscan");
        assertThat(scans.getFirst().reasons()).anyMatch(r -> r.startsWith("TCP ACK scan: "))
                .anyMatch(r -> r.startsWith("table of 524,288 connected host pairs full (portscan.maxConnected)"));
        List<Detection> sweeps = traffic.of("203.0.113.8");
        assertThat(sweeps).as("the ACK sweeper").hasSize(1);
        assertThat(sweeps.getFirst().detector()).isEqualTo("sweep");
        assertThat(sweeps.getFirst().reasons()).anyMatch(r -> r.contains("TCP ACK"));
        assertThat(traffic.found).as("only the two").hasSize(2);
    }

    /**
     * 100,000 spoofed SYNs an epoch (10 s) from random addresses of a /16 to one web server: a
     * spoofed address repeats within an epoch, so about 30,000 sources an epoch probe twice and
     * would each get an entry. From the second epoch on, a real slow scanner probes 5 new ports of
     * another host an epoch. The table stays at slowscan.maxSources (16,384) and the scanner is
     * reported; until 2026-12-06 the flood's first sources kept the table for the whole horizon.
     */
    @Test
    void slowScannerIsFoundWhileSpoofedSourcesFillTheTable() {
        SlowScanDetector d = new SlowScanDetector();
        int[] maxTracked = {0};
        traffic.slowScanAmongSpoofedSyns(d, rnd, 1, () -> maxTracked[0] = Math.max(maxTracked[0], d.tracked()));
        traffic.finish(d);
        assertThat(maxTracked[0]).as("sources tracked").isLessThanOrEqualTo(16_384);
        assertThat(d.evicted() + d.untracked()).as("the cap was reached and counted").isPositive();
        assertThat(traffic.of("203.0.113.9")).as("the slow scanner, 5 ports an epoch").isNotEmpty()
                .allMatch(x -> x.detector().equals("slowscan"));
        assertThat(traffic.found).as("only the scanner").allMatch(x -> x.subject().equals("203.0.113.9"));
    }

    /**
     * Two million packets to random addresses over 200 s (10,000 a second, each destination new),
     * beside a server's steady 100 packets a second from 20 s on (the table is full from about 7 s)
     * and a 10,000-packet second of attack on it at 150 s. The destinations stay at volumetric.maxDestinations (65,536) and the attack is
     * reported; once the flood stops, its destinations are forgotten after idleBuckets (300 s)
     * instead of staying for the agent's lifetime.
     */
    @Test
    void volumetricStaysCappedForgetsIdleDestinationsAndReportsTheAttack() {
        SpoofedTraffic big = new SpoofedTraffic(1000);
        VolumetricDetector d = new VolumetricDetector();
        int server = SpoofedTraffic.ip("192.0.2.44");
        int maxTracked = 0;
        for (int second = 0; second < 200; second++) {
            long start = S + second * S;
            int toServer = second == 150 ? 10_000 : second >= 20 ? 100 : 0;
            int random = 10_000;
            int all = toServer + random;
            for (int i = 0; i < all; i++) {
                long t = start + (long) i * (S / all);
                if (toServer > 0 && i % (all / toServer) == 0) {
                    big.udp(d, t, rnd.nextInt(), server, 1024 + rnd.nextInt(60_000), 443);
                } else {
                    big.udp(d, t, rnd.nextInt(), rnd.nextInt(), 1024 + rnd.nextInt(60_000), 443);
                }
            }
            maxTracked = Math.max(maxTracked, d.tracked());
        }
        assertThat(maxTracked).as("destinations tracked").isLessThanOrEqualTo(65_536);
        assertThat(d.evicted() + d.untracked()).as("the cap was reached and counted").isPositive();
        // 400 s later, one packet: the flood's destinations have been idle for more than 300 buckets
        big.udp(d, S + 600 * S, SpoofedTraffic.ip("198.51.100.1"), server, 40_000, 443);
        assertThat(d.tracked()).as("destinations left after they were idle for 300 s").isLessThanOrEqualTo(2);
        assertThat(d.forgotten()).isPositive();
        big.finish(d);
        List<Detection> reports = big.of("192.0.2.44");
        assertThat(reports).as("the one attacked second").hasSize(1);
        assertThat(reports.getFirst().reasons().getFirst()).startsWith("10,000 packets");
        assertThat(big.found).as("only the server").hasSize(1);
    }

    /**
     * 1.5 million UDP datagrams from random sources to random hosts of a /14 in one 10 s window;
     * hidden in them, from when the table is long full, a UDP flood of 60,000 datagrams from three
     * senders to one host. flood's destinations stay at flood.maxDestinations (16,384; until
     * 2026-12-06 1,048,576 of about 700 bytes, the first comers kept) and the flood is reported with
     * its senders named.
     */
    @Test
    void floodUnderRandomDestinationsStaysCappedAndTheFloodIsReported() {
        SpoofedTraffic big = new SpoofedTraffic(256);
        FloodDetector d = new FloodDetector();
        int net = SpoofedTraffic.ip("10.80.0.0");
        int victim = SpoofedTraffic.ip("192.0.2.66");
        int sender = SpoofedTraffic.ip("198.51.100.10");
        int packets = 1_500_000;
        int maxTracked = 0;
        for (int i = 0; i < packets; i++) {
            long t = S + i * (9 * S / packets);
            if (i >= 300_000 && i % 20 == 0) {
                big.udp(d, t, sender + i % 3, victim, 40_000, 9999);
            } else {
                big.udp(d, t, rnd.nextInt(), net | rnd.nextInt(1 << 18), 1024 + rnd.nextInt(60_000), 1024 + rnd.nextInt(60_000));
            }
            if ((i & 0xffff) == 0) {
                maxTracked = Math.max(maxTracked, d.tracked());
            }
        }
        maxTracked = Math.max(maxTracked, d.tracked());
        big.finish(d);
        assertThat(maxTracked).as("destinations tracked in the window").isLessThanOrEqualTo(16_384);
        List<Detection> reports = big.of("192.0.2.66");
        assertThat(reports).as("the flooded host").hasSize(1);
        assertThat(reports.getFirst().sources()).containsExactlyInAnyOrder("198.51.100.10", "198.51.100.11", "198.51.100.12");
        assertThat(reports.getFirst().reasons()).anyMatch(r -> r.startsWith("table of 16,384 destinations full (flood.maxDestinations)"));
        assertThat(big.found).as("only the flooded host").hasSize(1);
    }
}
