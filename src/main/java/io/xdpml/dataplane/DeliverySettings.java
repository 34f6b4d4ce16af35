package io.xdpml.dataplane;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.util.PacketSampling;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The delivery settings a reload changes (struct xdpml_deliver_config in deliver.h), two slots
 * chosen by the delivery bit of the {@link ConfigWord}.
 *
 * <pre>
 *   0 u32 sample_n   4 u32 flags   8 u64 rate_pps   16 u64 rate_burst   24 u64 first_pps
 *  32 u64 sample_below                                                                     (40 bytes)
 * </pre>
 *
 * flags: {@link #SAMPLE_DROPPED_FLAG}. sample_below: {@link PacketSampling#below} of sample_n, the bound the
 * sample stage compares the scrambled count with ({@link PacketSampling}; since 2026-12-07).
 */
public final class DeliverySettings {
    public static final int SIZE = 40;
    static final int SAMPLE_N = 0;
    static final int FLAGS = 4;
    /** The model's drops are counted and sampled with the rest (mirror delivery only): XDPML_DELIVER_SAMPLE_DROPPED. */
    public static final int SAMPLE_DROPPED_FLAG = 1;
    static final int RATE_PPS = 8;
    static final int RATE_BURST = 16;
    static final int FIRST_PPS = 24;
    static final int SAMPLE_BELOW = 32;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    /**
     * @param sampleN   1-in-N by packet (1: every packet)
     * @param ratePps   packets per second to Java at most, 0: no cap
     * @param rateBurst the cap's bucket depth in packets (0 with a cap: one second's worth)
     * @param sampleDropped the packets the model drops are sampled too (their copy goes to Java,
     *                  they are dropped); the kernel heeds it only when mirroring
     * @param firstPps  flows' first packets per second per CPU copied to Java besides the sample
     *                  (the new-flow pick, deliver.h; mirror delivery only), 0: none
     */
    public record Values(int sampleN, long ratePps, long rateBurst, boolean sampleDropped, long firstPps) {
        /** The largest rate cap and burst: the kernel counts the bucket in ns-tokens, burst * 10^9 in a u64 (deliver.h). */
        public static final long MAX_RATE = 1_000_000_000L;

        public Values {
            if (firstPps < 0) {
                throw new IllegalArgumentException("first packets per second must not be negative");
            }
            if (sampleN < 1) {
                throw new IllegalArgumentException("sampling must be 1-in-N with N >= 1, got " + sampleN);
            }
            if (ratePps < 0 || rateBurst < 0) {
                throw new IllegalArgumentException("rate cap and burst must not be negative");
            }
            if (ratePps > MAX_RATE || rateBurst > MAX_RATE) { // past it burst * 10^9 wraps (and goes negative in the twin's long)
                throw new IllegalArgumentException("rate cap and burst must be at most " + MAX_RATE + " packets");
            }
            if (ratePps > 0 && rateBurst == 0) {
                rateBurst = Math.max(1, ratePps);
            }
        }

        /** {@link PacketSampling#below} of sampleN: the sample stage's bound. */
        public long sampleBelow() {
            return PacketSampling.below(sampleN);
        }

        /** No new-flow pick. */
        public Values(int sampleN, long ratePps, long rateBurst, boolean sampleDropped) {
            this(sampleN, ratePps, rateBurst, sampleDropped, 0);
        }

        /** The model's drops not sampled, no new-flow pick. */
        public Values(int sampleN, long ratePps, long rateBurst) {
            this(sampleN, ratePps, rateBurst, false);
        }
    }

    private final BpfMap map;

    public DeliverySettings(BpfMap map) {
        if (map.valueSize() != SIZE) {
            throw new IllegalStateException("xdpml_deliver_config value is " + map.valueSize() + " bytes, expected " + SIZE);
        }
        this.map = map;
    }

    public static DeliverySettings of(BpfObject loaded) {
        return new DeliverySettings(loaded.map("xdpml_deliver_config"));
    }

    /** The values of slot {@code slot}. */
    public Values read(int slot) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(SIZE, 8);
            map.lookup(slot, v);
            return new Values(Math.max(1, v.get(U32, SAMPLE_N)), v.get(U64, RATE_PPS), v.get(U64, RATE_BURST),
                    (v.get(U32, FLAGS) & SAMPLE_DROPPED_FLAG) != 0, v.get(U64, FIRST_PPS));
        }
    }

    /** Writes {@code v} into the slot the word does not name; returns that slot (flip it in with the word). */
    public int prepare(Values v, ConfigWord word) {
        int slot = word.active(ConfigWord.DELIVER) ^ 1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(SIZE, 8);
            m.set(U32, SAMPLE_N, v.sampleN());
            m.set(U32, FLAGS, v.sampleDropped() ? SAMPLE_DROPPED_FLAG : 0);
            m.set(U64, RATE_PPS, v.ratePps());
            m.set(U64, RATE_BURST, v.rateBurst());
            m.set(U64, FIRST_PPS, v.firstPps());
            m.set(U64, SAMPLE_BELOW, v.sampleBelow());
            map.update(slot, m, BpfMap.BPF_ANY);
        }
        return slot;
    }

    /** Makes {@code v} the settings from the next packet on. */
    public void install(Values v, ConfigWord word) {
        int slot = prepare(v, word);
        word.flip(ConfigWord.DELIVER, slot == 1 ? ConfigWord.DELIVER : 0, false);
    }
}
