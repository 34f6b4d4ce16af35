package io.xdpml.gen;

import java.lang.foreign.MemorySegment;

/**
 * Where a {@link ScenarioSender} puts frames: out of an interface ({@link TestRunSink},
 * {@link XskSink}: live, paced by the clock) or into a capture file ({@link PcapSink}: timestamps
 * from the rate, no waiting). One thread at a time.
 */
public interface FrameSink extends AutoCloseable {
    /** Sends (or writes) the first {@code length} bytes of {@code frame}; {@code timeNanos} is its time. */
    void send(MemorySegment frame, int length, long timeNanos);

    /** Pushes out what is queued (called after every burst). */
    void flush();

    /** Whether frames leave in real time (paced by the clock) rather than into a file. */
    boolean live();

    /** The way, for messages: testrun, xsk, pcap. */
    String way();

    @Override
    void close();
}
