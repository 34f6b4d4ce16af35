package io.xdpml.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/** Runs the fleet detector's topology as a Kafka Streams application ({@code xdpml fleet}). */
public final class FleetApp implements AutoCloseable {
    /** The Streams application id (consumer group, prefix of its internal topics) unless told otherwise. */
    public static final String DEFAULT_APPLICATION_ID = "xdpml-fleet";

    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * The application's Streams properties: String keys and values, records that cannot be
     * deserialized or that a processor fails on are logged, skipped and counted by Kafka Streams
     * (they never stop the application), exactly the properties the tests give TopologyTestDriver.
     *
     * @param extra any Kafka client or Streams property (TLS, SASL, ...), applied last
     */
    public static Properties properties(String bootstrap, String applicationId, String stateDir, Map<String, String> extra) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class.getName());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        if (stateDir != null) {
            p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        }
        if (extra != null) {
            p.putAll(extra);
        }
        return p;
    }

    public FleetApp(FleetTopology topology, Properties properties) {
        this.streams = new KafkaStreams(topology.build(), properties);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
    }

    /**
     * Creates the topics the application reads and writes where they are missing (single broker:
     * replication 1 when the cluster has fewer than 3 brokers, else 3; the blocks topic compacted).
     * Returns the topics it created.
     */
    public static List<String> ensureTopics(Properties properties, FleetTopology.Topics topics, boolean blocks, Consumer<String> log)
            throws Exception {
        try (Admin admin = Admin.create(properties)) {
            Set<String> have = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
            short rf = (short) Math.min(3, Math.max(1, brokers));
            List<NewTopic> want = new ArrayList<>();
            for (String t : new java.util.LinkedHashSet<>(List.of(topics.flows(), topics.alerts(), topics.alertsOut()))) {
                if (!have.contains(t)) {
                    want.add(new NewTopic(t, 1, rf));
                }
            }
            if (blocks && !have.contains(topics.blocks())) {
                want.add(new NewTopic(topics.blocks(), 1, rf).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            }
            if (!want.isEmpty()) {
                admin.createTopics(want).all().get(30, TimeUnit.SECONDS);
            }
            List<String> names = want.stream().map(NewTopic::name).toList();
            if (!names.isEmpty() && log != null) {
                log.accept("created topics " + names);
            }
            return names;
        }
    }

    public void start() {
        streams.start();
    }

    /** Waits until the application stopped by itself (an error) or the time is up; true when it stopped. */
    public boolean awaitStop(Duration d) throws InterruptedException {
        return stopped.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(10));
    }
}
