package io.xdpml.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/** Creates the fleet's topics when they are missing: alerts and flows as the broker's defaults say, the blocks topic compacted. */
public final class FleetTopics {
    private FleetTopics() {}

    /** Admin client properties: {@code properties} (security) over the bootstrap servers. */
    static Map<String, Object> adminProperties(String bootstrap, Map<String, String> properties, Duration timeout) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.putAll(properties);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        // producer/consumer-only properties make the admin client log warnings, nothing worse
        return p;
    }

    /**
     * Creates those of {@code plain} and {@code compacted} (null entries ignored) that do not exist;
     * returns the names it created.
     *
     * @throws Exception when the broker cannot be reached within {@code timeout} or refuses
     */
    public static List<String> ensure(String bootstrap, Map<String, String> properties, List<String> plain, String compacted,
            Duration timeout) throws Exception {
        try (Admin admin = Admin.create(adminProperties(bootstrap, properties, timeout))) {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> create = new ArrayList<>();
            for (String t : plain) {
                if (t != null && !existing.contains(t)) {
                    create.add(new NewTopic(t, Optional.empty(), Optional.empty()));
                }
            }
            if (compacted != null && !existing.contains(compacted)) {
                create.add(new NewTopic(compacted, Optional.of(1), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            }
            if (create.isEmpty()) {
                return List.of();
            }
            try {
                admin.createTopics(create).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw e; // another agent creating it at the same time is fine
                }
            }
            return create.stream().map(NewTopic::name).toList();
        }
    }

    /** The topic's {@code cleanup.policy}; null when it cannot be read (broker away, no DescribeConfigs right). */
    public static String cleanupPolicy(String bootstrap, Map<String, String> properties, String topic, Duration timeout) {
        try (Admin admin = Admin.create(adminProperties(bootstrap, properties, timeout))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(r);
            ConfigEntry e = c == null ? null : c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            return e == null ? null : e.value();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    /** The topic's {@code delete.retention.ms} (how long a tombstone outlives its compaction), or null when it cannot be read now. */
    public static Long deleteRetentionMs(String bootstrap, Map<String, String> properties, String topic, Duration timeout) {
        try (Admin admin = Admin.create(adminProperties(bootstrap, properties, timeout))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(r);
            ConfigEntry e = c == null ? null : c.get(TopicConfig.DELETE_RETENTION_MS_CONFIG);
            return e == null || e.value() == null ? null : Long.valueOf(e.value());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}
