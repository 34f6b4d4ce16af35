package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Java firewall's table of fixed-width long keys against a HashMap of the same keys, and, bounded, against a LinkedHashMap in access order. */
class FixedKeyTableTest {
    @Test
    void holdsWhatAHashMapHoldsThroughGrowth() {
        SplittableRandom rnd = new SplittableRandom(11);
        FixedKeyTable t = new FixedKeyTable(6, 3, 4);
        Map<List<Long>, long[]> reference = new HashMap<>();
        long[] key = new long[6];
        for (int i = 0; i < 20_000; i++) {
            // keys that differ in one word only, any word: a table comparing fewer words would merge them
            for (int w = 0; w < 6; w++) {
                key[w] = w == i % 6 ? rnd.nextInt(4000) : 7;
            }
            List<Long> boxed = boxed(key);
            long[] before = t.get(key);
            assertThat(before).as("key %s", boxed).isSameAs(reference.get(boxed));
            long[] v = t.put(key);
            if (before == null) {
                assertThat(v).as("a new key's value").containsOnly(0L);
                v[0] = i;
                v[2] = -i;
                reference.put(boxed, v);
            } else {
                assertThat(v).isSameAs(before);
            }
        }
        assertThat(t.size()).isEqualTo(reference.size());
        for (var e : reference.entrySet()) {
            long[] k = e.getKey().stream().mapToLong(Long::longValue).toArray();
            assertThat(t.get(k)).as("key %s, its array kept through growth", e.getKey()).isSameAs(e.getValue());
        }
        Map<List<Long>, long[]> listed = new HashMap<>();
        t.forEach((k, v) -> listed.put(boxed(k), v));
        assertThat(listed).isEqualTo(reference);
        assertThat(t.get(new long[] {7, 7, 7, 7, 7, 4001})).isNull();
    }

    @Test
    void clearEmptiesAndZeroes() {
        FixedKeyTable t = new FixedKeyTable(2, 1, 16);
        long[] k = {0, 0}; // an all-zero key is a key like any other
        t.put(k)[0] = 5;
        t.put(new long[] {1, 2})[0] = 6;
        assertThat(t.get(k)).containsExactly(5);
        t.clear();
        assertThat(t.isEmpty()).isTrue();
        assertThat(t.get(k)).isNull();
        assertThat(t.put(new long[] {1, 2})).containsExactly(0);
    }

    /**
     * At its capacity the table evicts the least recently used key, as a LinkedHashMap in access
     * order that drops its eldest entry does: over seeded random puts, gets and removes of keys from
     * a range a few times the capacity, every look-up finds what the model holds (the same array,
     * its value intact through evictions, backward shifts and growth), and the use order, oldest
     * first, is the model's.
     */
    @Test
    void atCapacityEvictsTheLeastRecentlyUsedLikeAnAccessOrderedLinkedHashMap() {
        for (int capacity : new int[] {1, 2, 7, 64, 1000}) {
            for (int seed = 1; seed <= 4; seed++) {
                SplittableRandom rnd = new SplittableRandom(seed * 31L + capacity);
                FixedKeyTable t = new FixedKeyTable(3, 2, 4, capacity); // starts small: grows to its capacity meanwhile
                LinkedHashMap<List<Long>, long[]> model = new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<List<Long>, long[]> eldest) {
                        return size() > capacity;
                    }
                };
                int range = capacity * 3 + 2;
                long[] key = new long[3];
                long evicted = 0;
                for (int i = 0; i < 40_000; i++) {
                    int k = rnd.nextInt(range);
                    key[0] = k % 5; // keys differing in one word share the others
                    key[1] = k;
                    key[2] = -k;
                    List<Long> boxed = boxed(key);
                    int op = rnd.nextInt(10);
                    if (op < 5) { // put
                        boolean had = model.containsKey(boxed);
                        long[] v = t.put(key);
                        if (had) {
                            assertThat(v).as("op %d: key %s kept", i, boxed).isSameAs(model.get(boxed)); // get: touches the model too
                        } else {
                            assertThat(v).as("op %d: a new key's value", i).containsOnly(0L);
                            v[0] = k;
                            v[1] = i;
                            if (model.size() == capacity) {
                                evicted++;
                            }
                            model.put(boxed, v);
                        }
                    } else if (op < 8) { // get
                        long[] v = t.get(key);
                        long[] m = model.get(boxed);
                        assertThat(v).as("op %d: get %s", i, boxed).isSameAs(m);
                        if (v != null) {
                            assertThat(v[0]).as("its value").isEqualTo(k);
                        }
                    } else { // remove
                        assertThat(t.remove(key)).as("op %d: remove %s", i, boxed).isEqualTo(model.remove(boxed) != null);
                    }
                    assertThat(t.size()).as("op %d: size", i).isEqualTo(model.size()).isLessThanOrEqualTo(capacity);
                    if (i % 997 == 0 || capacity <= 7) {
                        List<List<Long>> order = new ArrayList<>();
                        t.forEach((kk, v) -> order.add(boxed(kk)));
                        assertThat(order).as("op %d: the use order, oldest first (capacity %d)", i, capacity)
                                .containsExactlyElementsOf(model.keySet());
                    }
                }
                assertThat(t.evictions()).as("capacity %d: evictions", capacity).isEqualTo(evicted).isGreaterThan(0);
                assertThat(t.slots()).as("memory bounded by the capacity").isLessThanOrEqualTo(Math.max(32, 4 * capacity));
                for (var e : model.entrySet()) {
                    long[] k = e.getKey().stream().mapToLong(Long::longValue).toArray();
                    assertThat(t.get(k)).isSameAs(e.getValue());
                }
            }
        }
    }

    private static List<Long> boxed(long[] k) {
        List<Long> out = new ArrayList<>();
        for (long w : k) {
            out.add(w);
        }
        return out;
    }
}
