package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The hand-written primitive tables against java.util's, on the same random operations (0 and negatives included). */
class PrimitiveTablesTest {

    @Test
    void longHashSetAgreesWithHashSet() {
        Random rnd = new Random(11);
        LongHashSet set = new LongHashSet(4);
        Set<Long> ref = new HashSet<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 50_000; i++) {
                long v = rnd.nextInt(5) == 0 ? rnd.nextLong() : rnd.nextInt(20_000) - 10_000;
                assertThat(set.add(v)).isEqualTo(ref.add(v));
                long probe = rnd.nextInt(20_000) - 10_000;
                assertThat(set.contains(probe)).isEqualTo(ref.contains(probe));
            }
            assertThat(set.size()).isEqualTo(ref.size());
            set.clear();
            ref.clear();
            assertThat(set.contains(0)).isFalse();
            assertThat(set.size()).isZero();
        }
    }

    @Test
    void longObjectMapAgreesWithHashMap() {
        Random rnd = new Random(12);
        LongObjectMap<String> map = new LongObjectMap<>(2);
        Map<Long, String> ref = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            long k = rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(30_000) - 15_000;
            if (map.get(k) == null) {
                String v = "v" + k;
                map.putNew(k, v);
                assertThat(ref.put(k, v)).isNull();
            } else {
                assertThat(map.get(k)).isEqualTo(ref.get(k));
            }
        }
        assertThat(map.size()).isEqualTo(ref.size());
        Set<String> seen = new HashSet<>();
        map.forEach(seen::add);
        assertThat(seen).isEqualTo(new HashSet<>(ref.values()));
        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(0)).isNull();
    }

    /** Removal shifts later entries of a probe run back; random puts, removes and removeIf against HashMap. */
    @Test
    void longObjectMapRemovesAsHashMapDoes() {
        Random rnd = new Random(13);
        LongObjectMap<String> map = new LongObjectMap<>(2);
        Map<Long, String> ref = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            long k = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(4_000) - 2_000;
            if (rnd.nextBoolean()) {
                assertThat(map.remove(k)).isEqualTo(ref.remove(k));
            } else if (map.get(k) == null) {
                map.putNew(k, "v" + k);
                ref.put(k, "v" + k);
            }
            if (i % 50_000 == 0) {
                int mod = 3 + rnd.nextInt(5);
                int removed = map.removeIf(v -> v.hashCode() % mod == 0);
                int before = ref.size();
                ref.values().removeIf(v -> v.hashCode() % mod == 0);
                assertThat(removed).isEqualTo(before - ref.size());
            }
            long probe = rnd.nextInt(4_000) - 2_000;
            assertThat(map.get(probe)).isEqualTo(ref.get(probe));
        }
        assertThat(map.size()).isEqualTo(ref.size());
        for (Map.Entry<Long, String> e : ref.entrySet()) {
            assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
        }
    }

    @Test
    void aCappedLongHashSetKeepsNoMoreAndCountsTheRest() {
        LongHashSet set = new LongHashSet(16, 1000);
        for (long v = 0; v < 5000; v++) {
            assertThat(set.add(v)).isEqualTo(v < 1000);
        }
        assertThat(set.size()).isEqualTo(1000);
        assertThat(set.refused()).isEqualTo(4000);
        assertThat(set.contains(999)).isTrue();
        assertThat(set.contains(1000)).isFalse();
        set.clear();
        assertThat(set.add(4000)).isTrue();
    }

    @Test
    void heavyHittersKeepTheHeavyKeysWithinTheirError() {
        heavyHitters(new Random(13), false);
    }

    /** Sampled packets count as many as each stands for: the same bounds hold with weights. */
    @Test
    void weightedHeavyHittersKeepTheHeavyKeysWithinTheirError() {
        heavyHitters(new Random(14), true);
    }

    private static void heavyHitters(Random rnd, boolean weighted) {
        int slots = 8;
        HeavyHitters table = new HeavyHitters(slots, 2);
        Map<Long, Long> truth = new HashMap<>();
        long total = 0;
        for (int i = 0; i < 20_000; i++) {
            // three heavy keys (about 20%, 15%, 12%) among many light ones, 0 and negatives included
            int r = rnd.nextInt(100);
            long key = r < 20 ? -7 : r < 35 ? 0 : r < 47 ? 1L << 40 : rnd.nextInt(5_000) + 100;
            long w = weighted ? 1 + rnd.nextInt(100) : 1;
            if (weighted) {
                table.add(key >>> 32, key, w);
            } else {
                table.add(key >>> 32, key);
            }
            truth.merge(key, w, Long::sum);
            total += w;
        }
        table.addExtra(-7L >>> 32, -7L, 1);
        table.addExtra(12_345, 678, 1); // not in the table: nothing counted
        table.addExtra(1, 0, 0, 5); // the second counter, apart from the first
        long counted = 0;
        for (int i = 0; i < table.size(); i++) {
            long key = table.lo(i);
            long real = truth.getOrDefault(key, 0L);
            assertThat(table.sure(i)).isLessThanOrEqualTo(real);
            assertThat(table.count(i)).isGreaterThanOrEqualTo(real);
            assertThat(table.extra(i)).isEqualTo(key == -7 ? 1 : 0);
            assertThat(table.extra(1, i)).isEqualTo(key == 0 ? 5 : 0);
            counted += table.count(i);
        }
        assertThat(counted).as("Space-Saving keeps the total").isEqualTo(total);
        long all = total;
        Set<Long> kept = new HashSet<>();
        table.byCount(i -> true).forEach(i -> kept.add(table.lo(i)));
        truth.forEach((key, n) -> {
            if (n * slots > all) {
                assertThat(kept).as("a key with more than 1/slots of the counts").contains(key);
            }
        });
        var order = table.byCount(i -> table.sure(i) > 0);
        for (int i = 1; i < order.size(); i++) {
            assertThat(table.count(order.get(i))).isLessThanOrEqualTo(table.count(order.get(i - 1)));
        }
        assertThat(table.address(order.getFirst())).isEqualTo(Addresses.text(table.hi(order.getFirst()), table.lo(order.getFirst())));
    }

    /**
     * The IPv6 keys carry a secret of the process: the address an attacker computes, from the
     * public mix alone, to take another host's key (mix is invertible) has a key of its own.
     */
    @Test
    void anIpv6KeyCannotBeForgedFromOutside() {
        long bHi = 0x2001_0db8_0001_0000L;
        long bLo = 0x53;
        long aHi = 0x2001_0db8_badd_0000L; // the attacker's own /64
        long inner = bHi * 0x9E37_79B9_7F4A_7C15L ^ Addresses.mix(bLo);
        long target = Addresses.mix(inner); // the key without a secret
        long aLo = unmix(inner ^ aHi * 0x9E37_79B9_7F4A_7C15L);
        assertThat(Addresses.mix(aHi * 0x9E37_79B9_7F4A_7C15L ^ Addresses.mix(aLo))).as("the forgery works on the plain mix")
                .isEqualTo(target);
        assertThat(Addresses.key(aHi, aLo)).as("not on the keys").isNotEqualTo(Addresses.key(bHi, bLo));
    }

    private static long unmix(long z) {
        z = unshift(z, 31);
        z *= inverse(0x94d0_49bb_1331_11ebL);
        z = unshift(z, 27);
        z *= inverse(0xbf58_476d_1ce4_e5b9L);
        return unshift(z, 30);
    }

    private static long unshift(long z, int s) {
        long r = z;
        for (int i = 0; i < 64 / s + 1; i++) {
            r = z ^ (r >>> s);
        }
        return r;
    }

    private static long inverse(long odd) {
        return new java.math.BigInteger(Long.toUnsignedString(odd)).modInverse(java.math.BigInteger.ONE.shiftLeft(64)).longValue();
    }

    @Test
    void addressKeysAndText() {
        long v4 = Addresses.V4_MAPPED | 0xC0A8_0101L;
        assertThat(Addresses.isV4(0, v4)).isTrue();
        assertThat(Addresses.key(0, v4)).isEqualTo(0xC0A8_0101L);
        assertThat(Addresses.text(0, v4)).isEqualTo("192.168.1.1");
        long hi = 0x2001_0db8_0000_0000L;
        long lo = 1;
        assertThat(Addresses.isV4(hi, lo)).isFalse();
        assertThat(Addresses.key(hi, lo)).isNegative().isNotEqualTo(Addresses.key(hi, 2));
        assertThat(Addresses.text(hi, lo)).isEqualTo("2001:db8::1");
        assertThat(Addresses.text(0, 0)).isEqualTo("::");
        assertThat(Addresses.text(0, 1)).isEqualTo("::1");
        assertThat(Addresses.text(0x2001_0db8_0000_0001L, 0x0000_0000_0001_0000L)).as("the longer zero run").isEqualTo("2001:db8:0:1::1:0");
        assertThat(Addresses.text(0x2001_0db8_0000_0001L, 0x0001_0001_0001_0001L)).as("one zero group stays").isEqualTo("2001:db8:0:1:1:1:1:1");
        assertThat(Addresses.text(0x2001_0000_0000_0001L, 0x0000_0000_0001_0001L)).as("the first of equal runs")
                .isEqualTo("2001::1:0:0:1:1");
        assertThat(Addresses.text(0xfe80_0000_0000_0000L, 0)).isEqualTo("fe80::");
    }

    /**
     * Keys chosen to share one slot under the plain hash (what one who reads the source can compute)
     * are spread over a set's table, whose slots are salted at random (since 2026-12-06; before, they
     * all landed on one run of slots and every look-up walked it).
     */
    @Test
    void longHashSetSpreadsKeysCraftedToCollideUnderThePlainHash() {
        LongHashSet set = new LongHashSet(16_384);
        assertThat(distinctHomeSlots(set.capacity(), set::homeSlot)).as("distinct slots of 200 keys that share one under the plain hash").isGreaterThan(150);
    }

    /** As {@link #longHashSetSpreadsKeysCraftedToCollideUnderThePlainHash}, for the detectors' per-subject maps (salted since 2026-12-06). */
    @Test
    void longObjectMapSpreadsKeysCraftedToCollideUnderThePlainHash() {
        LongObjectMap<String> map = new LongObjectMap<>(16_384);
        assertThat(distinctHomeSlots(map.capacity(), map::homeSlot)).as("distinct slots of 200 keys that share one under the plain hash").isGreaterThan(150);
        LongObjectMap<String> plain = new LongObjectMap<>(16_384, 0);
        assertThat(distinctHomeSlots(plain.capacity(), plain::homeSlot)).as("the plain hash: one slot").isEqualTo(1);
    }

    /** Keys that share one slot (the plain hash, salt 0): one long probe run, put, removed and removed by removeIf as HashMap does. */
    @Test
    void longObjectMapKeepsItsEntriesInOneLongProbeRun() {
        LongObjectMap<String> map = new LongObjectMap<>(1024, 0);
        int mask = map.capacity() - 1;
        Map<Long, String> ref = new HashMap<>();
        Random rnd = new Random(14);
        for (long k = 1; ref.size() < 400; k++) {
            if ((Addresses.mix(k) & mask) == 0) {
                map.putNew(k, "v" + k);
                ref.put(k, "v" + k);
            }
        }
        for (Long k : List.copyOf(ref.keySet())) {
            if (rnd.nextInt(3) == 0) {
                assertThat(map.remove(k)).isEqualTo(ref.remove(k));
            }
        }
        int before = ref.size();
        ref.values().removeIf(v -> v.hashCode() % 5 == 0);
        assertThat(map.removeIf(v -> v.hashCode() % 5 == 0)).isEqualTo(before - ref.size());
        assertThat(map.size()).isEqualTo(ref.size());
        for (long k = 1; k < 2_000_000; k++) {
            if ((Addresses.mix(k) & mask) == 0) {
                assertThat(map.get(k)).isEqualTo(ref.get(k));
            }
        }
    }

    /**
     * Iteration follows the operations, never the salt (since 2026-12-06): two maps salted differently
     * given the same puts, removes, removeIf and clock-hand samples list the same values in the same
     * order and pick the same weakest keys; with nothing removed, the order of the puts.
     */
    @Test
    void longObjectMapIteratesInTheOrderOfItsOperationsWhateverItsSalt() {
        LongObjectMap<Long> a = new LongObjectMap<>(2, 0x1234_5678_9abc_def0L);
        LongObjectMap<Long> b = new LongObjectMap<>(2, -0x0fed_cba9_8765_4321L);
        List<Long> puts = new java.util.ArrayList<>();
        for (long k = 0; k < 3_000; k++) {
            long key = k * 7_919 - 1_000;
            a.putNew(key, key);
            b.putNew(key, key);
            puts.add(key);
        }
        assertThat(values(a)).as("with nothing removed, the order of the puts").isEqualTo(puts);
        a.removeIf(v -> v % 3 == 0);
        b.removeIf(v -> v % 3 == 0);
        assertThat(values(a)).as("removeIf keeps the order of the rest").isEqualTo(puts.stream().filter(v -> v % 3 != 0).toList());
        Random rnd = new Random(15);
        for (int i = 0; i < 100_000; i++) {
            long key = rnd.nextInt(20_000) * 7_919L - 1_000;
            switch (rnd.nextInt(4)) {
                case 0 -> assertThat(a.remove(key)).isEqualTo(b.remove(key));
                case 1 -> assertThat(a.weakestOfSample(v -> v & 0xff, 8)).isEqualTo(b.weakestOfSample(v -> v & 0xff, 8));
                default -> {
                    if (a.get(key) == null) {
                        a.putNew(key, key);
                        b.putNew(key, key);
                    }
                }
            }
            if (i % 20_000 == 0) {
                long m = i % 7;
                assertThat(a.removeIf(v -> (v & 7) == m)).isEqualTo(b.removeIf(v -> (v & 7) == m));
            }
        }
        assertThat(values(a)).isEqualTo(values(b));
        a.clear();
        b.clear();
        for (long k = 0; k < 100; k++) {
            a.putNew(k, k);
            b.putNew(k, k);
        }
        assertThat(values(a)).isEqualTo(values(b));
    }

    private static List<Long> values(LongObjectMap<Long> map) {
        List<Long> out = new java.util.ArrayList<>();
        map.forEach(out::add);
        return out;
    }

    /**
     * Keys crafted to share all four counters of one key under the fixed salt a sketch had before
     * 2026-12-06: with the salt drawn per sketch, hardly any of them does (so a newcomer's estimate
     * cannot be raised by keys chosen to land on a tracked subject's counters).
     */
    @Test
    void frequencySketchSpreadsKeysCraftedToShareCountersUnderTheOldFixedSalt() {
        long oldSalt = 0x5bd1_e995_9e37_79b9L;
        FrequencySketch old = new FrequencySketch(16, oldSalt);
        FrequencySketch sketch = new FrequencySketch(16);
        long victim = 42;
        int shared = 0;
        int crafted = 0;
        for (long k = 43; crafted < 50; k++) {
            if (sharesAllCounters(old, k, victim)) {
                crafted++;
                if (sharesAllCounters(sketch, k, victim)) {
                    shared++;
                }
            }
        }
        assertThat(shared).as("of 50 keys sharing all counters of key 42 under the old salt").isLessThanOrEqualTo(2);
        // and the crafted keys do what they were made for under the old salt: 50 of them make the victim's estimate 51
        for (long k = 43, n = 0; n < 50; k++) {
            if (sharesAllCounters(old, k, victim)) {
                old.add(k);
                n++;
            }
        }
        assertThat(old.add(victim)).isEqualTo(51);
    }

    private static boolean sharesAllCounters(FrequencySketch sketch, long a, long b) {
        for (int r = 0; r < FrequencySketch.ROWS; r++) {
            if (sketch.counterOf(a, r) != sketch.counterOf(b, r)) {
                return false;
            }
        }
        return true;
    }

    /** The home slots of 200 keys that all fall on slot 0 of a table of {@code capacity} under the plain hash. */
    private static int distinctHomeSlots(int capacity, java.util.function.LongToIntFunction homeSlot) {
        int mask = capacity - 1;
        Set<Integer> slots = new HashSet<>();
        int crafted = 0;
        for (long k = 1; crafted < 200; k++) {
            if ((Addresses.mix(k) & mask) == 0) {
                crafted++;
                slots.add(homeSlot.applyAsInt(k));
            }
        }
        return slots.size();
    }
}
