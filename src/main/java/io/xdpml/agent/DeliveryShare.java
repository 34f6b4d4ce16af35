package io.xdpml.agent;

import io.xdpml.xsk.XskCounter;

/**
 * The share of the packets the XDP program chose for Java that reached it, from the program's own
 * counters, so that a delivered packet's weight ({@link io.xdpml.detect.PacketObservation#weight()})
 * also stands for the chosen packets held back on the way: over the rate cap ({@code capped}),
 * finding the mirror ring full ({@code ring_full}), or redirected to an AF_XDP socket whose ring
 * was full or had no free frame (the sockets' own statistics, {@code XDP_STATISTICS}: the kernel
 * drops those after the program's counters saw them redirected). Under a flood both hold back most of what is
 * chosen, and unscaled, a flood above the cap would read as the cap's rate, under every floor.
 *
 * <p>The agent updates it from the kernel's counters every {@link Agent#POLL_NANOS} (its twin every
 * 0.1 s of capture time): the scale is chosen / (chosen - held back) over the last interval, where
 * chosen is what the sample stage chose plus what the model sent to Java. An interval in which
 * nothing was chosen, or nothing reached Java, keeps the scale it had. It lags by one interval, and
 * it is one share for all: the cap's token bucket lets the first packets of each refill through,
 * not a random share. Packets for a receive queue without a socket ({@code no_socket}) are not
 * counted as held back: another queue's traffic does not stand for them. Written by one thread,
 * read by the receive threads (a volatile double).
 */
public final class DeliveryShare {
    private long chosen;
    private long heldBack;
    private volatile double scale = 1;

    /**
     * @param deliver      the sample and deliver stages' counters ({@link XskCounter}), summed over CPUs
     * @param toJavaForced the packets the model sent to Java (the pipeline counters' {@code to_java_forced})
     * @param socketsLost  the AF_XDP sockets' frames dropped by the kernel (rx_dropped + rx_ring_full, summed over
     *                     sockets; 0 with mirror delivery)
     */
    public void update(long[] deliver, long toJavaForced, long socketsLost) {
        long c = deliver[XskCounter.SAMPLED.ordinal()] + toJavaForced;
        long h = deliver[XskCounter.CAPPED.ordinal()] + deliver[XskCounter.MIRROR_LOST.ordinal()] + socketsLost;
        long dc = c - chosen;
        long dh = h - heldBack;
        chosen = c;
        heldBack = h;
        if (dc > 0 && dh >= 0 && dh < dc) {
            scale = (double) dc / (dc - dh);
        }
    }

    /** How many chosen packets each delivered one stands for (1: none held back). */
    public double scale() {
        return scale;
    }

    /** {@code base} (the sampling's weight, or 1) times the scale, rounded, at least 1. */
    public int weigh(int base) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(base * scale)));
    }
}
