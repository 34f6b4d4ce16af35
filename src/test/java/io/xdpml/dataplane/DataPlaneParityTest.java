package io.xdpml.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallConfigParser;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.flow.FlowConfig;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.file.ModelFile;
import io.xdpml.processor.Mitigation;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.CpuAffinity;
import io.xdpml.xsk.XskCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One truth, two implementations, for the whole composed program: every packet of every shared
 * capture through the kernel program (BPF_PROG_TEST_RUN, test clock) and through its Java twin
 * with every stage on: blocks chosen from the capture's own sources and flows, a firewall with
 * lists, rules, conntrack and limits, the flow table, a model (a tree per packet, or an MLP once
 * per flow, with a drop class and a class sent to Java), sampling (by packet or by flow) and mirror
 * delivery. Each packet must leave with the same action, deciding stage and reason, firewall
 * verdict, class, sampling and delivery (and the same metadata in its mirrored copy); at the end
 * every counter of every stage and the flow table must be equal. The thread is pinned to one CPU:
 * per-CPU counts (the 1-in-N sampling) are per CPU in the kernel.
 */
class DataPlaneParityTest {
    static final int MAX = io.xdpml.kernel.TestRun.maxTestRunFrame();

    /** Lists, rules, conntrack and limits that bite, with a default that lets most traffic on. */
    static final String RULES = """
            default pass
            malformed drop
            conntrack on
            timeout tcp-syn 5s
            timeout udp 30s
            rate-limit 4000/s burst 400
            syn-limit 50/s burst 20
            syn-flood 2000/s burst 200
            bare-syn-flood 300/s burst 100
            icmp-flood 50/s burst 20
            deny src 10.0.0.0/24 2001:db8:dead::/48
            deny dst 224.0.0.0/4
            allow src 127.0.0.0/8
            rule drop udp port 19
            rule drop tcp port 23
            rule drop udp from any to any port 137-139
            rule pass tcp port 80
            rule drop icmp from 172.16.0.0/12
            """;

    /** A model set-up: which model, how it runs, and how packets reach Java. */
    enum Setup {
        /** The shipped tree per packet: attack dropped (at confidence 0.99), benign to Java; 1-in-7 packets sampled. */
        TREE_PER_PACKET("captures-dt.json", ClassifyMode.EVERY_PACKET, Stages.Sampling.BY_PACKET, 0),
        /**
         * The shipped MLP once per flow at its 3rd packet (cached): attack dropped (at confidence 0.99); 1-in-3 flows sampled;
         * flows admitted at their second packet through 1,024 probation slots (few: slots are taken over).
         */
        MLP_PER_FLOW("captures-mlp.json", ClassifyMode.atFlowPacket(3), Stages.Sampling.BY_FLOW, 3, 1024);

        final String model;
        final ClassifyMode mode;
        final Stages.Sampling sampling;
        final int flowN;
        final int probationSlots;

        Setup(String model, ClassifyMode mode, Stages.Sampling sampling, int flowN) {
            this(model, mode, sampling, flowN, 0);
        }

        Setup(String model, ClassifyMode mode, Stages.Sampling sampling, int flowN, int probationSlots) {
            this.model = model;
            this.mode = mode;
            this.sampling = sampling;
            this.flowN = flowN;
            this.probationSlots = probationSlots;
        }

        Stages stages() {
            return Stages.none().withBlocks(true).withFirewall(true).withFlow(true).withModel(true).withSampling(sampling, true);
        }

        FlowConfig flows() {
            // a seed of the flow hash, as the agent draws one (FlowHash): the twin samples and parks as the kernel
            return new FlowConfig(1 << 17, 30_000_000_000L, 4789).withSampling(0, flowN).withProbation(probationSlots)
                    .withHashSeed(0x3c6ef372fe94f82bL ^ ordinal());
        }

        Deployment deployment() throws Exception {
            ModelFile m = ModelFile.read(Path.of("models", model));
            ClassAction[] a = new ClassAction[m.classes().size()];
            for (int i = 0; i < a.length; i++) {
                String c = m.classes().get(i);
                a[i] = c.equals("attack") ? ClassAction.DROP : this == TREE_PER_PACKET ? ClassAction.XSK : ClassAction.COUNT;
            }
            // attack dropped only at confidence 0.99 or more (below: to Java), so that thresholds and
            // the confidence carried to Java are compared too
            int[] min = new int[a.length];
            min[m.classes().indexOf("attack")] = 990;
            return new Deployment(m.integerModel(), mode, a, min);
        }
    }

    /** Both engines, set up alike; compares each packet. */
    static final class Pair implements AutoCloseable {
        final KernelDataPlane kernel;
        final JavaDataPlane java;
        final List<String> diffs = new ArrayList<>();
        final Map<Stage, Long> byStage = new EnumMap<>(Stage.class);
        long packets;
        long delivered;
        long droppedAndDelivered;
        long limitDropsDelivered;
        long firstPicked;
        long passedAtEnd; // packets no stage ended that passed

        Pair(Setup s, FirewallConfig rules, DeliverySettings.Values delivery) throws Exception {
            this(s, rules, delivery, PacketResult.XDP_PASS);
        }

        /** defaultAction: what a packet no stage ended gets (cfg_action). */
        Pair(Setup s, FirewallConfig rules, DeliverySettings.Values delivery, int defaultAction) throws Exception {
            kernel = new KernelDataPlane(s.stages(), s.flows(), defaultAction);
            java = new JavaDataPlane(s.stages(), s.flows(), MAX, defaultAction);
            kernel.install(rules);
            java.install(rules);
            Deployment d = s.deployment();
            kernel.deploy(d);
            java.deploy(d);
            kernel.delivery(delivery);
            java.delivery(delivery);
        }

        void blockSource(Mitigation.Block b, long expires) {
            kernel.mitigation().blockUntil(b.address(), b.prefixLength(), expires);
            java.blocks().blockSource(b.address(), b.prefixLength(), expires);
        }

        void blockFlow(Mitigation.FlowBlock f, long expires) {
            kernel.mitigation().blockFlowUntil(new Mitigation.Flow(f.addressA(), f.portA(), f.addressB(), f.portB(), f.protocol(), f.vlan()), expires);
            java.blocks().blockFlow(new Mitigation.Flow(f.addressA(), f.portA(), f.addressB(), f.portB(), f.protocol(), f.vlan()), expires);
        }

        void packet(MemorySegment frame, int length, long now, String where) {
            PacketResult k = kernel.packet(frame, length, now);
            PacketResult j = java.packet(frame, length, now);
            packets++;
            byStage.merge(k.stage(), 1L, Long::sum);
            if (k.stage() == Stage.END && k.action() == PacketResult.XDP_PASS) {
                passedAtEnd++;
            }
            boolean same = k.sameAs(j);
            if (same && k.delivered()) {
                delivered++;
                if (k.stage() == Stage.MODEL) {
                    droppedAndDelivered++;
                }
                if (k.stage() == Stage.FIREWALL) {
                    limitDropsDelivered++;
                }
                if (k.firstPick()) {
                    firstPicked++;
                }
                same = kernel.mirrored() == 1 && kernel.lastFlowHash() == java.lastFlowHash() && kernel.lastVerdict() == java.lastVerdict()
                        && kernel.lastMarkedFirst() == k.firstPick();
            }
            if (!same && diffs.size() < 10) {
                diffs.add(where + " (" + length + " bytes): kernel " + k + " mirrored " + kernel.mirrored() + " hash "
                        + Integer.toHexString(kernel.lastFlowHash()) + " verdict " + kernel.lastVerdict() + "; java " + j + " hash "
                        + Integer.toHexString(java.lastFlowHash()) + " verdict " + java.lastVerdict());
            }
        }

        void assertSame(String what) {
            assertThat(diffs).as(what + ": packets treated differently").isEmpty();
            assertThat(kernel.pipelineCounters()).as(what + ": pipeline counters").isEqualTo(java.pipelineCounters());
            assertThat(kernel.pipelineCounters().packets()).isEqualTo(packets);
            assertThat(kernel.parseCounters()).as(what + ": parse counters").isEqualTo(java.parseCounters());
            assertThat(kernel.firewallCounters()).as(what + ": firewall counters").isEqualTo(java.firewallCounters());
            int rules = 5;
            assertThat(kernel.ruleHits(rules)).as(what + ": rule hits").isEqualTo(java.ruleHits(rules));
            assertThat(kernel.deliverCounters()).as(what + ": sample/deliver counters").isEqualTo(java.deliverCounters());
            assertThat(kernel.modelStats()).as(what + ": model counters").usingRecursiveComparison().isEqualTo(java.modelStats());
            assertThat(table(kernel)).as(what + ": flow table").isEqualTo(table(java));
            assertThat(kernel.mitigation().list().stream().map(b -> b.address() + "/" + b.prefixLength() + " " + b.hits()).sorted()
                    .toList()).as(what + ": source block hits")
                    .isEqualTo(java.blocks().list().stream().map(b -> b.address() + "/" + b.prefixLength() + " " + b.hits()).sorted().toList());
            assertThat(kernel.mitigation().listFlows().stream().map(f -> f.toString() + " " + f.hits()).sorted().toList())
                    .as(what + ": flow block hits")
                    .isEqualTo(java.blocks().listFlows().stream().map(f -> f.toString() + " " + f.hits()).sorted().toList());
        }

        static Map<String, String> table(DataPlaneEngine e) {
            Map<String, String> m = new TreeMap<>();
            e.flows().forEachFlow((k, v) -> m.put(HexFormat.of().formatHex(k.toArray(ValueLayout.JAVA_BYTE)),
                    HexFormat.of().formatHex(v.toArray(ValueLayout.JAVA_BYTE))));
            return m;
        }

        @Override
        public void close() {
            kernel.close();
        }
    }

    static Stream<Arguments> cases() {
        return TestData.captures().stream().flatMap(c -> Stream.of(Arguments.of(c, Setup.TREE_PER_PACKET), Arguments.of(c, Setup.MLP_PER_FLOW)));
    }

    static FirewallConfig rules() throws Exception {
        return FirewallConfigParser.parse(RULES, "parity");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void kernelAndJavaTreatEveryCapturePacketAlike(Path capture, Setup setup) throws Exception {
        TestData.assumeBpf();
        CpuAffinity.callPinned(0, () -> {
            try (Arena a = Arena.ofConfined();
                 Pair p = new Pair(setup, rules(), new DeliverySettings.Values(7, 20_000, 50, true, 200))) {
                MemorySegment buf = a.allocate(MAX + 64, 64);
                BlocksParityTest.Traffic t = new BlocksParityTest.Traffic();
                BlocksParityTest.replay(capture, BlocksParityTest.Transform.AS_IS, buf, (f, len, time, i) -> t.add(f, len, time));
                int i = 0;
                for (BlocksParityTest.Seen s : t.sources.values()) {
                    if (i++ % 13 == 5) {
                        p.blockSource(s.source(), i % 2 == 0 ? 0 : s.middle());
                    }
                }
                i = 0;
                for (BlocksParityTest.Seen s : t.flows.values()) {
                    if (i++ % 9 == 4) {
                        p.blockFlow(s.flow(), i % 3 == 0 ? s.middle() : 0);
                    }
                }
                BlocksParityTest.replay(capture, BlocksParityTest.Transform.AS_IS, buf,
                        (f, len, time, index) -> p.packet(f, len, time, capture.getFileName() + " #" + index));
                assertThat(p.packets).isPositive();
                p.assertSame(capture.getFileName() + " " + setup);
                return null;
            }
        });
    }

    /**
     * 10^5 seeded hostile frames (mutated, truncated, random) through every stage; every stage sees some. The
     * model's drops are not sampled here (the captures' test samples them); flows' first packets are picked.
     * The default action is drop: a class sent to Java and not redirected (the tree's benign; no socket
     * here) must pass all the same, a counted one (the MLP's benign) is dropped.
     */
    @Test
    void kernelAndJavaTreatHostileFramesAlike() throws Exception {
        TestData.assumeBpf();
        CpuAffinity.callPinned(0, () -> {
            for (Setup setup : Setup.values()) {
                try (Arena a = Arena.ofConfined();
                     Pair p = new Pair(setup, rules(), new DeliverySettings.Values(5, 30_000, 100, false, 1000), PacketResult.XDP_DROP)) {
                    MemorySegment buf = a.allocate(4096, 64);
                    FrameFuzzer fuzz = new FrameFuzzer(11, 300);
                    java.util.Random rnd = new java.util.Random(7);
                    long now = 1_000_000_000L;
                    int frames = Integer.getInteger("xdpml.fuzz.frames", 100_000) / 2;
                    for (int i = 0; i < frames; i++) {
                        byte[] f = fuzz.next();
                        if (f.length < 14) {
                            continue;
                        }
                        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                        now += rnd.nextInt(1000) == 0 ? rnd.nextLong(40_000_000_000L) : rnd.nextInt(200_000);
                        if (i == frames / 3) { // blocks appear mid-way: a wide IPv4 and IPv6 prefix
                            p.blockSource(Mitigation.Block.of(8, new byte[] {10, 0, 0, 0}, 0, 0), 0);
                            p.blockSource(Mitigation.Block.of(16, new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8}, 0, 0), now + 5_000_000_000L);
                        }
                        p.packet(buf, f.length, now, "fuzz " + setup + " #" + i);
                    }
                    p.assertSame("fuzz " + setup);
                    PipelineCounters c = p.java.pipelineCounters();
                    if (setup == Setup.TREE_PER_PACKET) {
                        assertThat(p.passedAtEnd).as("classes sent to Java, passed at the end despite the default drop").isPositive();
                    }
                    assertThat(c.dropped(Stage.FIREWALL)).as("firewall drops").isPositive();
                    assertThat(p.java.firewallCounters()[FirewallCounter.PASS_DEFAULT.id()]).isPositive();
                    if (setup.probationSlots == 0) { // with probation, fuzzed frames (almost all one-packet flows) form no flow to sample
                        assertThat(p.java.deliverCounters()[XskCounter.SAMPLED.ordinal()]).as("sampled").isPositive();
                    }
                }
            }
            return null;
        });
    }

    /** The comparison is not vacuous: over all captures, every stage decides some packets. */
    @Test
    void everyStageDecidesSomePacketsOfTheCaptures() throws Exception {
        TestData.assumeBpf();
        CpuAffinity.callPinned(0, () -> {
            Map<Stage, Long> total = new EnumMap<>(Stage.class);
            long delivered = 0;
            long droppedAndDelivered = 0;
            long limitDropsDelivered = 0;
            long firstPicked = 0;
            long firstCapped = 0;
            for (Path capture : List.of(TestData.capture("attack/synflood-spoofed.pcap"), TestData.capture("benign/lan-trace-2012.pcap"),
                    TestData.capture("attack/portscan-1-10000.pcapng"))) {
                try (Arena a = Arena.ofConfined();
                     Pair p = new Pair(Setup.TREE_PER_PACKET, rules(), new DeliverySettings.Values(7, 0, 0, true, 50))) {
                    MemorySegment buf = a.allocate(MAX + 64, 64);
                    BlocksParityTest.Traffic t = new BlocksParityTest.Traffic();
                    BlocksParityTest.replay(capture, BlocksParityTest.Transform.AS_IS, buf, (f, len, time, i) -> t.add(f, len, time));
                    int i = 0;
                    for (BlocksParityTest.Seen s : t.sources.values()) {
                        if (i++ % 13 == 5) {
                            p.blockSource(s.source(), 0);
                        }
                    }
                    BlocksParityTest.replay(capture, BlocksParityTest.Transform.AS_IS, buf,
                            (f, len, time, index) -> p.packet(f, len, time, capture.getFileName() + " #" + index));
                    p.assertSame(capture.getFileName().toString());
                    p.byStage.forEach((k, v) -> total.merge(k, v, Long::sum));
                    delivered += p.delivered;
                    droppedAndDelivered += p.droppedAndDelivered;
                    limitDropsDelivered += p.limitDropsDelivered;
                    firstPicked += p.firstPicked;
                    firstCapped += p.java.deliverCounters()[XskCounter.FIRST_CAPPED.ordinal()];
                }
            }
            for (Stage s : List.of(Stage.BLOCKS, Stage.FIREWALL, Stage.MODEL, Stage.END)) {
                assertThat(total.getOrDefault(s, 0L)).as("packets decided by " + s).isPositive();
            }
            assertThat(delivered).as("mirrored copies compared").isPositive();
            assertThat(droppedAndDelivered).as("copies of the model's drops compared (sampled with the rest)").isPositive();
            assertThat(limitDropsDelivered).as("copies of the firewall limits' drops compared (since 2026-12-07)").isPositive();
            assertThat(firstPicked).as("flows' first packets copied besides the sample, compared").isPositive();
            assertThat(firstCapped).as("flows' first packets over the pick's rate (the scan, 50/s)").isPositive();
            return null;
        });
    }
}
