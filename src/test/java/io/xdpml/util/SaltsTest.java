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
}
