package io.xdpml.output;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowReason;
import io.xdpml.flow.FlowReplay;
import io.xdpml.flow.JavaFlowEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The flows of a capture as the outputs get them (test helper): the Java flow engine, every flow reported at the end. */
public final class CaptureFlows {
    /** @param tracked packets the engine tracked (the sum of the flows' packets) */
    public record Result(List<EndedFlow> flows, long tracked) {}

    private CaptureFlows() {}

    /**
     * Replays the capture through {@link JavaFlowEngine} with no idle timeout (ten years), then
     * reports every flow in the table with {@link FlowReason#END} at the capture's last packet time.
     */
    public static Result of(Path capture) throws IOException {
        try (JavaFlowEngine e = new JavaFlowEngine(new FlowConfig(1 << 20, 10L * 365 * 86_400 * 1_000_000_000L, 4789), 1 << 18)) {
            FlowReplay.replay(capture, e);
            List<EndedFlow> raw = new ArrayList<>();
            e.forEachFlow((k, v) -> raw.add(EndedFlow.copyOf(k, v, FlowReason.END, 0)));
            long end = raw.stream().mapToLong(EndedFlow::lastNanos).max().orElse(0);
            List<EndedFlow> flows = new ArrayList<>(raw.size());
            for (EndedFlow f : raw) {
                flows.add(new EndedFlow(f.key(), f.state(), FlowReason.END, end, null, Double.NaN));
            }
            return new Result(flows, e.counter(FlowCounter.PACKETS));
        }
    }
}
