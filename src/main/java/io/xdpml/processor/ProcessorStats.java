package io.xdpml.processor;

/**
 * Counts of an {@link MlPacketProcessor} so far, over all queues.
 *
 * @param seen          packets the XDP program saw (all of them, before sampling)
 * @param received      sampled packets that reached Java (AF_XDP frames or mirror records)
 * @param processed     packets handed to the callback
 * @param filtered      packets not handed over: their protocol is not asked for
 * @param rateLimited   packets not handed over: over the rate cap
 * @param flagged       packets the callback flagged
 * @param captured      flagged packets written to the capture file
 * @param callbackErrors callbacks that threw
 * @param blocked       packets the kernel's blocks stage dropped: their source or flow blocked ({@link Mitigation})
 * @param deliveryLost  sampled packets that never reached Java: AF_XDP ring full or dropped by the
 *                      socket (XDP_STATISTICS), or mirror ring full
 */
public record ProcessorStats(long seen, long received, long processed, long filtered, long rateLimited, long flagged, long captured,
                             long callbackErrors, long blocked, long deliveryLost) {}
