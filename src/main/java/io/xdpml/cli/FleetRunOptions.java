package io.xdpml.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of the fleet detector's run mode ({@code xdpml fleet run}, or {@code xdpml fleet} with {@code --kafka}). */
final class FleetRunOptions {
    @Option(names = "--kafka", paramLabel = "BOOTSTRAP", description = "Kafka bootstrap servers, e.g. localhost:9092")
    String kafka;

    @Option(names = "--window", paramLabel = "S", description = "window of event time every count is made in, seconds (default 60)")
    Double window;

    @Option(names = "--set", paramLabel = "fleet.PARAM=V",
            description = {"set a parameter (repeatable), e.g. fleet.scanMinTargets=50, fleet.graceSeconds=10;",
                "all parameters: docs/fleet-detector.md"})
    List<String> settings = new ArrayList<>();

    @Option(names = "--blocks", paramLabel = "S",
            description = "also publish every finding's source as a fleet block (topic --blocks-topic) lasting S seconds")
    Double blocks;

    @Option(names = "--flows-topic", defaultValue = "xdpml.flows", description = "EVE flow events in (default: ${DEFAULT-VALUE})")
    String flowsTopic;

    @Option(names = "--alerts-topic", defaultValue = "xdpml.alerts",
            description = "EVE alerts in, and the findings out (default: ${DEFAULT-VALUE})")
    String alertsTopic;

    @Option(names = "--blocks-topic", defaultValue = "xdpml.blocks", description = "fleet blocks out (default: ${DEFAULT-VALUE})")
    String blocksTopic;

    @Option(names = "--application-id", defaultValue = "xdpml-fleet",
            description = "the Kafka Streams application id: consumer group and internal topics' prefix (default: ${DEFAULT-VALUE})")
    String applicationId;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Kafka Streams' state directory (default: a new temporary one)")
    String stateDir;

    @Option(names = "--property", paramLabel = "K=V",
            description = "any Kafka client or Streams property (repeatable): security.protocol=SSL, sasl.mechanism=..., ...")
    List<String> properties = new ArrayList<>();

    @Option(names = "--no-create-topics", description = "do not create missing topics (they must exist)")
    boolean noCreateTopics;

    @Option(names = "--duration", paramLabel = "S", description = "stop after S seconds (default: run until Ctrl-C)")
    Double duration;
}
