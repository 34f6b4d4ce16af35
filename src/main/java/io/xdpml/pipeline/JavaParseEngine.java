package io.xdpml.pipeline;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;

/** The Java reference parser as an engine. */
public final class JavaParseEngine implements ParseEngine {
    private final PacketParser parser;
    private final ParseCounters counters = new ParseCounters();
    private final int maxFrameLength;

    public JavaParseEngine(int vxlanPort, int maxFrameLength) {
        this.parser = new PacketParser(vxlanPort);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public void parse(MemorySegment frame, int length, ParseSummary out) {
        parser.parse(frame, length, out);
        counters.count(out);
    }

    @Override
    public ParseCounters counters() {
        return counters;
    }

    @Override
    public int maxFrameLength() {
        return maxFrameLength;
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void close() {}
}
