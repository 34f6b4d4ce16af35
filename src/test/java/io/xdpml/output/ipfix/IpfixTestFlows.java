package io.xdpml.output.ipfix;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowListing;
import io.xdpml.flow.FlowLog;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.FlowReplay;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The flows the IPFIX tests export (test helper). */
final class IpfixTestFlows {
    private IpfixTestFlows() {}

    /** Every flow of a capture once, as {@code xdpml flows} lists them (Java engine, default timeouts). */
    static List<EndedFlow> endedFlows(Path capture) {
        try {
            return FlowListing.of(capture, l -> new JavaFlowEngine(FlowConfig.defaults(), TestRun.maxTestRunFrame(), l),
                    FlowRecordListener.NONE).flows();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The same capture with an active timeout: every report in the order {@link FlowLog} makes
     * them (active reports of flows going on, flows as they end), then the flows left at the end.
     */
    static List<EndedFlow> reports(Path capture, long activeTimeoutNanos) {
        List<EndedFlow> flows = new ArrayList<>();
        FlowLog log = new FlowLog(flows::add);
        FlowConfig config = FlowConfig.defaults().withActiveTimeout(activeTimeoutNanos);
        try (JavaFlowEngine engine = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), log)) {
            FlowReplay.replay(capture, engine);
            long[] end = {0};
            engine.forEachFlow((k, s) -> end[0] = Math.max(end[0], io.xdpml.flow.FlowLayout.u64(s, io.xdpml.flow.FlowLayout.LAST_NS)));
            log.finish(engine::forEachFlow, end[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return flows;
    }
}
