package io.xdpml.fleet;

import io.xdpml.processor.Mitigation;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Applies the fleet's blocks topic to this host: a consumer of its own, with no consumer group
 * (every partition assigned, read from the beginning: each host sees every record), on a thread of
 * its own. A record with a value is a block ({@link FleetBlock#parse}): applied with its remaining
 * time, skipped when it has ended; a tombstone (null value) removes its key's block. A record that
 * does not parse (foreign JSON, bad prefix, key and value that disagree, ...) is skipped, counted
 * and logged, never applied in part; a block the target refuses (an address the kernel maps do not
 * take) is counted as failed. A restarted host replays the topic: compaction keeps each key's last
 * record, so the replay ends with the fleet's current blocks. A new consumer after a failure replays
 * it too, but acts only on what changed ({@link LastRecords}): a record acted on already, one older
 * than its key's record acted on, or one holding what its key holds here already is skipped, not
 * applied, removed, said or counted again (counted as unchanged).
 *
 * <p>The consumer is created, and does all its network I/O, on the thread of {@link #start}'s
 * caller's network namespace (the thread is started from it).
 */
public final class FleetBlockSync implements AutoCloseable {
    /** Where the blocks go (the agent's kernel maps). Called on the sync's thread. */
    public interface Target {
        /**
         * Applies {@code block} until monotonic time {@code expiresNanos} (0: until removed); throws
         * when it cannot. False when it wrote nothing: a longer entry is there already and stays.
         */
        boolean apply(FleetBlock block, long expiresNanos);

        /** Removes what {@link #apply} wrote for {@code key} (a tombstone); nothing when there is none. */
        void remove(FleetBlock.Key key);
    }

    /**
     * Counters: records read, blocks applied, removed (tombstones), skipped as ended, bad (skipped),
     * failed (refused by the target), unchanged (read again by a replay, or holding what is in force
     * here already: skipped).
     */
    public record Counters(long records, long applied, long removed, long expired, long bad, long failed, long unchanged,
            boolean caughtUp) {}

    /** Bad records logged one by one; after that one line per {@link #LOG_EVERY}. */
    static final int LOG_FIRST = 20;
    static final int LOG_EVERY = 1000;

    /** Between two consumers after a failure: from 1 s, doubling, up to this. */
    static final long RETRY_MAX_MS = 30_000;
    /** Failures of the consumer, and the topic missing, are said at most once per this. */
    static final long SAY_EVERY_MS = 60_000;

    private final String bootstrap;
    private final Map<String, String> clientProperties;
    private final Map<String, Object> properties;
    private final String topic;
    private final boolean createTopic;
    private final Target target;
    private final Consumer<String> log;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong removed = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong bad = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong unchanged = new AtomicLong();
    /** What was acted on per key, across consumers (the sync's thread only). */
    private final LastRecords last = new LastRecords();
    private volatile boolean caughtUp;
    private volatile boolean stop;
    private volatile KafkaConsumer<String, String> consumer;
    private boolean policyChecked;
    /** Whether the current consumer has replayed the topic (the sync's thread only). */
    private boolean replayed;
    private Thread thread;

    /**
     * The consumer's properties: xdpml's defaults, then {@code properties} over them; never a group,
     * never creating the topic (a topic the broker created for a consumer would not be compacted).
     */
    public static Map<String, Object> consumerProperties(String bootstrap, Map<String, String> properties, String clientId) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ConsumerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "1000");
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!e.getKey().equals(ConsumerConfig.GROUP_ID_CONFIG)) {
                p.put(e.getKey(), e.getValue());
            }
        }
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }

    /** @param createTopic whether a missing topic is created (compacted, {@link FleetTopics#ensure}) while waiting for it */
    public FleetBlockSync(String bootstrap, Map<String, String> properties, String clientId, String topic, boolean createTopic,
            Target target, Consumer<String> log) {
        this.bootstrap = bootstrap;
        this.clientProperties = Map.copyOf(properties);
        this.properties = consumerProperties(bootstrap, properties, clientId);
        this.topic = topic;
        this.createTopic = createTopic;
        this.target = target;
        this.log = log;
    }

    /** Starts the thread (from the caller's thread: its network namespace). */
    public FleetBlockSync start() {
        thread = Thread.ofPlatform().name("xdpml-fleet-blocks").daemon().start(this::loop);
        return this;
    }

    /**
     * Runs consumers until {@link #close}: one that fails (the broker away while it seeks, a right
     * refused, ...) is closed and, after a pause (1 s, doubling up to 30 s), a new one replays the
     * topic from the beginning, as at start, acting only on what changed since ({@link LastRecords}).
     */
    private void loop() {
        int failures = 0;
        long saidAt = 0;
        int unsaid = 0;
        while (!stop) {
            try {
                consume();
            } catch (WakeupException e) {
                // closing (stop is set)
            } catch (RuntimeException e) {
                if (stop) {
                    break;
                }
                if (replayed) { // it had replayed the topic: a new failure, from the shortest pause
                    failures = 0;
                }
                long wait = Math.min(RETRY_MAX_MS, 1000L << Math.min(failures++, 5));
                long now = System.currentTimeMillis();
                if (now - saidAt >= SAY_EVERY_MS) {
                    log.accept("fleet blocks: the consumer of " + topic + " failed: " + e + (unsaid > 0 ? " (and " + unsaid
                            + " times since the last line)" : "") + "; a new one in " + wait / 1000
                            + " s replays the topic from the beginning (only what changed is applied or removed)");
                    saidAt = now;
                    unsaid = 0;
                } else {
                    unsaid++;
                }
                pause(wait);
            }
        }
    }

    /** One consumer: assigned every partition of the topic, read from the beginning, until {@link #close}; throws what its client throws. */
    private void consume() {
        replayed = false;
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(properties)) {
            consumer = c;
            if (stop) {
                return;
            }
            List<TopicPartition> parts = partitions(c);
            if (parts.isEmpty()) {
                return; // stopped
            }
            checkPolicy();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = new LinkedHashMap<>();
            Map<Integer, Long> lastOffsets = new HashMap<>(); // of this consumer: offsets only grow, unless a log starts again
            while (!stop) {
                if (!replayed && ends.isEmpty()) {
                    try {
                        ends.putAll(c.endOffsets(parts, Duration.ofSeconds(2)));
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        continue; // the broker away: nothing is read before the ends are known (a log that started again is told by them)
                    }
                    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                        if (e.getValue() <= last.highestOffset(e.getKey().partition())) {
                            logStartedAgain(e.getKey().partition());
                        }
                    }
                }
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    Long before = lastOffsets.put(r.partition(), r.offset());
                    if (before != null && r.offset() <= before) {
                        logStartedAgain(r.partition()); // the consumer was reset to the beginning of a new log
                    }
                    handle(r.key(), r.value(), r.partition(), r.offset());
                }
                if (!replayed && !ends.isEmpty()) {
                    boolean all = true;
                    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                        all &= c.position(e.getKey()) >= e.getValue();
                    }
                    if (all) {
                        replayed = true;
                        caughtUp = true;
                        log.accept("fleet blocks: replayed " + topic + " (" + applied.get() + " applied, " + expired.get() + " ended, "
                                + removed.get() + " removed, " + bad.get() + " bad" + (unchanged.get() > 0 ? ", " + unchanged.get()
                                + " unchanged" : "") + ")");
                    }
                }
            }
        } finally {
            consumer = null;
        }
    }

    /**
     * The log of {@code partition} started again (the topic deleted and created anew, or truncated):
     * its offsets no longer say which record came first, so its records are compared by what they hold.
     */
    private void logStartedAgain(int partition) {
        if (last.highestOffset(partition) >= 0) {
            last.forgetPlaces(partition);
            log.accept("fleet blocks: " + topic + "-" + partition + " starts again below the records read before (created anew?):"
                    + " its records are compared by what they hold");
        }
    }

    /** Every partition of the topic, waiting for it while the broker is away or the topic missing; empty when stopped. */
    private List<TopicPartition> partitions(KafkaConsumer<String, String> c) {
        long saidAt = 0;
        long createdAt = 0;
        while (!stop) {
            List<PartitionInfo> infos = null;
            try {
                infos = c.partitionsFor(topic, Duration.ofSeconds(2));
            } catch (WakeupException e) {
                throw e;
            } catch (RuntimeException e) {
                // broker away: try again
            }
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            long now = System.currentTimeMillis();
            if (infos != null && createTopic && now - createdAt >= RETRY_MAX_MS) { // the broker answered: no such topic
                createdAt = now;
                try {
                    if (!FleetTopics.ensure(bootstrap, clientProperties, List.of(), topic, Duration.ofSeconds(5)).isEmpty()) {
                        log.accept("fleet blocks: created the topic " + topic + " (compacted)");
                    }
                } catch (Exception e) {
                    if (now - saidAt >= SAY_EVERY_MS) {
                        log.accept("fleet blocks: the topic " + topic + " is missing and could not be created (" + e + "); waiting for it");
                        saidAt = now;
                    }
                }
            } else if (infos != null && now - saidAt >= SAY_EVERY_MS) {
                log.accept("fleet blocks: the topic " + topic + " is missing; waiting for it" + (createTopic ? "" : " (create-topics is off)"));
                saidAt = now;
            }
            pause(500);
        }
        return List.of();
    }

    /** Says once when the topic is not compacted: the broker then deletes blocks past its retention, and a restarted agent misses them. */
    private void checkPolicy() {
        if (policyChecked) {
            return;
        }
        String policy = FleetTopics.cleanupPolicy(bootstrap, clientProperties, topic, Duration.ofSeconds(5));
        if (policy == null) {
            return; // not readable now (broker away, no DescribeConfigs right): asked again by the next consumer
        }
        policyChecked = true;
        if (!policy.contains(org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_COMPACT)) {
            log.accept("fleet blocks: WARNING the topic " + topic + " has cleanup.policy=" + policy + ", not compact: the broker deletes"
                    + " blocks past its retention and a restarted agent does not get them back (docs/fleet.md, \"The blocks topic\")");
        }
    }

    /** Handles one record (the key and value as read; value null: a tombstone). Package-private for the tests. */
    void handle(String key, String value, int partition, long offset) {
        records.incrementAndGet();
        if (value == null) {
            FleetBlock.Key k;
            try {
                k = FleetBlock.parseKey(key);
            } catch (RuntimeException e) { // IllegalArgumentException, or anything a bad key throws: never the consumer's end
                bad(key, partition, offset, String.valueOf(e.getMessage()));
                return;
            }
            if (last.changesNothing(key, null, partition, offset)) {
                unchanged.incrementAndGet();
                return;
            }
            try {
                target.remove(k);
                last.actedOn(key, null, partition, offset);
                removed.incrementAndGet();
                log.accept("FLEET UNBLOCKED " + k.target());
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                log.accept("fleet blocks: removing " + k + " failed: " + e.getMessage());
            }
            return;
        }
        FleetBlock b;
        try {
            b = FleetBlock.parse(key, value);
        } catch (RuntimeException e) {
            bad(key, partition, offset, String.valueOf(e.getMessage()));
            return;
        }
        if (last.changesNothing(b.key(), b, partition, offset)) {
            unchanged.incrementAndGet();
            return;
        }
        long nowMs = System.currentTimeMillis();
        if (b.expiredAt(nowMs)) {
            last.actedOn(b.key(), b, partition, offset); // an older record of the key, ending later, is still older
            expired.incrementAndGet();
            return;
        }
        long remaining = b.remainingMs(nowMs);
        long expiresNanos = expiresNanos(remaining, System.nanoTime());
        try {
            boolean wrote = target.apply(b, expiresNanos);
            last.actedOn(b.key(), b, partition, offset);
            applied.incrementAndGet();
            log.accept((wrote ? "FLEET BLOCKED " : "FLEET BLOCK KEPT ") + b.target()
                    + (expiresNanos == 0 ? " until removed" : " for " + (remaining + 999) / 1000 + " s") + " (" + b.detector() + " on " + b.host() + ")"
                    + (wrote ? "" : ": a longer block of it is here already and stays"));
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            log.accept("fleet blocks: " + b.key() + " from " + b.host() + " not applied: " + e.getMessage());
        }
    }

    /**
     * The monotonic expiry of a block with {@code remainingMs} left (-1: none) at {@code nowNanos}: 0
     * (until removed) for none, and for one so far ahead that the clock cannot count to it: past
     * {@link Mitigation#UNTIL_REMOVED} (2^62 ns, 146 years of uptime), where expiries never come,
     * or past a long ({@code until_ms} 9999-12-31 would wrap to a negative expiry, which the
     * kernel, comparing unsigned, never reaches, while the agent takes it for ended).
     */
    static long expiresNanos(long remainingMs, long nowNanos) {
        if (remainingMs < 0) {
            return 0;
        }
        try {
            long e = Math.addExact(nowNanos, Math.multiplyExact(remainingMs, 1_000_000L));
            return e >= Mitigation.UNTIL_REMOVED ? 0 : e;
        } catch (ArithmeticException overflow) {
            return 0;
        }
    }

    private void bad(String key, int partition, long offset, String why) {
        long n = bad.incrementAndGet();
        if (n <= LOG_FIRST || n % LOG_EVERY == 0) {
            log.accept("fleet blocks: skipped bad record " + topic + "-" + partition + "@" + offset + " key "
                    + (key == null ? "null" : "'" + abbreviate(key) + "'") + ": " + why + (n == LOG_FIRST ? " (further ones counted, logged every "
                    + LOG_EVERY + ")" : ""));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Waits {@code ms}, or less when closed (an interrupt closes too). */
    private void pause(long ms) {
        long end = System.nanoTime() + ms * 1_000_000L;
        try {
            while (!stop && end - System.nanoTime() > 0) {
                Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
            }
        } catch (InterruptedException e) {
            stop = true;
        }
    }

    public Counters counters() {
        return new Counters(records.get(), applied.get(), removed.get(), expired.get(), bad.get(), failed.get(), unchanged.get(), caughtUp);
    }

    @Override
    public void close() {
        stop = true;
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
