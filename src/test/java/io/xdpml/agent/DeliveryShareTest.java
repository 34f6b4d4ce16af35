package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.xsk.XskCounter;
import org.junit.jupiter.api.Test;

/** {@link DeliveryShare}: the scale over each interval of the kernel's counters. */
class DeliveryShareTest {
    private static long[] counters(long sampled, long capped, long ringFull, long noSocket) {
        long[] d = new long[XskCounter.SLOTS];
        d[XskCounter.SAMPLED.ordinal()] = sampled;
        d[XskCounter.CAPPED.ordinal()] = capped;
        d[XskCounter.MIRROR_LOST.ordinal()] = ringFull;
        d[XskCounter.NO_SOCKET.ordinal()] = noSocket;
        return d;
    }

    @Test
    void scalesByWhatWasHeldBackInTheLastInterval() {
        DeliveryShare s = new DeliveryShare();
        assertThat(s.weigh(100)).as("nothing read yet").isEqualTo(100);

        s.update(counters(1_000, 0, 0, 0), 0, 0);
        assertThat(s.scale()).isEqualTo(1.0);

        // 10,000 chosen (9,000 sampled, 1,000 by the model), 7,500 over the cap and 500 to a full ring: 2,000 reached Java
        s.update(counters(10_000, 7_500, 500, 0), 1_000, 0);
        assertThat(s.scale()).isEqualTo(5.0);
        assertThat(s.weigh(100)).isEqualTo(500);
        assertThat(s.weigh(1)).as("what the model sent").isEqualTo(5);

        s.update(counters(10_000, 7_500, 500, 0), 1_000, 0);
        assertThat(s.scale()).as("nothing chosen: kept").isEqualTo(5.0);
        s.update(counters(10_100, 7_600, 500, 0), 1_000, 0);
        assertThat(s.scale()).as("nothing reached Java: kept").isEqualTo(5.0);
        s.update(counters(10_200, 7_600, 500, 90), 1_000, 0);
        assertThat(s.scale()).as("the flood over: every chosen packet delivered; no socket is not held back").isEqualTo(1.0);
        assertThat(s.weigh(100)).isEqualTo(100);
    }

    @Test
    void whatTheSocketsDroppedIsHeldBackToo() {
        // AF_XDP: 4,000 sampled and redirected, of which the kernel dropped 3,000 (the RX ring full): 1,000 reached Java
        DeliveryShare s = new DeliveryShare();
        s.update(counters(0, 0, 0, 0), 0, 0);
        s.update(counters(4_000, 0, 0, 0), 0, 3_000);
        assertThat(s.scale()).isEqualTo(4.0);
        s.update(counters(8_000, 0, 0, 0), 0, 3_000);
        assertThat(s.scale()).as("the ring kept up again").isEqualTo(1.0);
    }

    @Test
    void aWeightIsAtLeastOneAndRounded() {
        DeliveryShare s = new DeliveryShare();
        s.update(counters(3, 1, 0, 0), 0, 0);
        assertThat(s.scale()).isEqualTo(1.5);
        assertThat(s.weigh(1)).isEqualTo(2);
        assertThat(s.weigh(3)).isEqualTo(5);
    }
}
