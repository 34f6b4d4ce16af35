package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Java firewall's table of fixed-width long keys against a HashMap of the same keys. */
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

    private static List<Long> boxed(long[] k) {
        List<Long> out = new ArrayList<>();
        for (long w : k) {
            out.add(w);
        }
        return out;
    }
}
