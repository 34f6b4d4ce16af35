package io.xdpml.pipeline;

import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;

/**
 * Something that parses Ethernet frames with the xdpml parser semantics and keeps the parse
 * counters: the real XDP program run through BPF_PROG_TEST_RUN, or the Java reference.
 */
public interface ParseEngine extends AutoCloseable {
    /** Parses one frame (its first {@code length} bytes) and counts it. */
    void parse(MemorySegment frame, int length, ParseSummary out);

    /** The counters so far (for the kernel: read from its per-CPU map and summed). */
    ParseCounters counters();

    /** Longest frame this engine takes whole; longer frames are cut to it by the caller. */
    int maxFrameLength();

    String name();

    @Override
    void close();
}
