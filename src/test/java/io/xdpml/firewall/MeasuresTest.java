package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.detect.CaptureDetection;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.testing.TestData;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Detections to measures on real detections (the shared attack captures replayed through the
 * detectors), and the measures' text forms.
 */
class MeasuresTest {
    static final long NOW = 5_000_000_000L;

    static List<Detection> detect(String capture, String detectors) throws Exception {
        return detect(TestData.capture(capture), detectors);
    }

    static List<Detection> detect(java.nio.file.Path capture, String detectors) throws Exception {
        DetectorSet set = new DetectorSet(Detectors.create(detectors));
        CaptureDetection.Result r = CaptureDetection.run(capture, set);
        assertThat(r.damage()).isNull();
        return set.detections();
    }

    static List<Measure> measures(String capture, String detectors, MeasureSettings s) throws Exception {
        return detect(capture, detectors).stream().flatMap(d -> Measures.forDetection(d, s, NOW).stream()).toList();
    }

    @Test
    void amplificationBecomesAPortDropOfTheReflectedServiceTowardsTheVictim() throws Exception {
        List<Detection> d = detect("attack/bacnet-amplification.pcapng", "amplification");
        assertThat(d).hasSize(1);
        assertThat(d.getFirst().target()).isEqualTo(new Detection.Target(InetAddress.ofLiteral("10.10.10.1"), 17, 47808, 0));
        assertThat(d.getFirst().target().toString()).isEqualTo("udp 47808->10.10.10.1:any");
        List<Measure> m = Measures.forDetection(d.getFirst(), MeasureSettings.defaults(), NOW);
        assertThat(m).extracting(Measure::toString).containsExactly("port-drop udp/47808->10.10.10.1");
        assertThat(m.getFirst().expiresNanos()).isEqualTo(NOW + Duration.ofMinutes(5).toNanos());
        assertThat(Measures.forDetection(d.getFirst(), MeasureSettings.defaults().withDuration(Duration.ZERO), NOW).getFirst()
                .expiresNanos()).as("no expiry").isZero();
        MeasureSettings off = new MeasureSettings(false, true, 1000, 1000, Duration.ofMinutes(1));
        assertThat(Measures.forDetection(d.getFirst(), off, NOW)).isEmpty();
    }

    @Test
    void reflectionFromAnyPortBecomesAPortDropToo() throws Exception {
        // the BACnet capture's second reflected port, 37810, which no list of services names
        List<Detection> d = detect("attack/bacnet-amplification.pcapng", "reflection");
        assertThat(d).isNotEmpty();
        List<Measure> m = d.stream().flatMap(x -> Measures.forDetection(x, MeasureSettings.defaults(), NOW).stream()).toList();
        assertThat(m).extracting(Measure::toString).contains("port-drop udp/37810->10.10.10.1");
        assertThat(m).hasSameSizeAs(d);
        MeasureSettings off = new MeasureSettings(false, true, 1000, 1000, Duration.ofMinutes(1));
        assertThat(d.stream().flatMap(x -> Measures.forDetection(x, off, NOW).stream())).isEmpty();
    }

    @Test
    void aSpoofedSynFloodBecomesASynLimitOnTheVictimsPort() throws Exception {
        List<Detection> d = detect("attack/synflood-spoofed.pcap", "synflood");
        assertThat(d).hasSize(1);
        assertThat(d.getFirst().sources()).as("spoofed: no sources named").isEmpty();
        // its SYNs carry no TCP options (hping3's): every one of them can be dropped, the rest limited
        assertThat(d.getFirst().target()).isEqualTo(new Detection.Target(InetAddress.ofLiteral("10.10.10.10"), 6, 0, 25565, true));
        assertThat(measures("attack/synflood-spoofed.pcap", "synflood", MeasureSettings.defaults().withSynLimit(2000, 400)))
                .extracting(Measure::toString)
                .containsExactly("bare-syn-drop tcp->10.10.10.10:25565", "syn-limit tcp->10.10.10.10:25565 2000/s burst 400");
        assertThat(measures("attack/synflood-spoofed.pcap", "synflood", MeasureSettings.defaults().withBareSyns(false)))
                .extracting(Measure::toString).containsExactly("syn-limit tcp->10.10.10.10:25565 1000/s");
    }

    @Test
    void aUdpFloodBecomesAUdpLimitOnTheVictimsPortOnlyWhereOneIsConfigured() throws Exception {
        // hping3 --udp -p 9 --flood 10.77.0.1: volumetric, mostly UDP, port 9 the majority
        List<Detection> d = detect(TestData.dataDir().resolve("detect").resolve("hping3-udp-flood.pcap"), "volumetric");
        assertThat(d).isNotEmpty();
        assertThat(d).allSatisfy(x -> {
            assertThat(x.target()).isEqualTo(new Detection.Target(InetAddress.ofLiteral("10.77.0.1"), 17, 0, 9));
            assertThat(x.reasons()).anyMatch(r -> r.contains("UDP datagrams") && r.endsWith("to port 9"));
        });
        assertThat(Measures.forDetection(d.getFirst(), MeasureSettings.defaults(), NOW)).as("no udp-limit by default").isEmpty();
        assertThat(Measures.forDetection(d.getFirst(), MeasureSettings.defaults().withUdpLimit(5000, 500), NOW))
                .extracting(Measure::toString).containsExactly("udp-limit udp->10.77.0.1:9 5000/s burst 500");
        // a ping flood is volumetric too, but not UDP: no target, no udp-limit
        List<Detection> icmp = detect(TestData.dataDir().resolve("detect").resolve("hping3-icmp-flood.pcap"), "volumetric");
        assertThat(icmp).isNotEmpty().allSatisfy(x -> assertThat(x.target()).isNull());
    }

    @Test
    void aFloodWithNamedSendersIsLeftToTheSourceBlocks() throws Exception {
        // one sender (172.16.0.5) to random ports of 192.168.50.4: the block of its source stops it
        List<Detection> d = detect("attack/cicddos2019-synflood.pcap", "synflood");
        assertThat(d).hasSize(1);
        assertThat(d.getFirst().sources()).containsExactly("172.16.0.5");
        assertThat(d.getFirst().target()).as("many ports: port 0; SYNs without options")
                .isEqualTo(new Detection.Target(InetAddress.ofLiteral("192.168.50.4"), 6, 0, 0, true));
        // no syn-limit: the source is blocked; its SYNs without options dropped at every port as well (no client sends one)
        assertThat(Measures.forDetection(d.getFirst(), MeasureSettings.defaults(), NOW)).extracting(Measure::toString)
                .containsExactly("bare-syn-drop tcp->192.168.50.4:any");
        assertThat(Measures.forDetection(d.getFirst(), MeasureSettings.defaults().withBareSyns(false), NOW)).isEmpty();
        // the same report without sources (e.g. a wide botnet): an any-port syn-limit too
        Detection unnamed = new Detection(d.getFirst().timeNanos(), d.getFirst().lastNanos(), d.getFirst().detector(),
                d.getFirst().subject(), d.getFirst().score(), d.getFirst().reasons(), 1, List.of(), d.getFirst().target());
        assertThat(Measures.forDetection(unnamed, MeasureSettings.defaults(), NOW)).extracting(Measure::toString)
                .containsExactly("bare-syn-drop tcp->192.168.50.4:any", "syn-limit tcp->192.168.50.4:any 1000/s");
    }

    @Test
    void otherDetectionsGiveNoMeasure() throws Exception {
        assertThat(measures("attack/synack-reflection.pcap", "synflood", MeasureSettings.defaults())).isEmpty();
        assertThat(measures("attack/portscan-1-10000.pcapng", "portscan", MeasureSettings.defaults())).isEmpty();
        assertThat(measures("attack/dns-tunnel-iodine.pcap", "dnstunnel", MeasureSettings.defaults())).isEmpty();
        assertThat(measures("attack/bacnet-amplification.pcapng", "volumetric", MeasureSettings.defaults())).isEmpty();
        // the old constructor: no target
        assertThat(Measures.forDetection(Detection.of(0, "amplification", "10.0.0.1", 2, List.of()), MeasureSettings.defaults(), NOW))
                .isEmpty();
    }

    /** The agent's putAtLeast: an operator's entry (no expiry, or a later one) stays as it is, rate and all. */
    @Test
    void aDetectionsMeasureNeverShortensOrLoosensOneThere() {
        TestData.assumeBpf();
        try (FirewallProgram p = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, true)) {
            FirewallMeasures fm = p.measures();
            InetAddress victim = InetAddress.ofLiteral("192.0.2.80");
            Measure operator = Measure.synLimit(victim, 443, 50, 50, 0);
            fm.put(operator); // xdpml blocks add --measure: until removed
            Measure detection = Measure.synLimit(victim, 443, 1000, 1000, 0);
            assertThat(fm.putAtLeast(detection, Duration.ofMinutes(1))).isFalse();
            assertThat(fm.get(detection).orElseThrow()).extracting(Measure::pps, Measure::expiresNanos).containsExactly(50L, 0L);
            Measure hour = fm.put(Measure.synLimit(victim, 443, 50, 50, 0), Duration.ofHours(1));
            assertThat(fm.putAtLeast(detection, Duration.ofMinutes(1))).as("one expiring later").isFalse();
            assertThat(fm.get(detection).orElseThrow().expiresNanos()).isEqualTo(hour.expiresNanos());
            fm.put(Measure.synLimit(victim, 443, 50, 50, 0), Duration.ofSeconds(1));
            assertThat(fm.putAtLeast(detection, Duration.ofMinutes(1))).as("one expiring sooner: the detection's outlasts it").isTrue();
            assertThat(fm.get(detection).orElseThrow()).as("at the stricter rate").extracting(Measure::pps, Measure::burst)
                    .containsExactly(50L, 50L);
            assertThat(fm.get(detection).orElseThrow().expiresNanos()).isGreaterThan(System.nanoTime() + 50_000_000_000L);
            assertThat(fm.putAtLeast(Measure.portDrop(17, 123, victim, 0), Duration.ofMinutes(1))).as("none there").isTrue();
        }
    }

    /** The Java twin's measure lookups allocate nothing per packet (a reused probe key). */
    @Test
    void theJavaTwinJudgesMeasuresWithoutAllocating() {
        JavaFirewall fw = new JavaFirewall(4789);
        InetAddress victim = InetAddress.ofLiteral("192.0.2.7");
        fw.putMeasure(Measure.portDrop(17, 53, victim, 0));
        fw.putMeasure(Measure.synLimit(victim, 80, 1000, 100, 0));
        fw.putMeasure(Measure.synLimit(InetAddress.ofLiteral("2001:db8::7"), 0, 10, 10, 0));
        java.lang.foreign.MemorySegment[] frames = java.util.stream.Stream.of(
                new io.xdpml.packet.FrameBuilder().ethernet().ipv4("198.51.100.1", "192.0.2.7").udp(53, 4000).payload(100).build(),
                new io.xdpml.packet.FrameBuilder().ethernet().ipv4("198.51.100.2", "192.0.2.7").tcp(4000, 80, 0x02).build(),
                new io.xdpml.packet.FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::7").tcp(4000, 443, 0x02).build(),
                new io.xdpml.packet.FrameBuilder().ethernet().ipv4("198.51.100.3", "192.0.2.7").udp(123, 4000).payload(10).build())
                .map(java.lang.foreign.MemorySegment::ofArray).toArray(java.lang.foreign.MemorySegment[]::new);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long now = 1;
        long least = Long.MAX_VALUE;
        int rounds = 0;
        // the first rounds warm up (and compile, later on a loaded machine): once compiled, a round allocates nothing
        while (rounds < 12 && least >= 4096) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++) {
                java.lang.foreign.MemorySegment f = frames[i & 3];
                fw.packet(f, (int) f.byteSize(), now += 1000);
            }
            least = Math.min(least, mx.getCurrentThreadAllocatedBytes() - before);
            rounds++;
        }
        // Alone, a compiled round allocates nothing (escape analysis removes the lookup keys); inside
        // the whole suite, with other tests' profiles, the JIT keeps them: 88 bytes a packet, every
        // round. What this holds is the bound: no growth with the number of measures or packets.
        assertThat(least / 200_000.0).as("bytes allocated per packet, in the best of %d rounds", rounds).isLessThan(128);
        assertThat(fw.counter(io.xdpml.firewall.FirewallCounter.DROP_MEASURE_PORT)).isEqualTo(50_000L * rounds); // one frame in four: UDP from port 53
        assertThat(fw.counter(io.xdpml.firewall.FirewallCounter.DROP_MEASURE_SYN)).isPositive();
    }

    @Test
    void textFormsParseAndPrintTheSame() {
        for (String text : List.of("port-drop udp/53->192.0.2.7", "port-drop tcp/80->[2001:db8::7]", "syn-limit tcp->192.0.2.7:80 1000/s",
                "syn-limit tcp->192.0.2.7:80 1000/s burst 200", "syn-limit tcp->[2001:db8::7]:any 5/s", "syn-limit tcp->192.0.2.7:443 0/s",
                "udp-limit udp->192.0.2.7:53 5000/s", "udp-limit udp->[2001:db8::7]:any 5/s burst 10", "bare-syn-drop tcp->192.0.2.7:80",
                "bare-syn-drop tcp->[2001:db8::7]:any")) {
            assertThat(Measure.parse(text, true, 0).toString()).isEqualTo(text);
        }
        assertThat(Measure.parse("port-drop:udp/53->192.0.2.7", true, 0)).isEqualTo(Measure.portDrop(17, 53, InetAddress.ofLiteral("192.0.2.7"), 0));
        assertThat(Measure.parse("syn-limit:tcp->192.0.2.7:80@1000/s", true, 7))
                .isEqualTo(Measure.synLimit(InetAddress.ofLiteral("192.0.2.7"), 80, 1000, 1000, 7));
        assertThat(Measure.parse("syn-limit:tcp->[2001:db8::7]:*@10/s,burst=30", true, 0))
                .isEqualTo(Measure.synLimit(InetAddress.ofLiteral("2001:db8::7"), 0, 10, 30, 0));
        assertThat(Measure.parse("syn-limit:tcp->192.0.2.7:80", false, 0).entry()).isEqualTo("syn-limit tcp->192.0.2.7:80");
        assertThat(Measure.parse("udp-limit:udp->192.0.2.7:any@5000/s,burst=100", true, 3))
                .isEqualTo(Measure.udpLimit(InetAddress.ofLiteral("192.0.2.7"), 0, 5000, 100, 3));
        assertThat(Measure.parse("bare-syn-drop:tcp->192.0.2.7:*", true, 9)).isEqualTo(Measure.bareSynDrop(InetAddress.ofLiteral("192.0.2.7"), 0, 9));
        assertThat(Measure.parse("bare-syn-drop:tcp->192.0.2.7:80", true, 0).limit()).isFalse();
        for (String[] bad : new String[][] {
                {"syn-limit:tcp->192.0.2.7:80", "needs a rate"},
                {"port-drop:udp/53->192.0.2.7@5/s", "port-drop has no rate"},
                {"port-drop:icmp/53->192.0.2.7", "is not udp or tcp"},
                {"port-drop:udp/0->192.0.2.7", "source port 1..65535"},
                {"port-drop:udp/53->192.0.2.300", "bad victim address"},
                {"syn-limit:udp->192.0.2.7:80@5/s", "syn-limit is for tcp"},
                {"udp-limit:tcp->192.0.2.7:80@5/s", "udp-limit is for udp"},
                {"udp-limit:udp->192.0.2.7:53@1000/s,burst=0", "a burst of 0 lets no datagram through"},
                {"udp-limit:udp->192.0.2.7@5/s", "is not udp-limit:udp->VICTIM:PORT"},
                {"syn-limit:tcp->192.0.2.7:80@5", "rate is N/s"},
                {"syn-limit:tcp->192.0.2.7:80@1000/s,burst=0", "a burst of 0 lets no SYN through"},
                {"syn-limit:tcp->[2001:db8::7]@5/s", "is not syn-limit:tcp->VICTIM:PORT"},
                {"rate-drop:udp/53->192.0.2.7", "unknown measure kind"},
                {"port-drop", "is not KIND:SPEC"},
                {"bare-syn-drop:tcp->192.0.2.7:80@5/s", "bare-syn-drop has no rate"},
                {"bare-syn-drop:udp->192.0.2.7:80", "bare-syn-drop is for tcp"},
                {"bare-syn-drop:tcp->192.0.2.7", "is not bare-syn-drop:tcp->VICTIM:PORT"}}) {
            assertThatThrownBy(() -> Measure.parse(bad[0], true, 0)).as(bad[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad[1]);
        }
    }
}
