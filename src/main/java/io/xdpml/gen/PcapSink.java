package io.xdpml.gen;

import io.xdpml.pcap.LinkType;
import io.xdpml.pcap.PcapWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Frames into a pcap file (Ethernet, microsecond timestamps): the offline way, no root needed. */
public final class PcapSink implements FrameSink {
    /** Where generated captures start by default: 2026-01-01T00:00:00Z (fixed, so a seed gives the same file). */
    public static final long DEFAULT_START_NANOS = 1_767_225_600L * 1_000_000_000L;

    private final PcapWriter writer;
    private final Path path;

    private PcapSink(PcapWriter writer, Path path) {
        this.writer = writer;
        this.path = path;
    }

    /** Creates (or truncates) {@code path}. */
    public static PcapSink open(Path path) throws IOException {
        return new PcapSink(PcapWriter.open(path, LinkType.ETHERNET), path);
    }

    @Override
    public void send(MemorySegment frame, int length, long timeNanos) {
        try {
            writer.write(timeNanos, frame, length, length);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + path, e);
        }
    }

    @Override
    public void flush() {
        // the writer flushes its buffer when full and on close
    }

    @Override
    public boolean live() {
        return false;
    }

    @Override
    public String way() {
        return "pcap " + path;
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + path, e);
        }
    }
}
