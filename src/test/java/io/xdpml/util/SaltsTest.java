package io.xdpml.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SaltsTest {
    private static long[] draws(int n) {
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = Salts.next();
        }
        return d;
    }

    @Test
    void theSameSeedGivesTheSameSaltsInTheSameOrderAndAnotherSeedOthers() {
        long[] a = Salts.seeded(7, () -> draws(8));
        long[] b = Salts.seeded(7, () -> draws(8));
        long[] c = Salts.seeded(8, () -> draws(8));
        assertThat(a).containsExactly(b);
        assertThat(c).doesNotContain(a);
        assertThat(a).doesNotHaveDuplicates();
    }

    @Test
    void outsideASeededRunTheSaltsAreRandomAndTheSeedIsTheCallingThreadsOnly() throws Exception {
        long[] seeded = Salts.seeded(7, () -> draws(4));
        assertThat(draws(4)).doesNotContain(seeded);
        long[] otherThread = Salts.seeded(7, () -> CompletableFuture.supplyAsync(() -> draws(4)).get());
        assertThat(otherThread).doesNotContain(seeded);
    }

    @Test
    void aSeededRunInsideAnotherGivesTheOuterSequenceBackWhereItWas() {
        long[] whole = Salts.seeded(7, () -> draws(4));
        long[] around = Salts.seeded(7, () -> {
            long first = Salts.next();
            long[] inner = Salts.seeded(9, () -> draws(3));
            assertThat(inner).doesNotContain(whole);
            long[] rest = draws(3);
            return new long[] {first, rest[0], rest[1], rest[2]};
        });
        assertThat(around).containsExactly(whole);
    }

    /** Sequences swapped in and out in turn on one thread each draw as if alone; the one swapped out comes back. */
    @Test
    void swappedSequencesTakingTurnsEachDrawAsIfAlone() {
        long[] alone = Salts.seeded(7, () -> draws(3));
        long[][] turns = Salts.seeded(9, () -> {
            java.util.SplittableRandom a = new java.util.SplittableRandom(7);
            java.util.SplittableRandom b = new java.util.SplittableRandom(7);
            long[] fromA = new long[3];
            long[] fromB = new long[3];
            long[] outer = new long[3];
            for (int i = 0; i < 3; i++) {
                java.util.SplittableRandom was = Salts.swap(a);
                fromA[i] = Salts.next();
                Salts.swap(b);
                fromB[i] = Salts.next();
                assertThat(Salts.swap(was)).isSameAs(b);
                outer[i] = Salts.next();
            }
            return new long[][] {fromA, fromB, outer};
        });
        assertThat(turns[0]).containsExactly(alone);
        assertThat(turns[1]).containsExactly(alone);
        assertThat(turns[2]).containsExactly(Salts.seeded(9, () -> draws(3)));
        assertThat(Salts.swap(null)).as("outside a seeded run: none").isNull();
    }
}
