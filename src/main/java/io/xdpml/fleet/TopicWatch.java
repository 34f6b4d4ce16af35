package io.xdpml.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The blocks topic as the cluster describes it now, asked by the blocks consumer every few seconds:
 * one small request (a DescribeTopics of one topic), which the consumer's own metadata cannot
 * answer: it keeps the partitions it was assigned, and does not tell a topic created anew (a new
 * topic id) from the one it read. One admin client, kept open, on the consumer's thread only.
 */
final class TopicWatch implements AutoCloseable {
    /** What a look found. */
    sealed interface Seen {}

    /** The topic, with its id (a topic created anew has another) and its number of partitions. */
    record Present(Uuid id, int partitions) implements Seen {}

    /** The broker answered: no such topic (deleted, or never created). */
    record Missing() implements Seen {}

    /** No answer within the timeout: the broker away, or the network. */
    record Unreachable(String why) implements Seen {}

    /** Not allowed to describe the topic (no Describe right): nothing to watch with. */
    record NotAllowed(String why) implements Seen {}

    private final String topic;
    private final Map<String, Object> properties;
    private final Duration timeout;
    private Admin admin;

    TopicWatch(String bootstrap, Map<String, String> clientProperties, String topic, Duration timeout) {
        Map<String, Object> p = FleetTopics.adminProperties(bootstrap, clientProperties, timeout);
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1000);
        this.properties = p;
        this.topic = topic;
        this.timeout = timeout;
    }

    Seen look() {
        if (admin == null) {
            admin = Admin.create(properties);
        }
        try {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            return new Present(d.topicId(), d.partitions().size());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UnknownTopicOrPartitionException) {
                return new Missing();
            }
            if (c instanceof org.apache.kafka.common.errors.TimeoutException) {
                return new Unreachable("no answer within " + timeout.toMillis() + " ms");
            }
            if (c instanceof TopicAuthorizationException) {
                return new NotAllowed(c.getMessage());
            }
            return new Unreachable(String.valueOf(c));
        } catch (java.util.concurrent.TimeoutException e) {
            return new Unreachable("no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Unreachable("interrupted");
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }
}
