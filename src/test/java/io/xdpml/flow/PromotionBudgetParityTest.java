package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.SynRepeatAdmissionParityTest.Sent;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The promotion budget (since 2026-12-06; flow_stage.h {@code xdpml_promotion_allowed},
 * {@link FlowTable}'s twin): a flood sending each spoofed key's UDP datagram, ACK or ICMP echo twice
 * promotes at most what the budget gives, and over it a second packet parks in its first's place
 * (counted deferred). The same packets, with the test clock, go through the kernel's flow stage
 * (BPF_PROG_TEST_RUN) and the Java twin: tables and counters identical, the budget's refill in time
 * included. Below the budget nothing changes: the benign traffic alone gives, kernel and Java, the
 * table it gives without a budget.
 */
class PromotionBudgetParityTest {
    static final long US = 1_000L;
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    /** 1,000 promotions a second (one a ms), 20 at once. */
    static final PromotionBudget BUDGET = new PromotionBudget(1_000, 20);
    static final int FLOOD_KEYS = 3_000;

    static byte[] spoofed(int i) {
        byte[] src = {100, (byte) (64 + (i >>> 16 & 63)), (byte) (i >>> 8), (byte) i};
        FrameBuilder b = new FrameBuilder().ethernet().ipv4(src, new byte[] {10, 77, 0, 2}, 0, 64);
        return switch (i % 3) {
            case 0 -> b.udp(1024 + i % 60000, 53).payload(30).build();
            case 1 -> b.tcp(1024 + i % 60000, 443, 0x10, 7 * i, 13 * i).build();
            default -> b.icmpEcho(i, 1).payload(56).build();
        };
    }

    static byte[] udp(int flow, int payload) {
        return new FrameBuilder().ethernet().ipv4("10.1." + flow / 250 + "." + (1 + flow % 250), "10.77.0.2").udp(30000 + flow, 5353)
                .payload(payload).build();
    }

    /** Benign flows well below the budget: 15 UDP flows of 3 packets, one flow starting every 5 ms. */
    static List<Sent> benign(long start) {
        List<Sent> out = new ArrayList<>();
        long t = start;
        for (int f = 0; f < 15; f++) {
            t += 5 * MS;
            for (int p = 0; p < 3; p++) {
                out.add(new Sent(udp(f, 20 + p), t + p * 100 * US));
            }
        }
        return out;
    }

    /**
     * The benign flows, then the flood (each key's packet twice, 1 us apart: 6 ms, so the bucket's 20
     * and about 6 refilled are taken), a benign flow of 6 packets in the middle of it, a pause of
     * 100 ms (the bucket fills again, to its depth only), then 30 benign flows of 3 packets 1 us
     * apart (20 promoted at once, the others parked again and promoted as the bucket refills, or not).
     */
    static List<Sent> flooded() {
        List<Sent> out = new ArrayList<>(benign(S));
        long t = 2 * S;
        for (int i = 0; i < FLOOD_KEYS; i++) {
            byte[] f = spoofed(i);
            out.add(new Sent(f, t += US));
            out.add(new Sent(f, t += US));
            if (i == FLOOD_KEYS / 2) {
                for (int p = 0; p < 6; p++) {
                    out.add(new Sent(udp(100, 10 + p), t += US));
                }
            }
        }
        t += 100 * MS;
        for (int p = 0; p < 3; p++) {
            for (int f = 200; f < 230; f++) {
                out.add(new Sent(udp(f, 30 + p), t += 50 * US));
            }
        }
        return out;
    }

    record Result(Map<String, byte[]> table, long[] counters) {}

    static Result[] run(FlowConfig config, List<Sent> traffic) throws Exception {
        try (FlowEngine k = new KernelFlowEngine(config, (t, r, key, s) -> {});
             FlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), (t, r, key, s) -> {})) {
            for (Sent s : traffic) {
                for (FlowEngine e : List.of(k, j)) {
                    e.packet(MemorySegment.ofArray(s.frame()), s.frame().length, s.time());
                }
            }
            Result[] out = new Result[2];
            int n = 0;
            for (FlowEngine e : List.of(k, j)) {
                long[] c = new long[FlowCounter.SLOTS];
                for (FlowCounter fc : FlowCounter.values()) {
                    c[fc.id()] = e.counter(fc);
                }
                out[n++] = new Result(FlowParityTest.table(e), c);
            }
            return out;
        }
    }

    static FlowConfig config() {
        return new FlowConfig(1 << 16, 120 * S, 4789).withProbation(1 << 16).withHashSeed(0x5be0cd19137e2179L);
    }

    @Test
    void aFloodOfSpoofedKeysSentTwiceIsPromotedWithinTheBudgetInTheKernelAndInJava() throws Exception {
        TestData.assumeBpf();
        Result[] r = run(config().withPromotionBudget(BUDGET), flooded());
        Result kernel = r[0];
        Result java = r[1];
        assertThat(kernel.table()).as("kernel and Java flow tables").containsExactlyInAnyOrderEntriesOf(java.table());
        for (FlowCounter c : FlowCounter.values()) {
            assertThat(kernel.counters()[c.id()]).as("counter %s, kernel and Java", c).isEqualTo(java.counters()[c.id()]);
        }
        long promoted = kernel.counters()[FlowCounter.PROMOTED.id()];
        long deferred = kernel.counters()[FlowCounter.DEFERRED.id()];
        System.out.printf("promotion budget %s: promoted %d, deferred %d, parked %d, table %d%n", BUDGET, promoted, deferred,
                kernel.counters()[FlowCounter.PARKED.id()], kernel.table().size());
        // the benign flows before the flood took 15 and left the bucket full again (one flow every 5 ms);
        // the flood and the flows after it get the depth twice (before the flood, after the pause) and
        // one a ms of the flood's 6 ms and the last flows' 4.5 ms
        assertThat(promoted).as("flows promoted").isBetween(15L + 2 * 20, 15L + 2 * 20 + 6 + 5 + 2);
        assertThat(deferred).as("second packets over the budget, parked again").isGreaterThan(FLOOD_KEYS - 30L);
        // what a benign flow loses while the flood holds the budget: the flow of 6 packets amid it
        // (10.1.0.101) found no token and is not in the table; of the 30 flows after the pause, the
        // bucket's 20 entered at their second packet, a few more at their third
        assertThat(kernel.table().keySet()).as("the benign flow amid the flood").noneMatch(k -> k.contains("ffff0a010065"));
        long late = kernel.table().keySet().stream().filter(k -> k.startsWith("00000000000000000000ffff0a0100")
                && Integer.parseInt(k.substring(30, 32), 16) > 200).count();
        assertThat(late).as("flows after the pause admitted").isBetween(20L, 25L);
        // parked: every packet that is not tracked; the packets add up
        long tracked = kernel.counters()[FlowCounter.PACKETS.id()];
        assertThat(tracked + kernel.counters()[FlowCounter.PARKED.id()]).as("packets seen").isEqualTo(flooded().size());
    }

    @Test
    void belowTheBudgetTheTablesAreThoseWithoutABudget() throws Exception {
        TestData.assumeBpf();
        List<Sent> traffic = benign(S);
        Result[] with = run(config().withPromotionBudget(BUDGET), traffic);
        Result[] without = run(config(), traffic);
        for (int e = 0; e < 2; e++) {
            assertThat(with[e].table()).as("engine %d: the table with the budget, without it", e).containsExactlyInAnyOrderEntriesOf(without[e].table());
            assertThat(with[e].counters()).as("engine %d: the counters with the budget, without it", e).isEqualTo(without[e].counters());
        }
        assertThat(with[0].table()).containsExactlyInAnyOrderEntriesOf(with[1].table());
        assertThat(with[0].counters()[FlowCounter.PROMOTED.id()]).isEqualTo(15);
        assertThat(with[0].counters()[FlowCounter.DEFERRED.id()]).isZero();
    }
}
