package io.xdpml.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The blocks topic as the cluster describes it now, asked by the blocks consumer every few seconds:
 * one small request (a DescribeTopics of one topic), which the consumer's own metadata cannot
 * answer: it keeps the partitions it was assigned, and does not tell a topic created anew (a new
 * topic id) from the one it read. One admin client, kept open, on the consumer's thread only; one
 * question in flight at a time.
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

    /** The question in flight (null: none), and when it was asked (System.nanoTime). */
    private KafkaFuture<Map<String, TopicDescription>> pending;
    private long askedAt;

    /** Asks and waits for the answer (at most the timeout). */
    Seen look() {
        ask();
        try {
            pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // told below
        } catch (ExecutionException e) {
            // told below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending = null;
            return new Unreachable("interrupted");
        }
        Seen s = answer();
        return s != null ? s : timedOut();
    }

    /** Asks anew (a question in flight, asked earlier, is dropped) and waits for the answer (at most the timeout). */
    Seen lookAnew() {
        if (pending != null) {
            pending.cancel(true);
            pending = null;
        }
        return look();
    }

    /**
     * The answer once it is in, else null at once (asking when nothing is in flight): the consumer's
     * thread reads records meanwhile, where waiting on a slow broker held each block back by up
     * to the timeout (seen at 2.3 s under load). After the timeout without an answer: unreachable.
     */
    Seen lookIfAnswered() {
        ask();
        Seen s = answer();
        if (s == null && System.nanoTime() - askedAt >= timeout.toNanos()) {
            return timedOut();
        }
        return s;
    }

    private void ask() {
        if (admin == null) {
            admin = Admin.create(properties);
        }
        if (pending == null) {
            pending = admin.describeTopics(List.of(topic)).allTopicNames();
            askedAt = System.nanoTime();
        }
    }

    private Seen timedOut() {
        pending.cancel(true);
        pending = null;
        return new Unreachable("no answer within " + timeout.toMillis() + " ms");
    }

    /** What the question in flight got, or null while it has no answer. */
    private Seen answer() {
        if (!pending.isDone()) {
            return null;
        }
        KafkaFuture<Map<String, TopicDescription>> f = pending;
        pending = null;
        try {
            TopicDescription d = f.get().get(topic);
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
        } catch (java.util.concurrent.CancellationException e) {
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
