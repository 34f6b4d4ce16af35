package io.xdpml.detect;

/**
 * A detector that reads the flow table rather than packets ({@link Detector#census}: slowconn,
 * reqflood): the data plane's flow stage counts every packet whatever the agent samples to Java, so
 * it is given none, has no windows, and is handed the live flows every {@code censusNanos}.
 */
abstract class FlowTableDetector implements Detector {
    private final String name;
    private final long censusNanos;

    FlowTableDetector(String name, long censusNanos) {
        this.name = name;
        this.censusNanos = censusNanos;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void observe(PacketObservation packet, DetectionSink sink) {
        // nothing: the flow table counts every packet (census)
    }

    @Override
    public final void finish(long endNanos, DetectionSink sink) {}

    @Override
    public final long censusEveryNanos() {
        return censusNanos;
    }
}
