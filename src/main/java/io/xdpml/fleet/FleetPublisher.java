package io.xdpml.fleet;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes records (UTF-8 string keys and values) to Kafka without ever making its callers wait:
 * {@link #publish} puts the record in a bounded queue and returns at once (a full queue drops the
 * record and counts it); one thread of its own hands the queue to a {@link KafkaProducer}, whose
 * own bounded buffer ({@code buffer.memory}) holds what the broker has not taken yet and retries it
 * until {@code delivery.timeout.ms}: a broker that is away for a while gets what was buffered when
 * it is back. Every record ends counted once: {@code sent} (acknowledged), {@code dropped} (queue
 * full), {@code failed} (the producer gave up: timeout, authorization, record too large ...);
 * {@code pending} are those in between.
 *
 * <p>The producer and its network thread are created on the caller's thread (its network namespace).
 */
public final class FleetPublisher implements AutoCloseable {
    /** Counters: records offered, acknowledged, dropped (queue full), failed, pending (queued or in flight). */
    public record Counters(long offered, long sent, long dropped, long failed, long pending, String lastError) {
        /** What could not be sent (yet): pending, dropped and failed. */
        public long unsent() {
            return pending + dropped + failed;
        }
    }

    private final KafkaProducer<String, String> producer;
    private final ArrayBlockingQueue<ProducerRecord<String, String>> queue;
    private final Thread thread;
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private volatile boolean stop;

    /** The producer's properties: xdpml's defaults, then {@code properties} over them. */
    public static Map<String, Object> producerProperties(String bootstrap, Map<String, String> properties, String clientId) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000"); // the sending thread's wait for metadata or buffer space, then again
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "1000");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(32L << 20));
        p.putAll(properties);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return p;
    }

    /**
     * @param queueSize records held before the producer takes them; more are dropped (counted)
     */
    public FleetPublisher(String bootstrap, Map<String, String> properties, String clientId, int queueSize) {
        this.producer = new KafkaProducer<>(producerProperties(bootstrap, properties, clientId));
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.thread = Thread.ofPlatform().name("xdpml-kafka-publish").daemon().start(this::loop);
    }

    /** Queues a record (value null: a tombstone); false when the queue is full (the record is dropped and counted). Never blocks. */
    public boolean publish(String topic, String key, String value) {
        offered.incrementAndGet();
        if (stop || !queue.offer(new ProducerRecord<>(topic, key, value))) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    private void loop() {
        loopThread = Thread.currentThread();
        ProducerRecord<String, String> head = null; // taken from the queue, not accepted by the producer yet
        while (!stop || head != null || !queue.isEmpty()) {
            if (head == null) {
                try {
                    head = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    if (stop) {
                        break;
                    }
                    continue;
                }
                if (head == null) {
                    continue;
                }
                inFlight.incrementAndGet();
            }
            try {
                syncFailure = null;
                sending = true;
                producer.send(head, this::completed);
                sending = false;
                if (syncFailure != null) { // failed before the producer took it (it calls back at once, on this thread)
                    throw syncFailure;
                }
                head = null;
            } catch (RetriableException e) {
                sending = false;
                // no metadata for the topic or no buffer space within max.block.ms (the broker away): the record waits
                // here, the queue fills behind it, and new records are dropped (counted) once it is full
                waits.incrementAndGet();
                lastError.set(e.toString());
                if (stop) { // closing with the broker away: what waits is failed now
                    inFlight.decrementAndGet();
                    failed.addAndGet(1 + queue.size());
                    queue.clear();
                    head = null;
                    break;
                }
            } catch (RuntimeException e) { // not retriable: serialization, too large, closed
                sending = false;
                inFlight.decrementAndGet();
                failed.incrementAndGet();
                lastError.set(e.toString());
                head = null;
            }
        }
    }

    private volatile boolean sending;
    private volatile Thread loopThread;
    private RuntimeException syncFailure;

    private void completed(org.apache.kafka.clients.producer.RecordMetadata meta, Exception e) {
        if (sending && Thread.currentThread() == loopThread) {
            syncFailure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            return;
        }
        inFlight.decrementAndGet();
        if (e == null) {
            sent.incrementAndGet();
        } else {
            failed.incrementAndGet();
            lastError.set(e.toString());
        }
    }

    public Counters counters() {
        return new Counters(offered.get(), sent.get(), dropped.get(), failed.get(), queue.size() + inFlight.get(), lastError.get());
    }

    /** Waits at most {@code timeout} until nothing is pending; whether nothing is. */
    public boolean awaitDelivered(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (counters().pending() > 0 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return counters().pending() == 0;
    }

    /** Stops taking records, hands what is queued to the producer and gives it {@code timeout} to deliver. Idempotent. */
    public void close(Duration timeout) {
        if (stop && !thread.isAlive()) {
            return;
        }
        stop = true;
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(timeout);
        // what the producer could not deliver in time is failed now
        long left = queue.size() + inFlight.get();
        queue.clear();
        if (left > 0) {
            failed.addAndGet(left);
            inFlight.set(0);
            lastError.compareAndSet(null, "closed with records undelivered");
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
