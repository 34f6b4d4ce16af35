package io.xdpml.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Passes over hash maps in batches (bpf/test/maps.bpf.c), and lookup-and-delete, on the real kernel. */
class BpfMapWalkTest extends MapsObjectFixture {

    private static void fill(BpfMap m, int from, int to) {
        MemorySegment v = arena.allocate(8);
        for (int i = from; i < to; i++) {
            v.set(JAVA_LONG, 0, i * 1000L);
            m.update(i, v, BpfMap.BPF_ANY);
        }
    }

    private static void clear(BpfMap m) {
        MemorySegment key = arena.allocate(4, 4);
        for (byte[] k : m.keys()) {
            key.copyFrom(MemorySegment.ofArray(k));
            m.delete(key);
        }
    }

    /** Every key once with its value, in batches of 7; a batch of 1 still reads buckets of two or more (the buffers grow). */
    @Test
    void aPassReadsEveryElementOnceWithItsValue() {
        for (String name : List.of("hash", "lru")) {
            BpfMap m = obj.map(name);
            clear(m);
            fill(m, 0, 100);
            for (int batch : new int[] {7, 1}) {
                List<Integer> seen = new ArrayList<>();
                try (BpfMapWalk w = new BpfMapWalk(m, batch)) {
                    for (int n; (n = w.next(Integer.MAX_VALUE)) > 0; ) {
                        for (int i = 0; i < n; i++) {
                            int k = w.key(i).get(JAVA_INT, 0);
                            assertThat(w.value(i).get(JAVA_LONG, 0)).as("%s value of %d", name, k).isEqualTo(k * 1000L);
                            seen.add(k);
                        }
                    }
                    assertThat(w.ended()).isTrue();
                    assertThat(w.next(10)).as("after the end").isZero();
                    w.restart();
                    assertThat(w.next(1)).as("a new pass").isPositive();
                }
                assertThat(seen).as("%s, batch %d", name, batch).hasSize(100).doesNotHaveDuplicates();
            }
        }
    }

    /**
     * What get_next_key cannot do: each element read is deleted and a new one added before the next
     * batch (churn). The pass ends, having seen no key twice and every key that was there all along.
     */
    @Test
    void aPassGoesOnWhileWhatItReadIsDeletedAndNewElementsCome() {
        BpfMap m = obj.map("hash");
        clear(m);
        fill(m, 0, 64);
        Set<Integer> seen = new HashSet<>();
        int read = 0;
        int next = 1000; // the new keys
        MemorySegment v = arena.allocate(8);
        try (BpfMapWalk w = new BpfMapWalk(m, 4)) {
            for (int n; (n = w.next(4)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    int k = w.key(i).get(JAVA_INT, 0);
                    assertThat(seen.add(k)).as("key %d seen once", k).isTrue();
                    assertThat(++read).as("the pass ends").isLessThan(10_000);
                    assertThat(m.delete(k)).isTrue();
                    v.set(JAVA_LONG, 0, next * 1000L);
                    m.update(next++, v, BpfMap.BPF_NOEXIST);
                }
            }
            assertThat(w.ended()).isTrue();
        }
        for (int k = 0; k < 64; k++) {
            assertThat(seen).as("there all along").contains(k);
        }
        clear(m);
    }

    @Test
    void lookupAndDeleteTakesTheElementOutAndInsertPutsItBackOnlyIntoAGap() {
        BpfMap m = obj.map("lru");
        clear(m);
        fill(m, 5, 6);
        MemorySegment key = arena.allocate(4);
        key.set(JAVA_INT, 0, 5);
        MemorySegment v = arena.allocate(8);
        assertThat(m.lookupAndDelete(key, v)).isTrue();
        assertThat(v.get(JAVA_LONG, 0)).isEqualTo(5000L);
        assertThat(m.lookup(key, arena.allocate(8))).as("gone").isFalse();
        assertThat(m.lookupAndDelete(key, v)).as("absent").isFalse();
        assertThat(m.insert(key, v)).as("put back").isTrue();
        assertThat(m.insert(key, v)).as("already there").isFalse();
        assertThat(m.lookupLong(5, arena.allocate(8), 0)).isEqualTo(5000L);
    }
}
