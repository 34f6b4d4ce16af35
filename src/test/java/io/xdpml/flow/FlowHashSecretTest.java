package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The flow hash is keyed by a secret seed (review of 2026-12-06): whoever knows a flow but not the
 * seed finds no key taking its probation slot. A key found offline to collide with a known NTP-like
 * flow under one seed keeps that flow out of the table under that seed (one spoofed packet before
 * each of its packets: kernel and twin alike, so they hash alike), and does nothing under another
 * seed. The key the review found against the hash without a seed (198.18.78.55:1024, after 20,024
 * tries) does nothing under either.
 */
class FlowHashSecretTest {
    static final long S = 1_000_000_000L;
    static final long MS = 1_000_000L;
    static final int SLOTS = 16384;
    static final long SEED_KNOWN = 0x1234_5678_9abc_def0L;
    static final long SEED_OTHER = 0x0fed_cba9_8765_4321L;

    static long v4(int a, int b, int c, int d) {
        return 0x0000_ffff_0000_0000L | ((long) a << 24 | b << 16 | c << 8 | d) & 0xffff_ffffL;
    }

    /** The attacker's i-th candidate: 198.18.x.y:1024+ -> 192.0.2.20:123 (the review's search). */
    static void candidate(MemorySegment key, int i) {
        FlowPacket.writeKey(key, 0, v4(198, 18, i >>> 8 & 255, i & 255), 0, v4(192, 0, 2, 20), 1024 + (i >>> 16), 123, 17, 4, 0, 0);
    }

    /** The first candidate sharing the victim's slot under {@code seed}: what an attacker who knew the seed would find. */
    static int colliderFor(long seed) {
        FlowHash h = FlowHash.seeded(seed);
        MemorySegment key = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
        FlowPacket.writeKey(key, 0, v4(192, 0, 2, 10), 0, v4(192, 0, 2, 20), 123, 123, 17, 4, 0, 0);
        int target = h.of(key) & (SLOTS - 1);
        for (int i = 0; i < 1 << 24; i++) {
            candidate(key, i);
            if ((h.of(key) & (SLOTS - 1)) == target) {
                return i;
            }
        }
        throw new AssertionError("no collider");
    }

    /** Victim packets tracked when the attacker sends candidate {@code i} before each of the victim's 200 packets. */
    static long victimTracked(FlowEngine e, int i) {
        byte[] attacker = new FrameBuilder().ethernet().ipv4("198.18." + (i >>> 8 & 255) + "." + (i & 255), "192.0.2.20")
                .udp(1024 + (i >>> 16), 123).payload(48).build();
        byte[] out = new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(123, 123).payload(48).build();
        byte[] back = new FrameBuilder().ethernet().ipv4("192.0.2.20", "192.0.2.10").udp(123, 123).payload(48).build();
        long t = S;
        for (int n = 0; n < 100; n++) { // a request and its answer every 10 s, a spoofed packet before each
            e.packet(MemorySegment.ofArray(attacker), attacker.length, t);
            e.packet(MemorySegment.ofArray(out), out.length, t + MS);
            e.packet(MemorySegment.ofArray(attacker), attacker.length, t + 2 * MS);
            e.packet(MemorySegment.ofArray(back), back.length, t + 3 * MS);
            t += 10 * S;
        }
        long[] tracked = {0};
        e.forEachFlow((k, v) -> {
            if (FlowLayout.u16(k, FlowLayout.KEY_PORT_A) == 123 && FlowLayout.u16(k, FlowLayout.KEY_PORT_B) == 123) {
                tracked[0] = FlowLayout.u64(v, FlowLayout.dirOffset(0) + FlowLayout.D_PACKETS)
                        + FlowLayout.u64(v, FlowLayout.dirOffset(1) + FlowLayout.D_PACKETS);
            }
        });
        return tracked[0];
    }

    @Test
    void aKeyCollidingUnderOneSeedDoesNotUnderAnother() {
        TestData.assumeBpf();
        int collider = colliderFor(SEED_KNOWN);
        int review = (78 << 8) | 55; // 198.18.78.55:1024, the review's collider against the hash without a seed
        for (long seed : new long[] {SEED_KNOWN, SEED_OTHER}) {
            FlowConfig c = new FlowConfig(1 << 16, 120 * S, 4789).withProbation(SLOTS).withHashSeed(seed);
            for (int i : new int[] {collider, review}) {
                long expected = seed == SEED_KNOWN && i == collider ? 0 : 200; // kept out only by the key found for its seed
                try (KernelFlowEngine k = new KernelFlowEngine(c); JavaFlowEngine j = new JavaFlowEngine(c, TestRun.maxTestRunFrame())) {
                    assertThat(victimTracked(k, i)).as("kernel, seed %x, candidate %d", seed, i).isEqualTo(expected);
                    assertThat(victimTracked(j, i)).as("twin, seed %x, candidate %d", seed, i).isEqualTo(expected);
                    assertThat(k.counter(FlowCounter.PARKED)).isEqualTo(j.counter(FlowCounter.PARKED));
                }
            }
        }
    }

    /** The hash spreads a family of keys alike under any seed, and different seeds hash differently. */
    @Test
    void seedsGiveDifferentHashes() {
        MemorySegment key = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
        FlowHash a = FlowHash.seeded(SEED_KNOWN);
        FlowHash b = FlowHash.seeded(SEED_OTHER);
        int same = 0;
        int[] slotsA = new int[256];
        for (int i = 0; i < 1 << 16; i++) {
            candidate(key, i);
            same += (a.of(key) & 255) == (b.of(key) & 255) ? 1 : 0;
            slotsA[a.of(key) & 255]++;
        }
        assertThat(same).as("keys in the same of 256 slots under both seeds (chance: 256)").isBetween(128, 400);
        assertThat(java.util.Arrays.stream(slotsA).min().orElseThrow()).as("the fullest and emptiest of 256 slots (mean 256)").isGreaterThan(180);
        assertThat(java.util.Arrays.stream(slotsA).max().orElseThrow()).isLessThan(340);
    }
}
