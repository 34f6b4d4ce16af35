package io.xdpml.output;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowListing;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.JavaFlowEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The flows of a capture as the outputs get them (test helper): xdpml flows' listing. */
public final class CaptureFlows {
    /** @param tracked packets the engine tracked (the sum of the flows' packets) */
    public record Result(List<EndedFlow> flows, long tracked) {}

    private CaptureFlows() {}

    /** Every flow of the capture once, as {@code xdpml flows} lists them (Java engine, default timeouts). */
    public static Result of(Path capture) throws IOException {
        FlowListing l = FlowListing.of(capture, r -> new JavaFlowEngine(FlowConfig.defaults(), 1 << 18, r), FlowRecordListener.NONE);
        return new Result(l.flows(), l.trackedPackets());
    }
}
