package io.xdpml.xsk;

/**
 * The kernel's counters of one socket ({@code getsockopt(XDP_STATISTICS)}).
 *
 * @param rxDropped            frames dropped for reasons other than invalid descriptors
 * @param rxInvalidDescs       invalid RX descriptors
 * @param txInvalidDescs       invalid TX descriptors
 * @param rxRingFull           frames dropped because the RX ring was full
 * @param rxFillRingEmptyDescs times the FILL ring was found empty
 * @param txRingEmptyDescs     times the TX ring was found empty
 */
public record XskStatistics(long rxDropped, long rxInvalidDescs, long txInvalidDescs, long rxRingFull,
                            long rxFillRingEmptyDescs, long txRingEmptyDescs) {
}
