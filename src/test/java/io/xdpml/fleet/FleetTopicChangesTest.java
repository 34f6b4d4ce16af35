package io.xdpml.fleet;

import static io.xdpml.fleet.FleetKafkaTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The blocks topic changing under a running blocks consumer, on a real KRaft broker ({@link
 * LocalBroker}): partitions added, the topic deleted and created anew, a tombstone compacted away
 * while the consumer could not read, the broker stopped and started again.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class FleetTopicChangesTest {
    static LocalBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = LocalBroker.start(KafkaRights.AUTHORIZER); // a right refused for a while makes the consumer fail
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    static Admin admin() {
        return Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    /** Sends each block to the partition given beside it (as a producer with another partitioner would). */
    static void sendTo(String topic, int partition, FleetBlock b) throws Exception {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(), ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            p.send(new ProducerRecord<>(topic, partition, b.key(), b.toJson())).get(20, TimeUnit.SECONDS);
        }
    }

    static void publish(String topic, String key, String value) throws InterruptedException {
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 100)) {
            p.publish(topic, key, value);
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
        }
    }

    static FleetBlock block(String prefix) {
        return FleetBlock.prefix(prefix, "host-a", "portscan", List.of(), System.currentTimeMillis(), 0);
    }

    static FleetBlockSync sync(String topic, FleetKafkaTest.Recording target, List<String> log) {
        return new FleetBlockSync(broker.bootstrapServers(), Map.of(), "test-" + topic, topic, false, target, log::add)
                .checkingEvery(Duration.ofMillis(300)).start();
    }

    static void show(String test, List<String> log) {
        synchronized (log) {
            log.forEach(l -> System.out.println(test + " | " + l));
        }
    }

    static long count(List<String> log, String text) {
        synchronized (log) {
            return log.stream().filter(l -> l.contains(text)).count();
        }
    }

    /**
     * Partitions added to the topic while the consumer runs are read from their beginning. Before,
     * the consumer's assignment was fixed at its start: blocks whose keys hashed to a new partition
     * never reached a running agent.
     */
    @Test
    @Order(1)
    void partitionsAddedWhileRunningAreRead() throws Exception {
        String topic = "t.grow";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            sendTo(topic, 0, block("192.0.2.1"));
            await(() -> sync.counters().caughtUp() && sync.counters().applied() == 1, 30);
            assertThat(sync.counters().partitions()).isEqualTo(1);
            try (Admin a = admin()) {
                a.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get(20, TimeUnit.SECONDS);
            }
            sendTo(topic, 1, block("192.0.2.2")); // published before the consumer sees the partition: read from its beginning
            sendTo(topic, 2, block("192.0.2.3"));
            await(() -> sync.counters().applied() == 3, 15);
            assertThat(target.events).as(log.toString()).containsExactlyInAnyOrder("apply prefix:192.0.2.1/32 forever",
                    "apply prefix:192.0.2.2/32 forever", "apply prefix:192.0.2.3/32 forever"); // no order across partitions
            assertThat(sync.counters().partitions()).isEqualTo(3);
            assertThat(count(log, "3 partitions now")).as(log.toString()).isEqualTo(1);
            sendTo(topic, 2, block("192.0.2.4"));
            await(() -> sync.counters().applied() == 4, 15);
            assertThat(sync.counters().applied()).isEqualTo(4);
            assertThat(count(log, "partitions now")).as("said once").isEqualTo(1);
            show("grow", log);
        }
    }

    /**
     * Partitions added during the consumer's first full read of the topic, before its watch has
     * told them: the replay ends at their ends too, so "replayed" (and caught up) comes after what
     * they hold is applied. The target holds the consumer in its first apply while the partitions
     * are added and written to. Before 2026-12-06 the replay ended at the first partition's end:
     * "replayed ... (1 applied" and caught up, the new partitions read only afterwards (after a
     * topic created anew, the blocks they held were taken back meanwhile).
     */
    @Test
    @Order(1)
    void partitionsAddedDuringTheFirstReadAreInTheReplay() throws Exception {
        String topic = "t.growfirst";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        sendTo(topic, 0, block("192.0.2.21"));
        java.util.concurrent.CountDownLatch inFirstApply = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording() {
            @Override
            public boolean apply(FleetBlock b, long expiresNanos) {
                inFirstApply.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.apply(b, expiresNanos);
            }
        };
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            assertThat(inFirstApply.await(30, TimeUnit.SECONDS)).as("the first record reached the target").isTrue();
            try (Admin a = admin()) {
                a.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get(20, TimeUnit.SECONDS);
            }
            sendTo(topic, 1, block("192.0.2.22"));
            sendTo(topic, 2, block("192.0.2.23"));
            release.countDown();
            await(() -> count(log, "replayed " + topic) > 0, 30);
            show("growfirst", log);
            synchronized (log) {
                assertThat(log).as("the replay ends with the new partitions read").anyMatch(l -> l.contains("replayed " + topic + " (3 applied"));
            }
            assertThat(sync.counters().partitions()).isEqualTo(3);
            assertThat(target.events).containsExactlyInAnyOrder("apply prefix:192.0.2.21/32 forever",
                    "apply prefix:192.0.2.22/32 forever", "apply prefix:192.0.2.23/32 forever");
            assertThat(count(log, "partitions now")).as("said once").isEqualTo(1);
        }
    }

    /**
     * The topic deleted while the consumer runs: said once, with the state in the counters; the
     * blocks applied stay. Created anew with other records, it is read from its beginning: what it
     * holds is applied (a block still in force is not applied again), a tombstone at an offset the
     * deleted topic had read removes its block, and what only the deleted one held is taken back, as
     * a restarted agent would not have it. Before, the deletion was silent, and a record of the new
     * topic at or below its key's offset read in the deleted one was skipped as read already.
     */
    @Test
    @Order(2)
    void theTopicDeletedAndCreatedAnewIsSaidAndReadAgain() throws Exception {
        String topic = "t.recreate";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        FleetBlock a = block("192.0.2.10");
        FleetBlock b = block("192.0.2.11");
        FleetBlock e = block("192.0.2.12");
        for (FleetBlock x : List.of(a, b, e)) {
            publish(topic, x.key(), x.toJson());
        }
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            await(() -> sync.counters().caughtUp() && sync.counters().applied() == 3, 30);
            assertThat(sync.counters().applied()).isEqualTo(3);
            try (Admin ad = admin()) {
                ad.deleteTopics(List.of(topic)).all().get(20, TimeUnit.SECONDS);
            }
            await(() -> count(log, "was deleted") > 0, 15);
            assertThat(count(log, "was deleted")).as(log.toString()).isEqualTo(1);
            assertThat(sync.counters().state()).isEqualTo("topic-missing");
            Thread.sleep(1500);
            assertThat(count(log, topic + " was deleted")).as("said once: " + log).isEqualTo(1);
            assertThat(target.events).as("the blocks applied stay").hasSize(3);

            // created anew by hand, with more records than the deleted one had; not readable until they are all there
            KafkaRights.denyRead(broker.bootstrapServers(), topic);
            FleetBlock x = block("192.0.2.20");
            FleetBlock y = block("192.0.2.21");
            FleetBlock z = block("192.0.2.22");
            try {
                try (Admin ad = admin()) {
                    ad.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all()
                            .get(20, TimeUnit.SECONDS);
                }
                publish(topic, a.key(), a.toJson()); // @0: as before
                publish(topic, b.key(), null); // @1, where the deleted topic had b's block: a removal, not a record read already
                for (FleetBlock r : List.of(x, y, z)) {
                    publish(topic, r.key(), r.toJson());
                }
            } finally {
                KafkaRights.allowRead(broker.bootstrapServers(), topic);
            }
            await(() -> sync.counters().applied() == 6 && sync.counters().removed() == 2, 20);
            assertThat(target.events.subList(3, target.events.size())).as(log.toString()).containsExactlyInAnyOrder(
                    "apply prefix:192.0.2.20/32 forever", "apply prefix:192.0.2.21/32 forever", "apply prefix:192.0.2.22/32 forever",
                    "remove prefix:192.0.2.11/32", "remove prefix:192.0.2.12/32");
            assertThat(log).contains("FLEET UNBLOCKED 192.0.2.11/32"); // by its tombstone
            assertThat(count(log, "FLEET UNBLOCKED")).as("each said once").isEqualTo(2);
            assertThat(sync.counters().state()).isEqualTo("reading");
            assertThat(log).anyMatch(l -> l.startsWith("FLEET UNBLOCKED 192.0.2.12/32") && l.contains("no longer on the topic"));
            show("recreate", log);
        }
    }

    /** The keys of the records in the partition's log files (the broker's data directory), null when one is being rewritten. */
    static List<String> keysOnDisk(String topic) {
        Path dir = broker.directory().resolve("logs").resolve(topic + "-0");
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                try (FileRecords records = FileRecords.open(f.toFile(), false)) {
                    for (RecordBatch batch : records.batches()) {
                        for (Record r : batch) {
                            keys.add(r.hasKey() ? StandardCharsets.UTF_8.decode(r.key()).toString() : null);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return keys;
    }

    /**
     * A block removed fleet-wide while this consumer could not read (its right refused), the
     * tombstone compacted away before it reads again: the replay does not meet the key, and the
     * block is taken back at its end. Before, it stayed (a block "until removed": for good).
     */
    @Test
    @Order(3)
    void aBlockWhoseTombstoneWasCompactedAwayIsTakenBackByTheReplay() throws Exception {
        String topic = "t.compacted";
        createCompacted(topic, "0");
        FleetBlock gone = block("192.0.2.30");
        FleetBlock stays = block("192.0.2.31");
        publish(topic, gone.key(), gone.toJson());
        publish(topic, stays.key(), stays.toJson());
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            await(() -> sync.counters().caughtUp() && sync.counters().applied() == 2, 30);
            assertThat(sync.counters().applied()).isEqualTo(2);
            KafkaRights.denyRead(broker.bootstrapServers(), topic);
            try {
                await(() -> count(log, "the consumer of " + topic + " failed") > 0, 30);
                removeAndCompactAway(topic, gone, block("192.0.2.32"));
            } finally {
                KafkaRights.allowRead(broker.bootstrapServers(), topic);
            }
            await(() -> count(log, "fleet blocks: replayed " + topic) == 2, 60);
            assertThat(count(log, "fleet blocks: replayed " + topic)).as(log.toString()).isEqualTo(2);
            assertThat(target.events).as(log.toString()).containsExactly("apply prefix:192.0.2.30/32 forever",
                    "apply prefix:192.0.2.31/32 forever", "apply prefix:192.0.2.32/32 forever", "remove prefix:192.0.2.30/32");
            assertThat(log).anyMatch(l -> l.startsWith("FLEET UNBLOCKED 192.0.2.30/32") && l.contains("no longer on the topic"));
            show("compacted", log);
        }
    }

    /**
     * A consumer that goes on but does not read for longer than the topic keeps tombstones (here its
     * thread stalled in applying a block, as an agent cut off from the broker, or suspended, reads
     * nothing): a block's tombstone published meanwhile is compacted away before it reads on. Its
     * position no longer proven caught up for longer than half of delete.retention.ms (the limit's
     * floor, 10 s, here), it is replaced by a consumer that reads the topic from its beginning, and
     * that replay takes the block back. Before 2026-12-06 it read on from its position and the block
     * stayed (a block "until removed": for good).
     */
    @Test
    @Order(4)
    void aConsumerThatDidNotReadLongerThanTombstonesAreKeptReadsTheTopicAgain() throws Exception {
        String topic = "t.gap";
        createCompacted(topic, "2000");
        FleetBlock gone = block("192.0.2.50");
        FleetBlock stays = block("192.0.2.51");
        FleetBlock stalls = block("192.0.2.52");
        java.util.concurrent.CountDownLatch stalled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch goOn = new java.util.concurrent.CountDownLatch(1);
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording() {
            @Override
            public boolean apply(FleetBlock b, long expiresNanos) {
                if (b.key().equals(stalls.key()) && stalled.getCount() > 0) {
                    stalled.countDown();
                    try {
                        goOn.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.apply(b, expiresNanos);
            }
        };
        publish(topic, gone.key(), gone.toJson());
        publish(topic, stays.key(), stays.toJson());
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            await(() -> sync.counters().caughtUp() && sync.counters().applied() == 2, 30);
            publish(topic, stalls.key(), stalls.toJson());
            assertThat(stalled.await(30, TimeUnit.SECONDS)).as("the consumer's thread stalls").isTrue();
            long stalledAt = System.nanoTime();
            try {
                removeAndCompactAway(topic, gone, block("192.0.2.53"));
                while (System.nanoTime() - stalledAt < 12_000_000_000L) { // past the limit's floor (10 s)
                    Thread.sleep(100);
                }
            } finally {
                goOn.countDown();
            }
            await(() -> target.events.contains("remove prefix:192.0.2.50/32"), 60);
            show("gap", log);
            assertThat(target.events).as(log.toString()).contains("apply prefix:192.0.2.52/32 forever", "remove prefix:192.0.2.50/32")
                    .doesNotContain("remove prefix:192.0.2.51/32", "remove prefix:192.0.2.52/32");
            assertThat(log).anyMatch(l -> l.contains("was not known caught up") && l.contains("delete.retention.ms, 2000 ms"));
            assertThat(log).anyMatch(l -> l.startsWith("FLEET UNBLOCKED 192.0.2.50/32") && l.contains("no longer on the topic"));
            assertThat(count(log, "the consumer of " + topic + " failed")).as("no failure: " + log).isZero();
        }
    }

    /**
     * The broker stopped while the consumer runs: said once, plainly, with the state in the
     * counters; said again when it is back, and what was published then arrives. Before, nothing
     * was said (the client's own logs are below the agent's level).
     */
    @Test
    @Order(9) // last: it stops and restarts the broker
    void theBrokerAwayIsSaidOnceAndReadingResumes() throws Exception {
        String topic = "t.away";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        FleetKafkaTest.Recording target = new FleetKafkaTest.Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = sync(topic, target, log)) {
            await(() -> sync.counters().caughtUp(), 30);
            broker.stop();
            await(() -> count(log, "unreachable") > 0, 20);
            Thread.sleep(4000);
            assertThat(count(log, "unreachable")).as("said once: " + log).isEqualTo(1);
            assertThat(sync.counters().state()).isEqualTo("broker-unreachable");
            broker.restart();
            FleetBlock b = block("192.0.2.40");
            publish(topic, b.key(), b.toJson());
            await(() -> sync.counters().applied() == 1 && count(log, "reachable again") > 0, 30);
            assertThat(target.events).as(log.toString()).containsExactly("apply prefix:192.0.2.40/32 forever");
            assertThat(count(log, "reachable again")).as(log.toString()).isEqualTo(1);
            assertThat(sync.counters().state()).isEqualTo("reading");
            show("away", log);
        }
    }

    /** A compacted topic of one partition that the broker compacts within seconds, tombstones kept {@code deleteRetentionMs}. */
    private void createCompacted(String topic, String deleteRetentionMs) throws Exception {
        try (Admin ad = admin()) {
            ad.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact", "segment.ms", "100",
                    "delete.retention.ms", deleteRetentionMs, "min.cleanable.dirty.ratio", "0.01", "min.compaction.lag.ms", "0")))).all()
                    .get(20, TimeUnit.SECONDS);
        }
    }

    /** Publishes {@code gone}'s tombstone, then {@code filler} until the cleaner has compacted both away (at most 60 s). */
    private void removeAndCompactAway(String topic, FleetBlock gone, FleetBlock filler) throws Exception {
        publish(topic, gone.key(), null);
        long end = System.nanoTime() + 60_000_000_000L;
        List<String> keys = keysOnDisk(topic);
        while ((keys == null || keys.contains(gone.key())) && System.nanoTime() < end) {
            publish(topic, filler.key(), filler.toJson()); // new segments for the cleaner
            Thread.sleep(200);
            keys = keysOnDisk(topic);
        }
        assertThat(keys).as("the block and its tombstone compacted away").isNotNull().doesNotContain(gone.key());
    }
}
