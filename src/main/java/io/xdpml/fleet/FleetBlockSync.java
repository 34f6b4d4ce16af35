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
 * applied, removed, said or counted again (counted as unchanged). At the end of such a replay, a
 * block whose key the topic no longer holds (its tombstone compacted away meanwhile) is taken back.
 * A consumer that goes on, but whose position has not been proven caught up with the topic's end
 * for longer than half the topic's {@code delete.retention.ms} (cut off from the broker, its thread
 * stalled, the host suspended), may have missed a tombstone compacted away meanwhile: it is replaced
 * by a new one, whose replay takes such blocks back ({@link #provenAtMs}).
 * The topic is described every few seconds ({@link TopicWatch}): partitions added are read from
 * their beginning, a deletion is said (and a topic created anew read as new), the broker not
 * answering is said once.
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
            boolean caughtUp, String state, int partitions) {}

    /** {@link Counters#state}: the topic read, as far as this agent knows. */
    static final String STARTING = "starting", READING = "reading", TOPIC_MISSING = "topic-missing", BROKER_UNREACHABLE = "broker-unreachable";

    /**
     * Thrown to start a new consumer at once, with no failure said: the topic was deleted, or created
     * anew, or the consumer's position is older than the topic's tombstones are kept.
     */
    private static final class TopicChanged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TopicChanged() {
            super(null, null, false, false);
        }
    }

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
    /** How often the topic is described ({@link TopicWatch}): partitions added, the topic deleted or created anew, the broker away. */
    private long checkEveryMs = 5_000;
    /** The sync's thread only, from here on. */
    private TopicWatch watch;
    /** The id of the topic read (a topic created anew has another); null before it is known. */
    private org.apache.kafka.common.Uuid topicId;
    /** Since when the broker does not answer (ms; 0: it answers). */
    private long unreachableSince;
    /** When the topic was said to be missing (ms; 0: it is there). */
    private long missingSaidAt;
    /** The keys met by the current consumer's replay, until it has replayed the topic. */
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private volatile String state = STARTING;
    /** The topic's delete.retention.ms as last read (Kafka's default, 24 h, until read). */
    private long deleteRetentionMs = 86_400_000L;
    /**
     * Wall time (ms) before which every record the topic had is known to have been read: the time
     * its end offsets were asked, once the consumer's positions reached them. A tombstone written
     * after it is kept by the broker at least delete.retention.ms after it; a consumer whose proof is
     * older than half that is replaced (its replay meets the topic as it is, and takes back what the
     * topic no longer holds). 0: none yet. The sync's thread only.
     */
    private long provenAtMs;
    /** The end offsets asked to prove the position (null: none pending), and when they were asked. */
    private Map<TopicPartition, Long> proving;
    private long provingAtMs;
    private volatile int partitionCount;

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

    /** How often the topic is described (default 5 s); before {@link #start}. */
    FleetBlockSync checkingEvery(Duration d) {
        checkEveryMs = d.toMillis();
        return this;
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
        watch = new TopicWatch(bootstrap, clientProperties, topic, Duration.ofSeconds(2));
        while (!stop) {
            try {
                consume();
            } catch (WakeupException e) {
                // closing (stop is set)
            } catch (TopicChanged e) {
                failures = 0; // said where it was found; a new consumer reads the topic from its beginning
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
        watch.close();
    }

    /** One consumer: assigned every partition of the topic, read from the beginning, until {@link #close}; throws what its client throws. */
    private void consume() {
        replayed = false;
        seen.clear();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(properties)) {
            consumer = c;
            if (stop) {
                return;
            }
            List<TopicPartition> parts = partitions(c);
            if (parts.isEmpty()) {
                return; // stopped
            }
            partitionCount = parts.size();
            checkPolicy();
            Long retention = FleetTopics.deleteRetentionMs(bootstrap, clientProperties, topic, Duration.ofSeconds(5));
            if (retention != null) {
                deleteRetentionMs = retention;
            }
            proving = null;
            long endsAtMs = 0;
            long proveAt = 0;
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = new LinkedHashMap<>();
            Map<Integer, Long> lastOffsets = new HashMap<>(); // of this consumer: offsets only grow, unless a log starts again
            long checkAt = 0;
            boolean looked = false;
            while (!stop) {
                if (System.currentTimeMillis() >= checkAt) {
                    // the first look waits: a topic created anew while no consumer read it is told before its records are;
                    // the later ones never hold records back
                    TopicWatch.Seen seen = looked ? watch.lookIfAnswered() : watch.look();
                    if (seen != null) {
                        looked = true;
                        parts = watchTopic(c, parts, ends, seen);
                        checkAt = System.currentTimeMillis() + checkEveryMs;
                    }
                }
                if (!replayed && ends.isEmpty()) {
                    endsAtMs = System.currentTimeMillis();
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
                if (replayed && System.currentTimeMillis() >= proveAt) {
                    proveAt = System.currentTimeMillis() + proveEveryMs();
                    askEnds(c, parts);
                }
                org.apache.kafka.clients.consumer.ConsumerRecords<String, String> polled = c.poll(Duration.ofMillis(200));
                if (replayed) {
                    checkProven(c);
                }
                for (ConsumerRecord<String, String> r : polled) {
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
                        // partitions added during the read that the watch has not told yet (it looks every few seconds):
                        // asked now, so that the replay also ends at their ends (before 2026-12-06 it ended without them:
                        // caught up and "replayed" said early, and what a new partition held taken back for a while)
                        List<TopicPartition> now = watchTopic(c, parts, ends, watch.lookAnew());
                        if (now.size() > parts.size()) {
                            parts = now;
                            continue;
                        }
                        replayed = true;
                        caughtUp = true;
                        provenAtMs = endsAtMs;
                        takeBackWhatTheTopicNoLongerHolds();
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

    /** How often the position is proven: as often as the topic is described, at most every 5 s. */
    private long proveEveryMs() {
        return Math.min(checkEveryMs, 5_000);
    }

    /**
     * How old the proof may grow before the consumer is replaced: half the topic's
     * delete.retention.ms, but never below 10 s (nor three proofs' time): a smaller retention
     * cannot be kept up with, and the consumer would be replaced over and over.
     */
    static long unprovenLimitMs(long deleteRetentionMs, long proveEveryMs) {
        return Math.max(deleteRetentionMs / 2, Math.max(10_000, 3 * proveEveryMs));
    }

    /** Asks the topic's end offsets (not when one asking is pending, nor while the broker does not answer). */
    private void askEnds(KafkaConsumer<String, String> c, List<TopicPartition> parts) {
        if (proving != null && proving.keySet().containsAll(parts)) {
            return;
        }
        long at = System.currentTimeMillis();
        try {
            proving = new HashMap<>(c.endOffsets(parts, Duration.ofSeconds(2)));
            provingAtMs = at;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            proving = null; // the broker away: nothing proven meanwhile
        }
    }

    /**
     * Notes the proof when the positions reached the ends asked; throws {@link TopicChanged} (a new
     * consumer, which replays the topic) when the proof is older than the topic keeps tombstones.
     */
    private void checkProven(KafkaConsumer<String, String> c) {
        if (proving != null) {
            boolean all = true;
            for (Map.Entry<TopicPartition, Long> e : proving.entrySet()) {
                all &= c.position(e.getKey(), Duration.ofSeconds(2)) >= e.getValue();
            }
            if (all) {
                provenAtMs = provingAtMs;
                proving = null;
            }
        }
        long age = System.currentTimeMillis() - provenAtMs;
        long limit = unprovenLimitMs(deleteRetentionMs, proveEveryMs());
        if (provenAtMs > 0 && age > limit) {
            log.accept("fleet blocks: this agent's read of " + topic + " was not known caught up for " + (age + 500) / 1000
                    + " s, longer than " + (limit + 500) / 1000 + " s (half its delete.retention.ms, " + deleteRetentionMs
                    + " ms, at least 10 s): a removal's tombstone may have been"
                    + " compacted away meanwhile; reading the topic from its beginning, and taking back the fleet blocks it no longer holds");
            throw new TopicChanged();
        }
    }

    /**
     * Describes the topic ({@link TopicWatch}) and acts on what changed: partitions added are
     * assigned and read from their beginning (said once); the topic deleted is said, and a topic
     * created anew (another id) forgets the places read, and both start a new consumer
     * ({@link TopicChanged}), which waits for the topic and reads it from its beginning; the broker
     * not answering is said once, and its return. Returns the partitions now assigned.
     */
    private List<TopicPartition> watchTopic(KafkaConsumer<String, String> c, List<TopicPartition> parts, Map<TopicPartition, Long> ends,
            TopicWatch.Seen seen) {
        switch (seen) {
            case TopicWatch.Present p -> {
                reachable();
                if (knownTopic(p.id())) {
                    throw new TopicChanged();
                }
                if (p.partitions() <= parts.size()) {
                    return parts;
                }
                List<TopicPartition> added = new java.util.ArrayList<>();
                for (int i = parts.size(); i < p.partitions(); i++) { // partitions are numbered 0..n-1, and only ever added
                    added.add(new TopicPartition(topic, i));
                }
                List<TopicPartition> all = java.util.stream.Stream.concat(parts.stream(), added.stream()).toList();
                c.assign(all);
                c.seekToBeginning(added);
                if (!replayed) {
                    ends.clear(); // asked again, for all of them: the replay ends at the new partitions' ends too
                }
                log.accept("fleet blocks: " + topic + " has " + all.size() + " partitions now (" + parts.size()
                        + " before): reading the new ones from their beginning");
                partitionCount = all.size();
                return all;
            }
            case TopicWatch.Missing m -> {
                state = TOPIC_MISSING;
                missingSaidAt = System.currentTimeMillis();
                log.accept("fleet blocks: the topic " + topic + " was deleted: no fleet block arrives until it is there again (the blocks"
                        + " applied from it stay); waiting for it" + (createTopic ? ", creating it (create-topics)" : ""));
                throw new TopicChanged();
            }
            case TopicWatch.Unreachable u -> {
                unreachable(u.why());
                return parts;
            }
            case TopicWatch.NotAllowed n -> {
                checkEveryMs = Long.MAX_VALUE / 2; // nothing to watch with: no more asking
                log.accept("fleet blocks: the topic " + topic + " cannot be described (" + n.why() + "): partitions added to it are"
                        + " read after a restart only, and its deletion is not told (docs/fleet.md: agents need Describe on it)");
                return parts;
            }
        }
    }

    /**
     * Notes the id of the topic found; true when it is not the one read before (deleted and created
     * anew): the places read are forgotten, and it is said.
     */
    private boolean knownTopic(org.apache.kafka.common.Uuid id) {
        boolean anew = topicId != null && !topicId.equals(id);
        topicId = id;
        if (anew) {
            last.forgetAllPlaces();
            log.accept("fleet blocks: the topic " + topic + " was created anew: read from its beginning, its records compared by what they"
                    + " hold; the blocks only the old one held are taken back once it is read");
        }
        return anew;
    }

    /** The broker does not answer: said once, until it answers again. */
    private void unreachable(String why) {
        if (unreachableSince == 0) {
            unreachableSince = System.currentTimeMillis();
            state = BROKER_UNREACHABLE;
            log.accept("fleet blocks: the broker at " + bootstrap + " is unreachable (" + why + "): no fleet block arrives meanwhile,"
                    + " the blocks applied stay; reading resumes when it answers");
        }
    }

    /** The broker answers: its return said, when it was said to be away. */
    private void reachable() {
        if (unreachableSince != 0) {
            log.accept("fleet blocks: the broker at " + bootstrap + " is reachable again after "
                    + (System.currentTimeMillis() - unreachableSince + 500) / 1000 + " s: reading on");
            unreachableSince = 0;
        }
        if (missingSaidAt == 0) {
            state = READING;
        }
    }

    /**
     * At the end of a replay: the blocks an earlier consumer acted on whose keys the topic no longer
     * holds are taken back, as a tombstone would (a restarted agent would not have them): their
     * tombstones were compacted away while no consumer read, or the topic was created anew without
     * them. Blocks that have ended are only forgotten (their entries have ended too).
     */
    private void takeBackWhatTheTopicNoLongerHolds() {
        long nowMs = System.currentTimeMillis();
        for (Map.Entry<String, FleetBlock> e : last.blocksNotIn(seen).entrySet()) {
            FleetBlock b = e.getValue();
            if (b.expiredAt(nowMs)) {
                last.removedWithoutRecord(e.getKey());
                continue;
            }
            try {
                target.remove(FleetBlock.parseKey(e.getKey()));
                last.removedWithoutRecord(e.getKey());
                removed.incrementAndGet();
                log.accept("FLEET UNBLOCKED " + b.target() + ": no longer on the topic (its removal compacted away, or the topic created"
                        + " anew, while this agent did not read it)");
            } catch (RuntimeException x) {
                failed.incrementAndGet(); // kept: the next replay tries again
                log.accept("fleet blocks: removing " + e.getKey() + ", no longer on the topic, failed: " + x.getMessage());
            }
        }
        seen.clear();
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
        long saidAt = missingSaidAt; // said already when the topic was found deleted
        long createdAt = 0;
        while (!stop) {
            List<PartitionInfo> infos = null;
            try {
                infos = c.partitionsFor(topic, Duration.ofSeconds(2));
            } catch (WakeupException e) {
                throw e;
            } catch (RuntimeException e) {
                unreachable(String.valueOf(e)); // said once; try again
            }
            if (infos != null) {
                reachable();
            }
            if (infos != null && !infos.isEmpty()) {
                if (missingSaidAt != 0) {
                    log.accept("fleet blocks: the topic " + topic + " is there again: reading it from its beginning");
                    missingSaidAt = 0;
                }
                state = unreachableSince == 0 ? READING : BROKER_UNREACHABLE;
                return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            if (infos != null) {
                state = TOPIC_MISSING;
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
        if (!replayed) {
            seen.add(key); // a key the topic holds: not taken back at the replay's end
        }
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
        return new Counters(records.get(), applied.get(), removed.get(), expired.get(), bad.get(), failed.get(), unchanged.get(), caughtUp,
                state, partitionCount);
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
