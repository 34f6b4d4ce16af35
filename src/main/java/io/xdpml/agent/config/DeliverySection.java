package io.xdpml.agent.config;

import io.xdpml.processor.Delivery;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The delivery stage: how the sampled packets reach Java ({@link Delivery}).
 *
 * @param queues  AF_XDP: the receive queues, a socket each
 * @param rateCap packets per second handed to Java at most; 0: no cap
 */
public record DeliverySection(Delivery to, List<Integer> queues, long rateCap) {
    /** The highest receive queue: the socket map (xdpml_xsks, deliver.h) has 64 entries. */
    public static final int MAX_QUEUE = 63;

    public DeliverySection {
        Objects.requireNonNull(to);
        queues = List.copyOf(queues);
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("delivery.queues needs at least one queue");
        }
        if (new HashSet<>(queues).size() != queues.size()) {
            throw new IllegalArgumentException("delivery.queues names a queue twice: " + queues);
        }
        for (int q : queues) {
            if (q < 0 || q > MAX_QUEUE) {
                throw new IllegalArgumentException("queue " + q + " is out of range (0 to " + MAX_QUEUE + ")");
            }
        }
        if (rateCap < 0 || rateCap > io.xdpml.dataplane.DeliverySettings.Values.MAX_RATE) {
            throw new IllegalArgumentException("delivery.rate-cap must be 0 to " + io.xdpml.dataplane.DeliverySettings.Values.MAX_RATE);
        }
    }

    /** Mirror ring, queue 0, no cap. */
    public static DeliverySection defaults() {
        return new DeliverySection(Delivery.MIRROR, List.of(0), 0);
    }

    public DeliverySection withTo(Delivery d) {
        return new DeliverySection(d, queues, rateCap);
    }

    public DeliverySection withQueues(List<Integer> q) {
        return new DeliverySection(to, q, rateCap);
    }

    /** As written in the file: mirror or af_xdp. */
    static String id(Delivery d) {
        return d.name().toLowerCase(Locale.ROOT);
    }

    String describe() {
        String how = to == Delivery.MIRROR ? "mirror (a copy through a ring buffer; the host keeps every packet)"
                : "af_xdp (queues " + queues.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElseThrow() + ")";
        return "delivery: " + how + ", rate-cap " + (rateCap == 0 ? "none" : rateCap + "/s");
    }
}
