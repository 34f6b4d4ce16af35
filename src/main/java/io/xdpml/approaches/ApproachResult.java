package io.xdpml.approaches;

/**
 * One measurement of one approach.
 *
 * @param model          "dt" (complete depth-10 tree) or "mlp" (12-16-16-2), or "drop" for the XDP_DROP row
 * @param cores          CPUs the work was spread over (queues, generators, receive threads)
 * @param offered        frames the generators sent
 * @param offeredNanos   how long the generators took to send them
 * @param processed      frames the model classified (for drop: frames sent)
 * @param processedNanos from the generators' start to the last frame classified
 * @param kernelDrops    frames the kernel dropped on the way to Java because the socket's ring was
 *                       full (AF_XDP: rx_dropped + rx_ring_full; AF_PACKET: tp_drops), 0 in XDP
 * @param classes        frames per class (0, 1)
 */
public record ApproachResult(Approach approach, String model, int cores, long offered, long offeredNanos, long processed,
                             long processedNanos, long kernelDrops, long[] classes) {
    /** Offered load, millions of frames per second. */
    public double offeredMpps() {
        return offered * 1e3 / offeredNanos;
    }

    /** Frames classified per second, in millions. */
    public double processedMpps() {
        return processedNanos <= 0 ? 0 : processed * 1e3 / processedNanos;
    }

    /** Processed over offered rate. */
    public double ofOffered() {
        return processedMpps() / offeredMpps();
    }
}
