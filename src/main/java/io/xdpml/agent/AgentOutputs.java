package io.xdpml.agent;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.OutputsSection;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.detect.Detection;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetPublisher;
import io.xdpml.fleet.FleetTopics;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowLog;
import io.xdpml.flow.FlowSink;
import io.xdpml.output.EveWriter;
import io.xdpml.output.ipfix.IpfixExporter;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's outputs for other tools (EVE JSON, IPFIX): opened at start from
 * {@code outputs}, closed at stop. Flows reach them through {@link #flowsOf} (on the flow export
 * thread), detections through {@link #alert} (on the agent's loop); the EVE writer is shared by
 * both threads (its methods are synchronized). Kafka ({@code outputs.kafka}) gets the same EVE events
 * as JSON strings through a {@link FleetPublisher} that never blocks its callers, and the agent's own
 * blocks when {@code publish-blocks} says so. A flow carries the class the model stage cached for
 * it (flow mode); the kernel keeps no score, so none travels yet.
 */
final class AgentOutputs implements AutoCloseable {
    private final List<FlowSink> flowSinks = new ArrayList<>();
    private final RunningClasses classes;
    private IpfixExporter ipfix;
    private EveWriter eve;
    private boolean eveFlows;
    private boolean eveAlerts;
    private OutputsSection.Kafka kafkaConfig;
    private FleetPublisher kafka;
    private EveWriter kafkaEvents;
    private final List<String> notes = new ArrayList<>();

    private AgentOutputs(RunningClasses classes) {
        this.classes = classes;
    }

    /** {@code classes}: the class names that run on each interface (the agent keeps them current). */
    static AgentOutputs open(AgentConfig config, RunningClasses classes) throws IOException {
        AgentOutputs o = new AgentOutputs(classes);
        OutputsSection s = config.outputs();
        try {
            if (s.eve() != null) {
                o.eve = EveWriter.open(s.eve().file(), true, EveWriter.Options.defaults().withClock(EveWriter.monotonicToEpoch()));
                o.eveFlows = s.eve().flows();
                o.eveAlerts = s.eve().alerts();
            }
            if (s.ipfix() != null) {
                OutputsSection.Ipfix x = s.ipfix();
                o.ipfix = IpfixExporter.open(x.collector(), x.file(), true, x.templateRefresh(), x.domain(), IpfixExporter.monotonicTime());
                o.flowSinks.add(o.ipfix);
                if (o.ipfix.cutAtOpen() > 0) {
                    o.notes.add("IPFIX: the last message of " + x.file() + " was cut off (a run that died while writing it): its "
                            + o.ipfix.cutAtOpen() + " bytes taken off the end, so that the messages appended now can be read");
                }
            }
            if (s.kafka() != null) {
                o.openKafka(s.kafka());
            }
        } catch (IOException | RuntimeException e) {
            o.close();
            throw e;
        }
        return o;
    }

    private void openKafka(OutputsSection.Kafka k) {
        kafkaConfig = k;
        if (k.createTopics()) {
            try {
                List<String> made = FleetTopics.ensure(k.bootstrap(), k.properties(), java.util.Arrays.asList(k.alertsTopic(), k.flowsTopic()),
                        k.blocksTopic(), Duration.ofSeconds(5));
                if (!made.isEmpty()) {
                    notes.add("Kafka: created topics " + String.join(", ", made) + " at " + k.bootstrap());
                }
            } catch (Exception e) {
                notes.add("Kafka: could not check or create the topics at " + k.bootstrap() + " (" + e
                        + "); publishing anyway, records are kept while the broker is away");
            }
        }
        kafkaEvents = new EveWriter(Writer.nullWriter(), false, EveWriter.Options.defaults().withClock(EveWriter.monotonicToEpoch()));
        kafka = new FleetPublisher(k.bootstrap(), k.properties(), "xdpml-" + k.host(), k.queue());
    }

    /** What opening the outputs has to say (topics created, a broker away). */
    List<String> notes() {
        return notes;
    }

    /** The Kafka section, or null. */
    OutputsSection.Kafka kafkaConfig() {
        return kafkaConfig;
    }

    /** The Kafka publisher, or null (for status and metrics). */
    FleetPublisher kafka() {
        return kafka;
    }

    /** Publishes one of this agent's blocks on the fleet's blocks topic when the configuration says so. */
    void publishBlock(FleetBlock b) {
        if (kafka != null && kafkaConfig.publishBlocks()) {
            kafka.publish(kafkaConfig.blocksTopic(), b.key(), b.toJson());
        }
    }

    /** The key of an EVE event on Kafka: a flow's community_id (else its flow_id), an alert's source (else its target, subject). */
    static String kafkaKey(ObjectNode event) {
        boolean alert = "alert".equals(event.path("event_type").asText());
        String[] fields = alert ? new String[] {"src_ip", "dest_ip", "community_id", "flow_id"} : new String[] {"community_id", "flow_id"};
        for (String f : fields) {
            JsonNode v = event.get(f);
            if (v != null && !v.isNull()) {
                return v.asText();
            }
        }
        return alert ? event.path("xdpml").path("subject").asText("") : "";
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
        return !flowSinks.isEmpty() || eveFlows || (kafka != null && kafkaConfig.flowsTopic() != null);
    }

    /** Where the flow records of {@code iface} go (used on the flow export thread only). */
    FlowLog flowsOf(String iface) {
        return new FlowLog(f -> {
            String cls = classOf(iface, f.state());
            EndedFlow out = cls == null ? f
                    : f.withVerdict(cls, FlowLayout.cachedConfidence(java.lang.foreign.MemorySegment.ofArray(f.state())));
            if (eveFlows) {
                eve.flow(out, iface);
            }
            for (FlowSink sink : flowSinks) {
                sink.flow(out);
            }
            if (kafka != null && kafkaConfig.flowsTopic() != null) {
                ObjectNode n = kafkaEvents.flowNode(out, iface);
                if (n != null) {
                    n.put("host", kafkaConfig.host()); // Suricata's sensor name: which agent saw it (the fleet detector needs it)
                    kafka.publish(kafkaConfig.flowsTopic(), kafkaKey(n), n.toString());
                }
            }
        });
    }

    /** The class the model stage cached for the flow (flow mode), named by the model that runs on {@code iface} now, or null. */
    private String classOf(String iface, byte[] state) {
        int v = state[FlowLayout.VERDICT] & 0xff;
        return v == 0 ? null : classes.name(iface, v - 1);
    }

    /** The class names that run on each interface. */
    RunningClasses classes() {
        return classes;
    }

    /**
     * A new detection; {@code measured} when the agent installed a firewall measure for it,
     * {@code blockedSources} the sources it blocked (each alert line's action is its own).
     */
    void alert(Detection d, boolean measured, java.util.Set<String> blockedSources) {
        if (eveAlerts) {
            eve.alert(d, measured, blockedSources);
        }
        if (kafka != null && kafkaConfig.alertsTopic() != null) {
            for (ObjectNode n : kafkaEvents.alertNodes(d, measured, blockedSources)) {
                n.put("host", kafkaConfig.host());
                kafka.publish(kafkaConfig.alertsTopic(), kafkaKey(n), n.toString());
            }
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
        if (kafka != null) {
            FleetPublisher.Counters c = kafka.counters();
            b.append(b.isEmpty() ? "" : "; ").append("Kafka: ").append(c.sent()).append(" records sent");
            if (c.unsent() > 0) {
                b.append(", ").append(c.pending()).append(" pending, ").append(c.dropped()).append(" dropped (queue full), ")
                        .append(c.failed()).append(" failed").append(c.lastError() != null ? " (" + c.lastError() + ")" : "");
            }
        }
        return b.toString();
    }

    /**
     * Opens the EVE and IPFIX files again by their names (a reload: logrotate's create then
     * SIGHUP). EVE's failure is said, the old file kept; the IPFIX file is opened again by the
     * flow export's thread at its next flush (within a second), a failure counted in its file
     * errors (status, metrics, the summary), the old file kept.
     */
    void reopen(java.util.function.Consumer<String> say) {
        if (eve != null) {
            try {
                eve.reopen();
            } catch (IOException e) {
                say.accept("EVE: cannot open " + e.getMessage() + " again; writing on to the file open before");
            }
        }
        if (ipfix != null) {
            ipfix.reopenFile();
        }
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
        if (kafka != null) {
            kafka.close(Duration.ofSeconds(5)); // what is buffered gets 5 s to reach the broker
        }
    }
}
