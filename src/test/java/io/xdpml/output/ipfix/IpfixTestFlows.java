package io.xdpml.output.ipfix;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowReason;
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

    /**
     * Every flow of a capture once: the Java engine with the default configuration, the flows
     * left in its table at the end reported with {@link FlowReason#END}. The one place that builds
     * the list (to be replaced by the shared "every flow once" listing).
     */
    static List<EndedFlow> endedFlows(Path capture) {
        List<EndedFlow> flows = new ArrayList<>();
        try (JavaFlowEngine engine = new JavaFlowEngine(FlowConfig.defaults(), TestRun.maxTestRunFrame())) {
            FlowReplay.Result r = FlowReplay.replay(capture, engine);
            if (r.damage() != null && r.replayed() == 0) {
                throw new IllegalStateException(capture + ": " + r.damage().getMessage());
            }
            long[] end = {0};
            engine.forEachFlow((k, s) -> end[0] = Math.max(end[0], io.xdpml.flow.FlowLayout.u64(s, io.xdpml.flow.FlowLayout.LAST_NS)));
            engine.forEachFlow((k, s) -> flows.add(EndedFlow.copyOf(k, s, FlowReason.END, end[0])));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return flows;
    }

    /**
     * The same capture with an active timeout: every report in the order the engine made them
     * (active reports, TCP closes, idle restarts), then the flows left, with END.
     */
    static List<EndedFlow> reports(Path capture, long activeTimeoutNanos) {
        List<EndedFlow> flows = new ArrayList<>();
        FlowConfig config = FlowConfig.defaults().withActiveTimeout(activeTimeoutNanos);
        try (JavaFlowEngine engine = new JavaFlowEngine(config, TestRun.maxTestRunFrame(),
                (t, reason, k, s) -> flows.add(EndedFlow.copyOf(k, s, reason, t)))) {
            FlowReplay.replay(capture, engine);
            long[] end = {0};
            engine.forEachFlow((k, s) -> end[0] = Math.max(end[0], io.xdpml.flow.FlowLayout.u64(s, io.xdpml.flow.FlowLayout.LAST_NS)));
            engine.forEachFlow((k, s) -> {
                if ((s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, io.xdpml.flow.FlowLayout.CLOSING)
                        & io.xdpml.flow.FlowLayout.CLOSE_ENDED) == 0) {
                    flows.add(EndedFlow.copyOf(k, s, FlowReason.END, end[0]));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return flows;
    }
}
