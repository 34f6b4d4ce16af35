package io.xdpml.dataplane;

import static io.xdpml.flow.SynRepeatAdmissionParityTest.tcp;
import static io.xdpml.flow.SynRepeatAdmissionParityTest.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCounter;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.file.ModelFile;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.CpuAffinity;
import io.xdpml.xsk.XskCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The first-packet pick covers the first packet of each direction of a flow (issue 15, since
 * 2026-12-06; before, the flow's first alone, so the SYN-ACK or RST answering a probe reached Java
 * only as often as the sample chose it). The same packets through the kernel's composed program
 * (BPF_PROG_TEST_RUN, test clock) and its Java twin, with probation off and on, with no model and
 * with a per-flow model that caches its class at a flow's first packet (so that the answer to a SYN
 * takes the cached path, {@code xdpml_flow_update_cached}): each packet must be treated alike, and
 * picked exactly when it is the first of its direction of its flow (a new flow's, a restarted
 * one's, the first the other way, a SYN parked again after its parked SYN), the sample choosing
 * nearly nothing (1 in 10^6).
 */
class FirstPacketEachWayParityTest {
    static final long US = 1_000L;
    static final long S = 1_000_000_000L;
    static final long IDLE = 30 * S;

    /** A packet and whether it is the first of its direction of its flow (with probation, and without). */
    record Sent(byte[] frame, long time, boolean firstWith, boolean firstWithout, String what) {
        boolean first(boolean probation) {
            return probation ? firstWith : firstWithout;
        }
    }

    static final String C6 = "2001:db8:1::1";

    static byte[] tcp6(String src, String dst, int sport, int dport, int flags) {
        return new FrameBuilder().ethernet().ipv6(src, dst).tcp(sport, dport, flags).build();
    }

    static List<Sent> traffic() {
        List<Sent> out = new ArrayList<>();
        long t = S;
        String c = "10.9.0.1";
        for (int i = 0; i < 20; i++) {
            String s = "10.9.1." + (1 + i);
            int port = 8000 + i;
            // an open port: SYN, SYN-ACK (the other way's first), ACK, data both ways
            out.add(new Sent(tcp(c, s, 40000 + i, port, 0x02, 0), t += US, true, true, "SYN " + i));
            out.add(new Sent(tcp(s, c, port, 40000 + i, 0x12, 0), t += 100 * US, true, true, "SYN-ACK " + i));
            out.add(new Sent(tcp(c, s, 40000 + i, port, 0x10, 0), t += 100 * US, false, false, "ACK " + i));
            out.add(new Sent(tcp(c, s, 40000 + i, port, 0x18, 200), t += 10 * US, false, false, "data out " + i));
            out.add(new Sent(tcp(s, c, port, 40000 + i, 0x18, 900), t += 50 * US, false, false, "data back " + i));
            // a closed port: SYN, RST-ACK (the other way's first)
            out.add(new Sent(tcp(c, s, 41000 + i, 9, 0x02, 0), t += US, true, true, "SYN closed " + i));
            out.add(new Sent(tcp(s, c, 9, 41000 + i, 0x14, 0), t += 80 * US, true, true, "RST " + i));
        }
        // IPv6 (since 2026-12-06 here): an open port's handshake and a closed port's RST, each answer the other way's first
        for (int i = 0; i < 3; i++) {
            String s6 = "2001:db8:9::" + (1 + i);
            out.add(new Sent(tcp6(C6, s6, 43000 + i, 443, 0x02), t += US, true, true, "v6 SYN " + i));
            out.add(new Sent(tcp6(s6, C6, 443, 43000 + i, 0x12), t += 100 * US, true, true, "v6 answer SYN-ACK " + i));
            out.add(new Sent(tcp6(C6, s6, 43000 + i, 443, 0x10), t += 100 * US, false, false, "v6 ACK " + i));
            out.add(new Sent(tcp6(C6, s6, 44000 + i, 9, 0x02), t += US, true, true, "v6 SYN closed " + i));
            out.add(new Sent(tcp6(s6, C6, 9, 44000 + i, 0x14), t += 80 * US, true, true, "v6 answer RST " + i));
            out.add(new Sent(tcp6(C6, s6, 44000 + i, 9, 0x02), t += S / 1000, false, false, "v6 SYN closed again " + i));
        }
        // UDP whose second packet goes the same way (it promotes, not a first), then the answer (a first)
        out.add(new Sent(udp(c, "10.9.2.1", 5353, 53, 40), t += US, true, true, "UDP query"));
        out.add(new Sent(udp(c, "10.9.2.1", 5353, 53, 40), t += 5 * US, false, false, "UDP query again"));
        out.add(new Sent(udp("10.9.2.1", c, 53, 5353, 120), t += 300 * US, true, true, "UDP answer"));
        out.add(new Sent(udp("10.9.2.1", c, 53, 5353, 120), t += 300 * US, false, false, "UDP answer again"));
        // a SYN sent twice before its answer: without probation the second is no first; with it, the
        // second SYN parks in the first's place (a first again), and the SYN-ACK promotes, the other way's first
        out.add(new Sent(tcp(c, "10.9.3.1", 42000, 443, 0x02, 0), t += US, true, true, "SYN"));
        out.add(new Sent(tcp(c, "10.9.3.1", 42000, 443, 0x02, 0), t += S, true, false, "SYN retransmitted"));
        out.add(new Sent(tcp("10.9.3.1", c, 443, 42000, 0x12, 0), t += 200 * US, true, true, "its SYN-ACK"));
        out.add(new Sent(tcp(c, "10.9.3.1", 42000, 443, 0x10, 0), t += 200 * US, false, false, "its ACK"));
        // after the idle timeout: the open port's flow 0 restarts at a packet from the server (the
        // restarted flow's first; without probation it restarts in place, with it the old flow is
        // still in the table and restarts likewise), then the client's packet, the other way's first
        t += IDLE + S;
        out.add(new Sent(tcp("10.9.1.1", c, 8000, 40000, 0x18, 500), t += US, true, true, "server after idle"));
        out.add(new Sent(tcp(c, "10.9.1.1", 40000, 8000, 0x10, 0), t += 100 * US, true, true, "client after idle"));
        out.add(new Sent(tcp("10.9.1.1", c, 8000, 40000, 0x18, 500), t += 100 * US, false, false, "server again"));
        return out;
    }

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of(0, false), Arguments.of(1024, false), Arguments.of(0, true), Arguments.of(1024, true));
    }

    @ParameterizedTest(name = "probation {0}, per-flow model cached at the first packet {1}")
    @MethodSource("cases")
    void theFirstPacketOfEachDirectionIsPickedAlikeInTheKernelAndInJava(int probation, boolean model) throws Exception {
        TestData.assumeBpf();
        Stages stages = Stages.none().withFlow(true).withModel(model).withSampling(Stages.Sampling.BY_PACKET, true);
        FlowConfig flows = new FlowConfig(1 << 12, IDLE, 4789).withProbation(probation).withHashSeed(0x243f6a8885a308d3L);
        DeliverySettings.Values delivery = new DeliverySettings.Values(1_000_000, 0, 0, false, 1_000_000);
        CpuAffinity.callPinned(0, () -> {
            try (Arena a = Arena.ofConfined();
                 KernelDataPlane kernel = new KernelDataPlane(stages, flows, PacketResult.XDP_PASS)) {
                JavaDataPlane java = new JavaDataPlane(stages, flows, DataPlaneParityTest.MAX, PacketResult.XDP_PASS);
                if (model) {
                    ModelFile m = ModelFile.read(Path.of("models", "captures-dt.json"));
                    ClassAction[] actions = new ClassAction[m.classes().size()];
                    Arrays.fill(actions, ClassAction.COUNT);
                    Deployment d = new Deployment(m.integerModel(), ClassifyMode.atFlowPacket(1), actions, new int[actions.length]);
                    kernel.deploy(d);
                    java.deploy(d);
                }
                kernel.delivery(delivery);
                java.delivery(delivery);
                MemorySegment buf = a.allocate(4096, 64);
                List<String> diffs = new ArrayList<>();
                int picked = 0;
                int answersPicked = 0;
                for (Sent s : traffic()) {
                    MemorySegment.copy(s.frame(), 0, buf, ValueLayout.JAVA_BYTE, 0, s.frame().length);
                    PacketResult k = kernel.packet(buf, s.frame().length, s.time());
                    PacketResult j = java.packet(buf, s.frame().length, s.time());
                    boolean expected = s.first(probation != 0) && !k.sampled();
                    if (!k.sameAs(j) || k.firstPick() != expected || k.firstPick() && (!k.delivered() || !kernel.lastMarkedFirst())) {
                        diffs.add(s.what() + ": expected first pick " + expected + "; kernel " + k + " marked " + kernel.lastMarkedFirst()
                                + "; java " + j);
                    }
                    if (k.firstPick()) {
                        picked++;
                        if (s.what().startsWith("SYN-ACK") || s.what().startsWith("RST")) {
                            answersPicked++;
                        }
                    }
                }
                assertThat(diffs).as("packets picked otherwise than as the first of their direction, or unlike the twin").isEmpty();
                assertThat(answersPicked).as("SYN-ACKs and RSTs answering SYNs, picked").isEqualTo(40);
                assertThat(kernel.deliverCounters()).as("sample/deliver counters").isEqualTo(java.deliverCounters());
                assertThat(kernel.deliverCounters()[XskCounter.FIRST_PICKED.ordinal()]).isEqualTo(picked);
                assertThat(DataPlaneParityTest.Pair.table(kernel)).as("flow table").isEqualTo(DataPlaneParityTest.Pair.table(java));
                for (FlowCounter c : FlowCounter.values()) {
                    assertThat(kernel.flows().counter(c)).as("flow counter %s", c).isEqualTo(java.flows().counter(c));
                }
                if (model && probation == 0) { // the answers (and what follows them) came on the cached path: the class was cached at the SYN
                    assertThat(kernel.flows().counter(FlowCounter.CACHED)).as("packets on the cached path").isGreaterThanOrEqualTo(20 * 5);
                }
                if (model) {
                    assertThat(kernel.modelStats()).usingRecursiveComparison().isEqualTo(java.modelStats());
                }
                return null;
            }
        });
    }
}
