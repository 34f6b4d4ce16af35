package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.OutputsSection;
import io.xdpml.detect.Detection;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowLog;
import io.xdpml.flow.FlowSink;
import io.xdpml.output.EveWriter;
import io.xdpml.output.ipfix.IpfixExporter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's outputs for other tools (EVE JSON, IPFIX): opened at start from
 * {@code outputs}, closed at stop. Flows reach them through {@link #flowsOf} (on the flow export
 * thread), detections through {@link #alert} (on the agent's loop); the EVE writer is shared by
 * both threads (its methods are synchronized). A flow carries the class the model stage cached for
 * it (flow mode); the kernel keeps no score, so none travels yet.
 */
final class AgentOutputs implements AutoCloseable {
    private final List<FlowSink> flowSinks = new ArrayList<>();
    private final List<String> classes;
    private IpfixExporter ipfix;
    private EveWriter eve;
    private boolean eveFlows;
    private boolean eveAlerts;

    private AgentOutputs(List<String> classes) {
        this.classes = classes;
    }

    static AgentOutputs open(AgentConfig config) throws IOException {
        AgentOutputs o = new AgentOutputs(config.model().enabled() ? config.model().model().classes() : List.of());
        OutputsSection s = config.outputs();
        try {
            if (s.eve() != null) {
                o.eve = EveWriter.open(s.eve().file(), true, EveWriter.Options.defaults().withClock(EveWriter.monotonicToEpoch()));
                o.eveFlows = s.eve().flows();
                o.eveAlerts = s.eve().alerts();
            }
            if (s.ipfix() != null) {
                OutputsSection.Ipfix x = s.ipfix();
                o.ipfix = IpfixExporter.open(x.collector(), x.file(), x.templateRefresh(), x.domain(), IpfixExporter.monotonicTime());
                o.flowSinks.add(o.ipfix);
            }
        } catch (IOException | RuntimeException e) {
            o.close();
            throw e;
        }
        return o;
    }

    /** The IPFIX exporter, or null (for status and metrics). */
    IpfixExporter ipfix() {
        return ipfix;
    }

    /** The EVE writer, or null (for status and metrics). */
    EveWriter eve() {
        return eve;
    }

    boolean wantsFlows() {
        return !flowSinks.isEmpty() || eveFlows;
    }

    /** Where the flow records of {@code iface} go (used on the flow export thread only). */
    FlowLog flowsOf(String iface) {
        return new FlowLog(f -> {
            String cls = classOf(f.state());
            EndedFlow out = cls == null ? f : f.withVerdict(cls, Double.NaN);
            if (eveFlows) {
                eve.flow(out, iface);
            }
            for (FlowSink sink : flowSinks) {
                sink.flow(out);
            }
        });
    }

    /** The class the model stage cached for the flow (flow mode), or null. */
    private String classOf(byte[] state) {
        int v = state[FlowLayout.VERDICT] & 0xff;
        return v == 0 || v > classes.size() ? null : classes.get(v - 1);
    }

    /** A new detection; {@code blocked} when the agent mitigates it. */
    void alert(Detection d, boolean blocked) {
        if (eveAlerts) {
            eve.alert(d, blocked);
        }
    }

    /** What the outputs did, for the agent's summary; empty when none is open. */
    String summary() {
        StringBuilder b = new StringBuilder();
        if (eve != null) {
            b.append("EVE: ").append(eve.alerts()).append(" alerts, ").append(eve.flows()).append(" flows")
                    .append(eve.failed() + eve.writeErrors() > 0 ? ", " + eve.failed() + " events failed, " + eve.writeErrors()
                            + " write errors (" + eve.lastError() + ")" : "");
        }
        if (ipfix != null) {
            b.append(b.isEmpty() ? "" : "; ").append("IPFIX: ").append(ipfix.flows()).append(" flows");
            IpfixExporter.Counters u = ipfix.udp();
            if (u.messages() > 0 || u.errors() > 0) {
                b.append(", ").append(u.messages()).append(" messages over UDP")
                        .append(u.errors() > 0 ? " (" + u.errors() + " send errors: " + u.lastError() + ")" : "");
            }
            IpfixExporter.Counters f = ipfix.file();
            if (f.bytes() > 0 || f.errors() > 0) {
                b.append(", ").append(f.bytes()).append(" bytes to the file")
                        .append(f.errors() > 0 ? " (" + f.errors() + " write errors: " + f.lastError() + ")" : "");
            }
        }
        return b.toString();
    }

    void flush() {
        if (eve != null) {
            eve.flush();
        }
        for (FlowSink sink : flowSinks) {
            sink.flush();
        }
    }

    @Override
    public void close() {
        for (FlowSink sink : flowSinks) {
            try {
                sink.close();
            } catch (RuntimeException e) {
                // closing one output must not keep the others open
            }
        }
        flowSinks.clear();
        if (eve != null) {
            eve.close();
            eve = null;
        }
    }
}
