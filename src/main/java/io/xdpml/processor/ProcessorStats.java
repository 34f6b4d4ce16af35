package io.xdpml.processor;

/**
 * Counts of an {@link MlPacketProcessor} so far, over all queues.
 *
 * @param received      frames that reached Java through AF_XDP
 * @param processed     frames handed to the callback
 * @param filtered      frames not handed over: their protocol is not asked for
 * @param rateLimited   frames not handed over: over the rate cap
 * @param flagged       frames the callback flagged
 * @param captured      flagged frames written to the capture file
 * @param callbackErrors callbacks that threw
 */
public record ProcessorStats(long received, long processed, long filtered, long rateLimited, long flagged, long captured,
                             long callbackErrors) {}
