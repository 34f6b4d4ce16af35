package io.xdpml.flow;

/**
 * Where reported flows go: a CSV or JSON listing, an EVE JSON file, an IPFIX exporter. Called from
 * one thread at a time; {@link #flush} at the end of a batch, {@link #close} once.
 */
public interface FlowSink extends AutoCloseable {
    void flow(EndedFlow flow);

    default void flush() {}

    @Override
    default void close() {}
}
