package io.xdpml.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.agent.config.DetectorsSection;
import io.xdpml.agent.config.SamplingSection;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stage;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapWriter;
import io.xdpml.testing.TestData;
import io.xdpml.util.PacketSampling;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A packet sampled 1 in N by packet stands for N packets of the traffic: the detectors that count
 * packets and bytes toward rates and floors (flood, amplification, volumetric) count it N times
 * ({@code PacketObservation.weight()}), while a packet the model sent to Java (its class's action,
 * or below its confidence: bit 15 of the metadata's verdict) was not sampled and counts once. Shown
 * through the agent's twin (what {@code xdpml replay} and the agent do with each delivered packet)
 * on the hping3 ICMP flood made here, and on the benign captures with no detection.
 */
class SampleWeightTest {
    private static final Path ICMP_FLOOD = TestData.dataDir().resolve("detect/hping3-icmp-flood.pcap");
    private static final Path MODEL = Path.of("models/captures-wide-rf.json").toAbsolutePath();
    private static final String FLOODER = "10.77.1.1";
    private static final String VICTIM = "10.77.0.1";

    @TempDir
    Path dir;

    /** The agent's configuration: no firewall, flows on, {@code model}, 1 in {@code every} by packet, the default detectors. */
    private AgentConfig config(String model, int every) throws Exception {
        return config(model, every, true);
    }

    /** The same, the model's drops sampled ({@code dropped}) or not, and {@code extra} lines. */
    private AgentConfig config(String model, int every, boolean dropped, String... extra) throws Exception {
        return config(model, every, dropped, SamplingSection.DEFAULT_FIRST_PACKETS, extra);
    }

    /** The same, with {@code firstPackets} of each flow's first packets a second copied besides the sample. */
    private AgentConfig config(String model, int every, boolean dropped, long firstPackets, String... extra) throws Exception {
        Path f = dir.resolve("agent-" + every + "-" + dropped + "-" + firstPackets + "-" + extra.length + ".yaml");
        Files.writeString(f, String.join("\n",
                "interfaces: [lo]",
                "blocks: {enabled: true}",
                "firewall: {enabled: false}",
                "flows: {max-flows: 65536}",
                model,
                "sampling: {every: " + every + ", by: packet, dropped: " + dropped + ", first-packets: " + firstPackets + "}",
                "detectors: {window: 2s, early: 200ms}",
                "mitigation: {block: 60s, measures: false}",
                String.join("\n", extra),
                ""));
        return AgentConfigLoader.load(f);
    }

    /**
     * What the twin of {@code c} did with {@code capture} (the ICMP flood lasts 0.15 s: detected at its end): its detections,
     * the sources it blocked, the packets it delivered, and the packets the model and the blocks dropped (and of the
     * model's, how many were copied to Java first).
     */
    private record Run(List<Detection> detections, List<String> blocked, long delivered, long droppedByModel, long droppedByBlocks,
                       long droppedAndDelivered, long firstPicked) {
        Detection flood() {
            return detected("flood", VICTIM);
        }

        Detection detected(String detector, String subject) {
            return detections.stream().filter(d -> d.detector().equals(detector) && d.subject().equals(subject)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + detector + " " + subject + " in " + detections));
        }

        List<String> named() {
            return detections.stream().map(d -> d.detector() + " " + d.subject()).toList();
        }

        /** The packet count the flood detection's first reason gives ("15,000 packets, ..."). */
        long floodPackets() {
            return leadingCount(flood());
        }
    }

    /** The count a detection's first reason starts with ("1,400 SYNs in ...", "15,000 packets, ..."). */
    private static long leadingCount(Detection d) {
        String first = d.reasons().getFirst();
        return Long.parseLong(first.substring(0, first.indexOf(' ')).replace(",", ""));
    }

    private static Run twin(AgentConfig c, Path capture) throws Exception {
        List<Detection> detections = new ArrayList<>();
        List<String> blocked = new ArrayList<>();
        AgentTwin twin = new AgentTwin(c, new AgentTwin.Events() {
            @Override
            public void detected(Detection d) { // also what is found after the last packet (detectedAtEnd's default)
                detections.add(d);
            }

            @Override
            public void blocked(String source, Detection d, boolean again) {
                blocked.add(source);
            }
        }, Integer.MAX_VALUE);
        EthernetFramer framer = new EthernetFramer();
        long delivered = 0;
        long byModel = 0;
        long byBlocks = 0;
        long droppedAndDelivered = 0;
        long firstPicked = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                int length = framer.frame(r);
                if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                    continue;
                }
                PacketResult p = twin.packet(framer.frameSegment(), length, r.timestampNanos());
                delivered += p.delivered() ? 1 : 0;
                firstPicked += p.delivered() && p.firstPick() ? 1 : 0;
                if (p.action() == PacketResult.XDP_DROP && p.stage() == Stage.MODEL) {
                    byModel++;
                    droppedAndDelivered += p.delivered() && !p.firstPick() ? 1 : 0;
                } else if (p.action() == PacketResult.XDP_DROP && p.stage() == Stage.BLOCKS) {
                    byBlocks++;
                }
            }
        }
        twin.finish();
        return new Run(detections, blocked, delivered, byModel, byBlocks, droppedAndDelivered, firstPicked);
    }

    @Test
    void aSampledFloodCountsAsTheTrafficItStandsFor() throws Exception {
        Run all = twin(config("model: {enabled: false}", 1), ICMP_FLOOD);
        long requests = all.floodPackets(); // every echo request, counted one by one
        assertThat(all.flood().sources()).containsExactly(FLOODER);
        assertThat(requests).isEqualTo(7_500);

        // 1 in 101 (an odd N: before 2026-12-07 the sample stage chose every N-th packet, and this capture alternates
        // request and reply, which an even N aliased: every 100th packet a request, 15,000 "requests" estimated)
        Run sampled = twin(config("model: {enabled: false}", 101), ICMP_FLOOD);
        // the sample, and the first echo reply picked besides it: the first packet of its direction of the flow
        // (since 2026-12-06; the first request is the sample's first)
        long packets = TestData.packetCount(ICMP_FLOOD);
        long below = PacketSampling.below(101);
        long chosen = LongStream.range(0, packets).filter(i -> PacketSampling.chosen(i, 101, below)).count();
        assertThat(chosen).as("1 in 101 of any run, within a few").isBetween(packets / 101 - 2, packets / 101 + 2);
        assertThat(sampled.delivered() - sampled.firstPicked()).isEqualTo(chosen);
        assertThat(sampled.firstPicked()).as("the first echo reply").isEqualTo(1);
        assertThat(sampled.flood().sources()).containsExactly(FLOODER);
        assertThat(sampled.flood().reasons().getFirst()).contains("estimated from", "seen");
        assertThat(sampled.floodPackets()).as("the estimate, packets seen x 101").isBetween(requests * 9 / 10, requests * 11 / 10);
        assertThat(sampled.flood().timeNanos()).isEqualTo(all.flood().timeNanos());
    }

    @Test
    void unweighedTheSamePacketsAreUnderTheFloors() throws Exception {
        // the packets the twin delivered at 1 in 101, each counted once: a flood of 75 packets per second, under every floor
        assertThat(detections(ICMP_FLOOD, 101, 0, 1)).isEmpty();
        assertThat(detections(ICMP_FLOOD, 101, 0, 101)).contains("flood " + VICTIM);
    }

    @Test
    void aSampledSpoofedSynFloodIsFoundByItsWeighedSyns() throws Exception {
        Path flood = TestData.capture("attack/synflood-spoofed.pcap");
        List<String> all = detections(flood, 1, 0, 1).stream().filter(d -> d.startsWith("synflood ")).toList();
        // the flood, and (since 2026-12-07) its tail 15 s later, 737 SYNs without options at 82 a second, synflood's slow bare rule's
        assertThat(all).hasSize(2).containsOnly("synflood 10.10.10.10");
        for (int n : new int[] {10, 100}) {
            assertThat(detections(flood, n, 0, n)).as("1 in %d, weighed", n).contains(all.getFirst());
        }
        assertThat(detections(flood, 100, 0, 1)).as("1 in 100, unweighed: under the floors").doesNotContain(all.getFirst());
    }

    @Test
    void whatTheModelSendsToJavaCountsOnce() throws Exception {
        // every class to Java: no packet is sampled, each counts once, whatever sampling.every says
        AgentConfig c = config(String.join("\n", "model:", "  file: " + MODEL, "  mode: packet", "  actions: {attack: java, benign: java}"), 100);
        Run forced = twin(c, ICMP_FLOOD);
        assertThat(forced.delivered()).isEqualTo(TestData.packetCount(ICMP_FLOOD));
        assertThat(forced.floodPackets()).isEqualTo(7_500);
        assertThat(forced.flood().reasons().getFirst()).doesNotContain("estimated");
    }

    @Test
    void theModelsSampledDropsShowTheDetectorsWhatItDrops() throws Exception {
        // a SYN flood the shipped forest drops (99.9% of its packets at confidence 0.9): without its drops sampled, Java sees
        // nothing of it; with them (the default), 1 in 100 of them weighing 100, and the flood's source is named and blocked
        Path flood = TestData.capture("attack/cicddos2019-synflood.pcap");
        String model = String.join("\n", "model:", "  file: " + MODEL, "  mode: packet", "  actions: {attack: drop, benign: pass}",
                "  min-confidence: {attack: 0.9}");
        Run without = twin(config(model, 100, false), flood);
        Run with = twin(config(model, 100, true), flood);
        assertThat(without.droppedByModel()).as("the model drops the flood").isGreaterThan(TestData.packetCount(flood) * 99 / 100);
        assertThat(without.named()).isEmpty();
        assertThat(without.blocked()).isEmpty();
        assertThat(without.droppedAndDelivered()).isZero();
        assertThat(with.named()).contains("synflood 192.168.50.4");
        assertThat(with.blocked()).contains("172.16.0.5");
        assertThat(with.droppedAndDelivered()).as("1 in 100 of the model's drops copied to Java")
                .isBetween(with.droppedByModel() / 100 - 1, with.droppedByModel() / 100 + 1);
        assertThat(with.droppedByBlocks()).as("after the block, the blocks stage drops the flood before the model")
                .isGreaterThan(TestData.packetCount(flood) / 4);
        // about the same packets dropped: not exactly, since a blocked packet no longer updates its flow, whose features the
        // model then reads for the packets of the other direction (8 of 26,299 here)
        assertThat(with.droppedByBlocks() + with.droppedByModel()).as("the packets dropped")
                .isCloseTo(without.droppedByBlocks() + without.droppedByModel(), org.assertj.core.data.Percentage.withPercentage(0.1));
    }

    @Test
    void aScanSampledOneIn100IsSeenWholeThroughItsFlowsFirstPackets() throws Exception {
        // a SYN scan sends one probe per port: 1 in 100 of them leaves portscan 100 ports of 10,000, under its floor of 20
        // distinct ports in a 2 s window for most scans; each probe is its flow's first packet, which the agent copies to
        // Java besides the sample (sampling.first-packets), so portscan sees every port and names the scanner
        for (var scan : List.of(new String[] {"attack/portscan-1-10000.pcapng", "192.168.1.7"},
                new String[] {"attack/ndpi-synscan.pcap", "172.16.0.8"})) {
            Path capture = TestData.capture(scan[0]);
            Run without = twin(config("model: {enabled: false}", 100, true, 0), capture);
            Run with = twin(config("model: {enabled: false}", 100), capture);
            assertThat(without.firstPicked()).isZero();
            assertThat(without.named()).as(scan[0]).doesNotContain("portscan " + scan[1]);
            assertThat(with.firstPicked()).as(scan[0]).isGreaterThan(with.delivered() / 2);
            assertThat(with.named()).as(scan[0]).contains("portscan " + scan[1]);
            assertThat(with.blocked()).as(scan[0]).contains(scan[1]);
            assertThat(with.droppedByBlocks()).as("%s: the rest of the scan dropped by blocks", scan[0])
                    .isGreaterThan(TestData.packetCount(capture) / 2);
        }
    }

    @Test
    void flowsFirstPacketsCountForNothingInTheVolumeDetectors() throws Exception {
        // the spoofed SYN flood makes every packet a new flow: 1,000 of them a second are copied besides the sample, and
        // synflood, which counts weighed SYNs, estimates the flood from the sampled ones alone, as without them
        Path flood = TestData.capture("attack/synflood-spoofed.pcap");
        Run without = twin(config("model: {enabled: false}", 100, true, 0), flood);
        Run with = twin(config("model: {enabled: false}", 100), flood);
        assertThat(with.firstPicked()).as("flows' first packets copied, 1,000/s for 4.2 s").isBetween(3000L, 6000L);
        assertThat(with.delivered()).isGreaterThan(without.delivered() * 5);
        assertThat(leadingCount(with.detected("synflood", "10.10.10.10")))
                .isEqualTo(leadingCount(without.detected("synflood", "10.10.10.10")));
    }

    @Test
    void flowsFirstPacketsRaiseNothingOnBenignCapturesThatEveryPacketDoesNot() throws Exception {
        long picked = 0;
        for (Path benign : List.of(TestData.capture("benign/lan-trace-2012.pcap"), TestData.capture("benign/ndpi-firefox.pcap"),
                TestData.capture("benign/ndpi-ftp.pcap"), TestData.capture("benign/ndpi-teams.pcap"), TestData.capture("benign/ndpi-tor.pcap"),
                TestData.dataDir().resolve("detect/iperf3-tcp.pcap"), TestData.dataDir().resolve("detect/iperf3-udp.pcap"))) {
            Run all = twin(config("model: {enabled: false}", 1), benign);
            Run sampled = twin(config("model: {enabled: false}", 100), benign);
            picked += sampled.firstPicked();
            assertThat(sampled.named()).as("%s, 1 in 100 and flows' first packets", benign.getFileName()).isSubsetOf(all.named());
            assertThat(sampled.blocked()).as("%s", benign.getFileName()).isEmpty();
        }
        assertThat(picked).as("flows' first packets copied besides the sample").isGreaterThan(1000);
    }

    @Test
    void whatTheRateCapHeldBackCountsToo() throws Exception {
        // the spoofed SYN flood (8,748 SYNs/s for 4.2 s) with every packet to Java, but at most 200 a second: 400 SYNs in a
        // 2 s window reach Java, under synflood's floor of 1,000; each weighs what the cap held back with it (DeliveryShare)
        Path flood = TestData.capture("attack/synflood-spoofed.pcap");
        Run all = twin(config("model: {enabled: false}", 1), flood);
        Run capped = twin(config("model: {enabled: false}", 1, true, "delivery: {rate-cap: 200}"), flood);
        assertThat(capped.delivered()).as("what the cap let through").isLessThan(all.delivered() / 20);
        Detection first = all.detected("synflood", "10.10.10.10");
        Detection seen = capped.detected("synflood", "10.10.10.10");
        assertThat(first.reasons().getFirst()).doesNotContain("estimated");
        assertThat(seen.reasons().getFirst()).contains("estimated from");
        assertThat(leadingCount(seen)).as("the SYNs estimated, against %s", first.reasons().getFirst())
                .isBetween(leadingCount(first) / 2, leadingCount(first) * 2);
        assertThat(seen.timeNanos() - first.timeNanos()).as("reported at most 0.5 s later").isLessThan(500_000_000L);
    }

    @Test
    void sampledBenignCapturesRaiseNothingMore() throws Exception {
        // the agent's default detectors on 1 in N of each benign capture, each packet weighing N, at two phases of the counter:
        // nothing but what every packet raises (volumetric's report of iperf3 -u's 7,500 packets/s after 530: a volume, no source)
        for (Path benign : List.of(TestData.capture("benign/lan-trace-2012.pcap"), TestData.capture("benign/ndpi-firefox.pcap"),
                TestData.capture("benign/ndpi-ftp.pcap"), TestData.capture("benign/ndpi-teams.pcap"), TestData.capture("benign/ndpi-tor.pcap"),
                TestData.dataDir().resolve("detect/iperf3-tcp.pcap"), TestData.dataDir().resolve("detect/iperf3-udp.pcap"))) {
            List<String> unsampled = detections(benign, 1, 0, 1);
            assertThat(unsampled).as("%s", benign.getFileName()).allMatch(d -> d.startsWith("volumetric "));
            for (int n : new int[] {10, 100}) {
                for (int phase : new int[] {0, n / 2}) {
                    assertThat(detections(benign, n, phase, n)).as("%s, 1 in %d from packet %d", benign.getFileName(), n, phase)
                            .isSubsetOf(unsampled);
                }
            }
        }
    }

    /**
     * A connection flood from one client whose packets alternate SYN, ACK, SYN, ACK (each handshake completed, then
     * the next connection): 400 connections in 0.4 s to one web server. connflood counts every SYN (each a flow's first
     * packet, copied besides the sample) and wants the handshakes' ACKs, which reach Java only in the sample. Sampled
     * 1 in 100 by a plain count (seen % 100 == 0, before 2026-12-07) every sampled packet was a SYN: no ACK was seen,
     * the flood looked spoofed, and the client was neither named nor blocked. The sample stage's scrambled count
     * (PacketSampling) has no period to fall in step with: ACKs are sampled too, the client is named and blocked.
     */
    @Test
    void aConnectionFloodWhosePacketsAlternateWithTheSamplesPeriodIsStillSeenCompleted() throws Exception {
        Path capture = dir.resolve("syn-ack-alternating.pcap");
        String client = "10.77.2.1";
        long t0 = 1_700_000_000_000_000_000L;
        try (PcapWriter w = PcapWriter.open(capture, 1); Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 400; i++) {
                int port = 20_000 + i;
                int isn = 1_000_000 + i * 7919;
                byte[] syn = new FrameBuilder().ethernet().ipv4(client, VICTIM).tcp(port, 80, 0x02, isn, 0).build();
                byte[] ack = new FrameBuilder().ethernet().ipv4(client, VICTIM).tcp(port, 80, 0x10, isn + 1, 77).build();
                long t = t0 + i * 1_000_000L;
                w.write(t, arena.allocateFrom(ValueLayout.JAVA_BYTE, syn), syn.length, syn.length);
                w.write(t + 500_000L, arena.allocateFrom(ValueLayout.JAVA_BYTE, ack), ack.length, ack.length);
            }
        }
        Run all = twin(config("model: {enabled: false}", 1), capture);
        assertThat(all.named()).as("every packet to Java").contains("connflood " + client);

        Run sampled = twin(config("model: {enabled: false}", 100), capture);
        assertThat(sampled.named()).as("1 in 100").contains("connflood " + client);
        assertThat(sampled.blocked()).containsExactly(client);
        assertThat(sampled.droppedByBlocks()).as("blocked while it lasted").isPositive();
    }

    /** "detector subject" of what the agent's default detectors find on 1 in {@code n} packets of {@code capture} from {@code phase}, each weighing {@code weight}. */
    private static List<String> detections(Path capture, int n, int phase, int weight) throws Exception {
        DetectorSet set = new DetectorSet(DetectorsSection.defaults().create());
        ObservationBuilder observations = new ObservationBuilder(set.needsFlows());
        EthernetFramer framer = new EthernetFramer();
        long i = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                int length = framer.frame(r);
                if (length >= EthernetFramer.ETHERNET_HEADER_LENGTH && i++ % n == phase) {
                    set.observe(observations.observe(framer.frameSegment(), 0, length, r.timestampNanos(), weight));
                }
            }
        }
        set.finish();
        return set.detections().stream().map(d -> d.detector() + " " + d.subject()).toList();
    }
}
