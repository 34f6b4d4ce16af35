package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Idle timeout, a clock that jumps, and a kernel table that fills up (LRU eviction). */
class FlowBehaviourTest {
    static final long S = 1_000_000_000L;

    static byte[] udp(int sport, int dport, int payload) {
        return new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(sport, dport).payload(payload).build();
    }

    static byte[] udpBack(int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4("198.51.100.2", "198.51.100.1").udp(dport, sport).payload(4).build();
    }

    static void send(FlowEngine e, byte[] f, long t) {
        e.packet(MemorySegment.ofArray(f), f.length, t);
    }

    /** The only flow's state. */
    static MemorySegment only(FlowEngine e) {
        MemorySegment[] found = new MemorySegment[1];
        int[] n = {0};
        e.forEachFlow((k, v) -> {
            n[0]++;
            found[0] = MemorySegment.ofArray(v.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE));
        });
        assertThat(n[0]).isEqualTo(1);
        return found[0];
    }

    @Test
    void idleFlowRestartsAndClockJumpsAreSurvivedInJava() {
        checkIdleAndClockJumps(new JavaFlowEngine(new FlowConfig(1024, S, 4789), 3520));
    }

    @Test
    void idleFlowRestartsAndClockJumpsAreSurvivedInTheKernel() {
        TestData.assumeBpf();
        checkIdleAndClockJumps(new KernelFlowEngine(new FlowConfig(1024, S, 4789)));
    }

    private void checkIdleAndClockJumps(FlowEngine e) {
        try (e) {
            send(e, udp(1000, 53, 10), 10 * S);
            send(e, udpBack(1000, 53), 10 * S + S / 2); // reply after 0.5 s
            send(e, udp(1000, 53, 10), 13 * S); // 2.5 s idle > 1 s: a new flow
            assertThat(e.counter(FlowCounter.IDLE_RESTART)).isEqualTo(1);
            MemorySegment f = only(e);
            assertThat(FlowLayout.u64(f, FlowLayout.FIRST_NS)).isEqualTo(13 * S);
            assertThat(FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS)).isEqualTo(1);
            assertThat(FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS)).isZero();

            send(e, udpBack(1000, 53), 5 * S); // the clock jumps back 8 s
            send(e, udp(1000, 53, 10), 13 * S + 100_000); // and forward again
            f = only(e);
            assertThat(e.counter(FlowCounter.IDLE_RESTART)).isEqualTo(1); // going back is not idleness
            assertThat(FlowLayout.u64(f, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS)).isEqualTo(1);
            assertThat(FlowLayout.u32(f, FlowLayout.IAT_MIN_US)).isZero(); // backwards interval counts as 0
            // last seen stays at 13 s: the next interval is 100 us, not 8 s
            assertThat(FlowLayout.u32(f, FlowLayout.IAT_MAX_US)).isEqualTo(100);
            assertThat(FlowLayout.u64(f, FlowLayout.LAST_NS)).isEqualTo(13 * S + 100_000);
            assertThat(e.counter(FlowCounter.PACKETS)).isEqualTo(5);
        }
    }

    @Test
    void aFullKernelTableEvictsAndKeepsWorking() {
        TestData.assumeBpf();
        int capacity = 1024;
        int flows = 20_000;
        Map<String, byte[]> reference = new HashMap<>();
        try (KernelFlowEngine k = new KernelFlowEngine(new FlowConfig(capacity, 120 * S, 4789));
             JavaFlowEngine j = new JavaFlowEngine(new FlowConfig(capacity, 120 * S, 4789), TestRun.maxTestRunFrame())) {
            for (int i = 0; i < flows; i++) {
                byte[] f = udp(1024 + i % 60000, 7 + i / 60000, i % 100);
                send(k, f, S + i * 1000L);
                send(j, f, S + i * 1000L);
            }
            assertThat(k.counter(FlowCounter.NEW)).isEqualTo(flows);
            assertThat(k.counter(FlowCounter.INSERT_FAILED)).isZero();
            j.forEachFlow((key, v) -> reference.put(HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE)),
                    v.toArray(ValueLayout.JAVA_BYTE)));
            int[] kept = {0};
            int[] same = {0};
            k.forEachFlow((key, v) -> {
                kept[0]++;
                byte[] expected = reference.get(HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE)));
                if (java.util.Arrays.equals(expected, v.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE))) {
                    same[0]++;
                }
            });
            assertThat(kept[0]).as("flows the LRU kept").isPositive().isLessThanOrEqualTo(capacity);
            assertThat(k.evictions()).as("evictions counted").isEqualTo(flows - kept[0]);
            assertThat(j.evictions()).isZero();
            assertThat(same[0]).as("every kept flow is intact").isEqualTo(kept[0]);
            // the newest flow survived eviction and still updates
            byte[] newest = udp(1024 + (flows - 1) % 60000, 7 + (flows - 1) / 60000, 1);
            send(k, newest, 2 * S);
            assertThat(k.counter(FlowCounter.NEW)).as("the newest flow was still there").isEqualTo(flows);
        }
    }
}
