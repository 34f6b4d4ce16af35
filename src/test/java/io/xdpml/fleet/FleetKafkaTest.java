package io.xdpml.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The publisher, the topics and the blocks consumer against a real KRaft broker ({@link LocalBroker}):
 * records delivered in order, a compacted blocks topic, good, ended, removed and bad records on it,
 * and the broker away for a while (records kept, counted as pending, delivered when it is back).
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class FleetKafkaTest {
    static LocalBroker broker;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        broker = LocalBroker.start(KafkaRights.AUTHORIZER); // a test refuses a right for a while, to make a real consumer fail
        System.out.printf("broker up in %.1f s at %s%n", (System.nanoTime() - t0) / 1e9, broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    static List<ConsumerRecord<String, String>> readAll(String topic, int atLeast, Duration timeout) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(FleetBlockSync.consumerProperties(broker.bootstrapServers(), Map.of(),
                "test-reader"))) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long end = System.nanoTime() + timeout.toNanos();
            while (out.size() < atLeast && System.nanoTime() < end) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void publishesInOrderAndCreatesACompactedBlocksTopic() throws Exception {
        List<String> made = FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of("t.alerts", "t.flows"), "t.blocks",
                Duration.ofSeconds(10));
        assertThat(made).containsExactlyInAnyOrder("t.alerts", "t.flows", "t.blocks");
        assertThat(FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of("t.alerts", "t.flows"), "t.blocks",
                Duration.ofSeconds(10))).isEmpty();
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "t.blocks");
            Config c = a.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
            assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
        }
        int n = 20_000;
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 100_000)) {
            p.publish("t.flows", "warm", "{}");
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.publish("t.flows", "k" + (i % 7), "{\"event_type\":\"flow\",\"i\":" + i + "}");
            }
            long queued = System.nanoTime() - t0;
            assertThat(p.awaitDelivered(Duration.ofSeconds(60))).isTrue();
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("published %d records: queued in %.1f ms (%.0f ns each), delivered in %.2f s: %.0f records/s%n", n,
                    queued / 1e6, (double) queued / n, s, n / s);
            assertThat(p.counters().sent()).isEqualTo(n + 1);
            assertThat(p.counters().unsent()).isZero();
        }
        List<ConsumerRecord<String, String>> got = readAll("t.flows", n + 1, Duration.ofSeconds(30));
        assertThat(got).hasSize(n + 1);
        int last = -1;
        for (ConsumerRecord<String, String> r : got) { // one partition per key, in order per key
            if (r.key().equals("k3")) {
                int i = Integer.parseInt(r.value().replaceAll(".*\"i\":(\\d+)}", "$1"));
                assertThat(i).isGreaterThan(last);
                last = i;
            }
        }
    }

    /** What a target got. */
    static class Recording implements FleetBlockSync.Target {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public boolean apply(FleetBlock b, long expiresNanos) {
            if (b.target().startsWith("192.0.2.66")) {
                throw new IllegalArgumentException("refused");
            }
            events.add("apply " + b.key() + (expiresNanos == 0 ? " forever" : " expiring"));
            return true;
        }

        @Override
        public void remove(FleetBlock.Key key) {
            events.add("remove " + key);
        }
    }

    @Test
    void blocksConsumerAppliesGoodRecordsAndSkipsBadOnes() throws Exception {
        String topic = "t.blocks2";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        long now = System.currentTimeMillis();
        FleetBlock good = FleetBlock.prefix("192.0.2.7", "host-a", "portscan", List.of("r"), now, now + 60_000);
        FleetBlock forever = FleetBlock.prefix("198.51.100.0/24", "host-a", "manual", List.of(), now, 0);
        FleetBlock ended = FleetBlock.prefix("192.0.2.8", "host-a", "portscan", List.of(), now - 120_000, now - 60_000);
        FleetBlock refused = FleetBlock.prefix("192.0.2.66", "host-a", "portscan", List.of(), now, now + 60_000);
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 1000)) {
            p.publish(topic, good.key(), good.toJson());
            p.publish(topic, forever.key(), forever.toJson());
            p.publish(topic, ended.key(), ended.toJson());
            p.publish(topic, refused.key(), refused.toJson());
            p.publish(topic, "prefix:192.0.2.9/32", "not json");
            p.publish(topic, "prefix:192.0.2.9/32", "{\"type\":\"something.else\",\"target\":\"192.0.2.9/32\"}");
            p.publish(topic, "prefix:192.0.2.9/32", good.toJson()); // key and value disagree
            p.publish(topic, "prefix:0.0.0.0/0", good.toJson().replace("192.0.2.7/32", "0.0.0.0/0"));
            p.publish(topic, "prefix:192.0.2.10/33", good.toJson().replace("192.0.2.7/32", "192.0.2.10/33"));
            p.publish(topic, "nonsense", null); // a tombstone with a foreign key
            p.publish(topic, forever.key(), null); // removes it
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
            assertThat(p.counters().sent()).as(p.counters().toString()).isEqualTo(11);
        }
        Recording target = new Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = new FleetBlockSync(broker.bootstrapServers(), Map.of(), "test-sync", topic, false, target, log::add).start()) {
            long end = System.nanoTime() + 30_000_000_000L;
            while (!sync.counters().caughtUp() && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            FleetBlockSync.Counters c = sync.counters();
            assertThat(c.caughtUp()).isTrue();
            assertThat(c.records()).as(c + " " + log).isEqualTo(11);
            assertThat(c.applied()).isEqualTo(2);
            assertThat(c.expired()).isEqualTo(1);
            assertThat(c.failed()).isEqualTo(1);
            assertThat(c.bad()).isEqualTo(6);
            assertThat(c.removed()).isEqualTo(1);
            assertThat(c.unchanged()).isZero();
            assertThat(target.events).containsExactly("apply prefix:192.0.2.7/32 expiring", "apply prefix:198.51.100.0/24/24 forever"
                    .replace("/24/24", "/24"), "remove prefix:198.51.100.0/24");
            assertThat(log).anyMatch(l -> l.contains("skipped bad record") && l.contains("not JSON"));
            assertThat(log).anyMatch(l -> l.contains("does not match"));
            assertThat(log).anyMatch(l -> l.contains("wider than /8"));
            // a record published while it runs arrives at once
            FleetBlock late = FleetBlock.prefix("192.0.2.77", "host-b", "manual", List.of(), now, 0);
            try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 10)) {
                long t0 = System.nanoTime();
                p.publish(topic, late.key(), late.toJson());
                while (!target.events.contains("apply prefix:192.0.2.77/32 forever") && System.nanoTime() - t0 < 10_000_000_000L) {
                    Thread.sleep(2);
                }
                System.out.printf("a block published reached the consumer in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
                assertThat(target.events).contains("apply prefix:192.0.2.77/32 forever");
            }
        }
    }

    /**
     * A consumer that fails (here: the right to read the topic refused for a while, an ACL that
     * denies) is followed by a new one that replays the topic: it acts only on what changed while it
     * was away. Before, it applied every block still in force again, said so again ("FLEET BLOCKED"
     * twice) and counted it again, and applied the block of a key removed since, then removed it again.
     */
    @Test
    void aReplayAfterAConsumerFailureActsOnlyOnWhatChanged() throws Exception {
        String topic = "t.replay";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        long now = System.currentTimeMillis();
        FleetBlock held = FleetBlock.prefix("192.0.2.21", "host-a", "portscan", List.of("r"), now, now + 600_000);
        FleetBlock forever = FleetBlock.prefix("198.51.100.0/24", "host-a", "manual", List.of(), now, 0);
        FleetBlock ended = FleetBlock.prefix("192.0.2.22", "host-a", "portscan", List.of(), now - 120_000, now - 60_000);
        FleetBlock removedBefore = FleetBlock.prefix("192.0.2.23", "host-a", "portscan", List.of(), now, now + 600_000);
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 1000)) {
            for (FleetBlock b : List.of(held, forever, ended, removedBefore)) {
                p.publish(topic, b.key(), b.toJson());
            }
            p.publish(topic, removedBefore.key(), null); // its tombstone, not yet compacted away
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
        }
        Recording target = new Recording();
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (FleetBlockSync sync = new FleetBlockSync(broker.bootstrapServers(), Map.of(), "test-replay", topic, false, target, log::add)
                .start()) {
            await(() -> sync.counters().caughtUp(), 30);
            FleetBlockSync.Counters first = sync.counters();
            assertThat(first).as(log.toString()).extracting(FleetBlockSync.Counters::records, FleetBlockSync.Counters::applied,
                    FleetBlockSync.Counters::expired, FleetBlockSync.Counters::removed).containsExactly(5L, 3L, 1L, 1L);
            List<String> before = List.copyOf(target.events);

            KafkaRights.denyRead(broker.bootstrapServers(), topic);
            await(() -> log.stream().anyMatch(l -> l.contains("TopicAuthorizationException")), 30);
            assertThat(log).as("the consumer failed").anyMatch(l -> l.contains("the consumer of " + topic + " failed"));
            // while it is away: a new block, and the first one removed
            FleetBlock added = FleetBlock.prefix("192.0.2.24", "host-b", "portscan", List.of(), now, now + 600_000);
            try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 1000)) {
                p.publish(topic, added.key(), added.toJson());
                p.publish(topic, held.key(), null);
                assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
            }
            KafkaRights.allowRead(broker.bootstrapServers(), topic);
            await(() -> sync.counters().records() >= first.records() + 7, 60);

            FleetBlockSync.Counters after = sync.counters();
            assertThat(after.records()).as(log.toString()).isEqualTo(first.records() + 7);
            assertThat(target.events.subList(before.size(), target.events.size())).as("what the replay did")
                    .containsExactly("apply prefix:192.0.2.24/32 expiring", "remove prefix:192.0.2.21/32");
            assertThat(after.applied() - first.applied()).isEqualTo(1);
            assertThat(after.removed() - first.removed()).isEqualTo(1);
            assertThat(after.expired() - first.expired()).isZero();
            assertThat(after.unchanged()).as("the five records read before").isEqualTo(5);
            assertThat(log.stream().filter(l -> l.startsWith("FLEET BLOCKED 192.0.2.21/32"))).as(log.toString()).hasSize(1);
            assertThat(log.stream().filter(l -> l.startsWith("FLEET BLOCKED 198.51.100.0/24"))).hasSize(1);
            assertThat(log.stream().filter(l -> l.startsWith("FLEET UNBLOCKED 192.0.2.23/32"))).hasSize(1);
            assertThat(log).contains("FLEET UNBLOCKED 192.0.2.21/32");
        } finally {
            KafkaRights.allowRead(broker.bootstrapServers(), topic);
        }
    }

    static void await(java.util.function.BooleanSupplier condition, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    @Test
    @org.junit.jupiter.api.Order(9) // last: it stops and restarts the broker
    void brokerAwayRecordsWaitAndArrive() throws Exception {
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of("t.outage"), null, Duration.ofSeconds(10));
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 1000)) {
            p.publish("t.outage", "a", "before");
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
            broker.stop();
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                p.publish("t.outage", "a", "during " + i);
            }
            assertThat((System.nanoTime() - t0) / 1e6).as("publish never waits (ms)").isLessThan(500);
            Thread.sleep(3000);
            FleetPublisher.Counters away = p.counters();
            System.out.println("broker away: " + away);
            assertThat(away.sent()).isEqualTo(1);
            assertThat(away.pending()).isEqualTo(100);
            assertThat(p.publish("t.outage", "a", "during 100")).isTrue();
            broker.restart();
            assertThat(p.awaitDelivered(Duration.ofSeconds(60))).isTrue();
            assertThat(p.counters().sent()).as(p.counters().toString()).isEqualTo(102);
            assertThat(p.counters().failed()).isZero();
        }
        List<ConsumerRecord<String, String>> got = readAll("t.outage", 102, Duration.ofSeconds(30));
        assertThat(got).hasSize(102);
        assertThat(got.get(101).value()).isEqualTo("during 100");
    }
}
