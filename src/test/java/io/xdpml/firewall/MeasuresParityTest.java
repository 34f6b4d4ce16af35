package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Measures, one truth in two implementations: the kernel firewall (BPF_PROG_TEST_RUN, test clock)
 * and {@link JavaFirewall} with the same measures installed at the same packet times judge attack
 * captures (UDP amplification under a port-drop, spoofed and single-source SYN floods under
 * syn-limits, a UDP flood under udp-limits, SYNs with and without options under bare-syn-drops) and seeded random traffic, with conntrack on, measures added, renewed, expiring and
 * removed mid-run and a config reload in between. Every verdict, every counter and every
 * measure's hits must be identical.
 */
class MeasuresParityTest {
    /** Permissive: conntrack on, everything passes unless a measure (or the per-source SYN limit) drops it. */
    static final String LOOSE = """
            default pass
            conntrack on
            timeout udp 5s
            syn-limit 50/s burst 20
            """;

    /** A capture in memory: frames and their timestamps. */
    record Capture(List<byte[]> frames, long[] times) {
        /** The time of the packet at {@code fraction} of the capture (by packets: attacks come in bursts). */
        long at(double fraction) {
            return times[(int) ((times.length - 1) * fraction)];
        }
    }

    static Capture load(String name) throws Exception {
        return load(TestData.capture(name));
    }

    static Capture load(java.nio.file.Path path) throws Exception {
        int max = TestRun.maxTestRunFrame();
        List<byte[]> frames = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(path)) {
            try {
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length < 14) {
                        continue;
                    }
                    frames.add(framer.frameSegment().asSlice(0, Math.min(length, max)).toArray(ValueLayout.JAVA_BYTE));
                    times.add(r.timestampNanos());
                }
            } catch (PcapFormatException damaged) {
                // what came before the damage
            }
        }
        return new Capture(frames, times.stream().mapToLong(Long::longValue).toArray());
    }

    /** Both engines' measures with their hits and expiry, in a comparable form. */
    static List<String> measures(FirewallEngine e) {
        return e.measures().stream().map(m -> m + " expires " + m.expiresNanos() + " hits " + m.hits()).sorted().toList();
    }

    static void assertSameMeasures(FirewallParityTest.Pair p) {
        assertThat(measures(p.kernel)).as("measures and their hits").isEqualTo(measures(p.java));
    }

    /** Replays {@code c} through both engines; {@code events} (by capture time) change the measures on both. */
    static FirewallParityTest.Pair replay(Capture c, FirewallConfig config, TreeMap<Long, Consumer<FirewallEngine>> events)
            throws Exception {
        FirewallParityTest.Pair p = new FirewallParityTest.Pair(config);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(65536);
            for (int i = 0; i < c.frames().size(); i++) {
                long now = c.times()[i];
                while (!events.isEmpty() && events.firstKey() <= now) {
                    Consumer<FirewallEngine> ev = events.pollFirstEntry().getValue();
                    ev.accept(p.kernel);
                    ev.accept(p.java);
                    assertSameMeasures(p);
                }
                byte[] f = c.frames().get(i);
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                p.packet(buf, f.length, now);
            }
        }
        return p;
    }

    static void assertParity(FirewallParityTest.Pair p) {
        p.assertSame();
        assertSameMeasures(p);
    }

    static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    @Test
    void amplificationUnderAPortDrop() throws Exception {
        TestData.assumeBpf();
        Capture c = load("attack/bacnet-amplification.pcapng");
        InetAddress victim = ip("10.10.10.1"); // AmplificationDetector's subject; responses from BACnet 47808
        for (String configName : List.of("loose", "mixed")) {
            FirewallConfig config = configName.equals("loose") ? FirewallConfigParser.parse(LOOSE, "loose") : FirewallParityTest.config("mixed");
            Measure bacnet = Measure.portDrop(17, 47808, victim, 0);
            Measure other = Measure.portDrop(17, 37810, victim, 0);
            TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
            ev.put(c.at(0.10), e -> e.putMeasure(bacnet.withExpiry(c.at(0.40)))); // expires mid-capture
            ev.put(c.at(0.20), e -> e.putMeasure(other.withExpiry(c.at(0.70))));
            ev.put(c.at(0.30), e -> e.putMeasure(Measure.synLimit(ip("2001:db8::7"), 0, 10, 5, 0))); // an entry that never matches
            ev.put(c.at(0.50), e -> e.install(config)); // a reload keeps the measures
            // renewed after its expiry: the reflectors let through meanwhile opened conntrack entries, which do not shield them
            ev.put(c.at(0.60), e -> e.putMeasure(bacnet.withExpiry(c.at(0.90))));
            ev.put(c.at(0.80), e -> assertThat(e.removeMeasure(other)).isTrue());
            try (FirewallParityTest.Pair p = replay(c, config, ev)) {
                assertParity(p);
                long dropped = p.kernel.counter(FirewallCounter.DROP_MEASURE_PORT);
                long hits = p.kernel.measures().stream().filter(m -> m.sameEntry(bacnet)).findFirst().orElseThrow().hits();
                System.out.printf("bacnet-amplification (%s): %d packets, %d dropped by port-drop measures (udp/47808: %d), "
                        + "%d passed by conntrack, %d connections%n", configName, p.packets, dropped, hits,
                        p.kernel.counter(FirewallCounter.PASS_CONNTRACK), p.kernel.program().maps().connections());
                assertThat(hits).isPositive().isLessThan(dropped);
                assertThat(p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN)).isZero();
            }
        }
    }

    @Test
    void spoofedSynFloodUnderASynLimit() throws Exception {
        TestData.assumeBpf();
        Capture c = load("attack/synflood-spoofed.pcap");
        InetAddress victim = ip("10.10.10.10"); // 37,039 SYNs to port 25565 from ~37k sources in 4.2 s
        for (String configName : List.of("loose", "mixed")) {
            FirewallConfig config = configName.equals("loose") ? FirewallConfigParser.parse(LOOSE, "loose") : FirewallParityTest.config("mixed");
            Measure port = Measure.synLimit(victim, 25565, 2000, 200, 0);
            Measure any = Measure.synLimit(victim, 0, 500, 50, 0);
            TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
            ev.put(c.at(0.05), e -> e.putMeasure(port.withExpiry(c.at(0.45))));
            ev.put(c.at(0.30), e -> e.putMeasure(any)); // the port's own entry wins while it is live
            ev.put(c.at(0.50), e -> e.install(config));
            ev.put(c.at(0.70), e -> e.putMeasure(Measure.synLimit(victim, 0, 3000, 3000, c.at(0.85)))); // renewed: new rate, expiry
            try (FirewallParityTest.Pair p = replay(c, config, ev)) {
                assertParity(p);
                long dropped = p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN);
                System.out.printf("synflood-spoofed (%s): %d packets, %d SYNs dropped by syn-limit measures %s%n", configName, p.packets,
                        dropped, measures(p.kernel));
                assertThat(dropped).isPositive();
                assertThat(p.kernel.measures()).allMatch(m -> m.hits() > 0);
            }
        }
    }

    @Test
    void singleSourceFloodToManyPortsUnderAnAnyPortSynLimit() throws Exception {
        TestData.assumeBpf();
        Capture c = load("attack/cicddos2019-synflood.pcap");
        InetAddress victim = ip("192.168.50.4"); // 18,778 SYNs from 172.16.0.5 to random ports in 0.69 s
        for (String configName : List.of("loose", "mixed")) {
            FirewallConfig config = configName.equals("loose") ? FirewallConfigParser.parse(LOOSE, "loose") : FirewallParityTest.config("mixed");
            TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
            ev.put(c.at(0.0), e -> e.putMeasure(Measure.synLimit(victim, 0, 0, 0, c.at(0.01)))); // drops every SYN, briefly
            ev.put(c.at(0.20), e -> e.putMeasure(Measure.synLimit(victim, 0, 5000, 500, c.at(0.70))));
            // the victim's RSTs from one of its ports: with conntrack they answer SYNs it saw (replies), decided before any measure
            ev.put(c.at(0.40), e -> e.putMeasure(Measure.portDrop(6, 55816, ip("172.16.0.5"), 0)));
            try (FirewallParityTest.Pair p = replay(c, config, ev)) {
                assertParity(p);
                System.out.printf("cicddos2019-synflood (%s): %d packets, %d SYNs dropped by syn-limit, %d by port-drop %s%n", configName,
                        p.packets, p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN), p.kernel.counter(FirewallCounter.DROP_MEASURE_PORT),
                        measures(p.kernel));
                assertThat(p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN)).isPositive();
            }
        }
    }

    @Test
    void udpFloodUnderAUdpLimit() throws Exception {
        TestData.assumeBpf();
        Capture c = load(TestData.dataDir().resolve("detect").resolve("hping3-udp-flood.pcap"));
        InetAddress victim = ip("10.77.0.1"); // 14,829 datagrams to port 9 (hping3 --udp -p 9 --flood), 171 port unreachable back
        for (String configName : List.of("loose", "mixed")) {
            FirewallConfig config = configName.equals("loose") ? FirewallConfigParser.parse(LOOSE, "loose") : FirewallParityTest.config("mixed");
            Measure port = Measure.udpLimit(victim, 9, 2000, 200, 0);
            Measure any = Measure.udpLimit(victim, 0, 500, 50, 0);
            TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
            ev.put(c.at(0.05), e -> e.putMeasure(port.withExpiry(c.at(0.45))));
            ev.put(c.at(0.30), e -> e.putMeasure(any)); // the port's own entry wins while it is live
            ev.put(c.at(0.50), e -> e.install(config)); // a reload keeps the measures
            ev.put(c.at(0.70), e -> e.putMeasure(Measure.udpLimit(victim, 0, 0, 0, c.at(0.85)))); // renewed: every datagram, then expired
            try (FirewallParityTest.Pair p = replay(c, config, ev)) {
                assertParity(p);
                long dropped = p.kernel.counter(FirewallCounter.DROP_MEASURE_UDP);
                System.out.printf("hping3-udp-flood (%s): %d packets, %d datagrams dropped by udp-limit measures %s%n", configName, p.packets,
                        dropped, measures(p.kernel));
                assertThat(dropped).isPositive().isLessThan(p.packets);
                if (configName.equals("loose")) { // in "mixed" the per-source rate limit takes most of the single flooder's datagrams first
                    assertThat(p.kernel.measures()).allMatch(m -> m.hits() > 0);
                }
                assertThat(p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN)).isZero();
            }
        }
    }

    /**
     * A bare-syn-drop drops every SYN without options to its port, whatever its rate, before the
     * syn-limit (which then sees none of them), and under syn-cookies on answers none: the spoofed
     * flood's SYNs (hping3-like, 20-byte headers) under one of the port, then of every port, renewed
     * and reloaded; SYNs with options (a LAN's Zabbix agents, MSS and more) under one of their
     * servers' ports are never touched by it.
     */
    @Test
    void bareSynsUnderABareSynDrop() throws Exception {
        TestData.assumeBpf();
        Capture c = load("attack/synflood-spoofed.pcap");
        InetAddress victim = ip("10.10.10.10");
        for (String configName : List.of("loose", "mixed", "cookies")) {
            FirewallConfig config = configName.equals("mixed") ? FirewallParityTest.config("mixed")
                    : FirewallConfigParser.parse(LOOSE + (configName.equals("cookies") ? "syn-cookies on\n" : ""), configName);
            TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
            ev.put(c.at(0.05), e -> e.putMeasure(Measure.synLimit(victim, 25565, 2000, 200, 0)));
            ev.put(c.at(0.20), e -> e.putMeasure(Measure.bareSynDrop(victim, 25565, c.at(0.40))));
            ev.put(c.at(0.50), e -> e.install(config));
            ev.put(c.at(0.60), e -> e.putMeasure(Measure.bareSynDrop(victim, 0, c.at(0.80)))); // every port of the victim
            try (FirewallParityTest.Pair p = replay(c, config, ev)) {
                assertParity(p);
                long bare = p.kernel.counter(FirewallCounter.DROP_MEASURE_BARE);
                System.out.printf("synflood-spoofed under bare-syn-drops (%s): %d packets, %d bare SYNs dropped, %d by the syn-limit, "
                        + "%d answered with cookies %s%n", configName, p.packets, bare, p.kernel.counter(FirewallCounter.DROP_MEASURE_SYN),
                        p.kernel.counter(FirewallCounter.SYN_COOKIE), measures(p.kernel));
                // 40% of the capture's packets fall within the two drops' lives; the per-source limit and policy come after them
                assertThat(bare).isGreaterThan(p.packets * 35 / 100).isLessThan(p.packets * 45 / 100);
            }
        }
        Capture lan = load("benign/lan-trace-2012.pcap");
        InetAddress zabbix = ip("10.151.119.2"); // 3,602 SYNs (40-byte headers: MSS, SACK, timestamps, window scale) to port 10050
        TreeMap<Long, Consumer<FirewallEngine>> ev = new TreeMap<>();
        ev.put(lan.at(0.0), e -> e.putMeasure(Measure.bareSynDrop(zabbix, 10050, 0)));
        ev.put(lan.at(0.5), e -> e.putMeasure(Measure.bareSynDrop(zabbix, 0, 0)));
        try (FirewallParityTest.Pair p = replay(lan, FirewallConfigParser.parse(LOOSE, "loose"), ev)) {
            assertParity(p);
            assertThat(p.kernel.counter(FirewallCounter.DROP_MEASURE_BARE)).as("SYNs with options under a bare-syn-drop").isZero();
            assertThat(p.kernel.measures()).allMatch(m -> m.hits() == 0);
        }
    }

    /** Measures on the random traffic's hosts, put, renewed, removed and swept at random times. */
    @Test
    void seededRandomTrafficWithMeasuresComingAndGoing() throws Exception {
        TestData.assumeBpf();
        List<Measure> pool = List.of(
                Measure.portDrop(17, 53, ip("192.168.5.5"), 0),
                Measure.portDrop(17, 40000, ip("8.8.8.8"), 0),
                Measure.portDrop(6, 80, ip("130.1.2.3"), 0),
                Measure.portDrop(17, 30001, ip("2001:db8::99"), 0),
                Measure.portDrop(6, 443, ip("2600::5"), 0),
                Measure.synLimit(ip("1.2.3.4"), 80, 3, 2, 0),
                Measure.synLimit(ip("40.5.6.7"), 0, 2, 1, 0),
                Measure.synLimit(ip("192.168.1.200"), 443, 0, 0, 0),
                Measure.synLimit(ip("2001:db8::1"), 0, 1, 3, 0),
                Measure.synLimit(ip("2600::5"), 8080, 5, 5, 0),
                Measure.synLimit(ip("172.16.3.4"), 0, 4, 2, 0),
                Measure.udpLimit(ip("8.8.8.8"), 53, 3, 2, 0),
                Measure.udpLimit(ip("10.0.0.5"), 0, 2, 1, 0),
                Measure.udpLimit(ip("2001:db8::1"), 443, 0, 0, 0),
                Measure.udpLimit(ip("2600::5"), 0, 4, 4, 0),
                Measure.bareSynDrop(ip("1.2.3.4"), 80, 0),
                Measure.bareSynDrop(ip("40.5.6.7"), 0, 0),
                Measure.bareSynDrop(ip("2001:db8::1"), 443, 0));
        for (String name : List.of("mixed", "strict", "loose")) {
            FirewallConfig c = name.equals("loose") ? FirewallConfigParser.parse(LOOSE, "loose") : FirewallParityTest.config(name);
            try (FirewallParityTest.Pair p = new FirewallParityTest.Pair(c); Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(4096);
                Random rnd = new Random(7);
                FrameFuzzer fuzz = new FrameFuzzer(11, 200);
                long now = 1_000_000_000L;
                for (int i = 0; i < 60_000; i++) {
                    if (i % 500 == 0) {
                        Measure m = pool.get(rnd.nextInt(pool.size()));
                        int what = rnd.nextInt(10);
                        if (what < 6) {
                            long expires = rnd.nextInt(3) == 0 ? 0 : now + rnd.nextLong(3_000_000_000L);
                            p.kernel.putMeasure(m.withExpiry(expires));
                            p.java.putMeasure(m.withExpiry(expires));
                        } else if (what < 9) {
                            assertThat(p.kernel.removeMeasure(m)).isEqualTo(p.java.removeMeasure(m));
                        } else {
                            assertThat(p.kernel.program().measures().sweep(now)).isEqualTo(p.java.sweepMeasures(now));
                        }
                        assertSameMeasures(p);
                    }
                    byte[] f = rnd.nextInt(10) == 0 ? fuzz.next() : FirewallParityTest.randomFrame(rnd);
                    if (f.length < 14) {
                        continue;
                    }
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    now += rnd.nextInt(2000) == 0 ? rnd.nextLong(20_000_000_000L) : rnd.nextInt(400_000);
                    p.packet(buf, f.length, now);
                }
                assertParity(p);
                System.out.printf("random (%s): %d packets, port-drop %d, syn-limit %d, udp-limit %d, bare-syn-drop %d, %s%n", name, p.packets,
                        p.java.counter(FirewallCounter.DROP_MEASURE_PORT), p.java.counter(FirewallCounter.DROP_MEASURE_SYN),
                        p.java.counter(FirewallCounter.DROP_MEASURE_UDP), p.java.counter(FirewallCounter.DROP_MEASURE_BARE), measures(p.java));
                assertThat(p.java.counter(FirewallCounter.DROP_MEASURE_PORT)).as(name + " port-drop").isPositive();
                assertThat(p.java.counter(FirewallCounter.DROP_MEASURE_SYN)).as(name + " syn-limit").isPositive();
                assertThat(p.java.counter(FirewallCounter.DROP_MEASURE_UDP)).as(name + " udp-limit").isPositive();
                assertThat(p.java.counter(FirewallCounter.DROP_MEASURE_BARE)).as(name + " bare-syn-drop").isPositive();
            }
        }
    }
}
