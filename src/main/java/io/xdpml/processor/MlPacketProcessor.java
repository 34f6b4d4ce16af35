package io.xdpml.processor;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.RingBufferConsumer;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpLink;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.LinkType;
import io.xdpml.pcap.PcapWriter;
import io.xdpml.util.Threads;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskCounter;
import io.xdpml.xsk.XskMetadata;
import io.xdpml.xsk.XskSocket;
import io.xdpml.xsk.XskStatistics;
import io.xdpml.xsk.XskFrame;
import io.xdpml.xsk.XskFrameHandler;
import io.xdpml.xsk.XskProgram;
import io.xdpml.xsk.XskReceiver;
import java.io.IOException;
import java.util.ArrayList;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The embeddable core of xdpml: packets of an interface, sampled in XDP, reach Java through AF_XDP
 * (zero-copy where the driver can, else copy), are parsed and tracked per flow in place, and each
 * is handed to the user's {@link PacketCallback}, which returns a {@link Verdict}.
 *
 * <pre>{@code
 * ProcessorConfig config = ProcessorConfig.forInterface("eth0").withSampling(10);
 * try (MlPacketProcessor p = MlPacketProcessor.open(config, packet ->
 *         packet.input("syn_flag_count") > 100 ? Verdict.flag(1.0, "syn-heavy") : Verdict.NORMAL)) {
 *     p.start();
 *     ...
 *     System.out.println(p.stats());
 * }
 * }</pre>
 *
 * {@code open} loads the composed XDP program ({@code xdp_pipeline.bpf.c}: blocks, the stages of
 * {@link ProcessorConfig#dataPlane}, 1-in-N sampling, delivery), opens one socket per queue (or, with
 * {@link Delivery#MIRROR}, maps the mirror ring buffer) and attaches the program through a BPF link
 * (native where the driver has it): the kernel detaches it when the process's last fd on the link
 * closes, so nothing stays attached even after a crash; {@code start} runs one platform thread per
 * queue (one for the mirror ring); {@code close} detaches, stops the threads and closes everything.
 * Needs root.
 *
 * <p>Latency: each worker records, per packet, the time from when Java took it off its ring to
 * the callback's return ({@link #takeLatency}), and with {@link Delivery#MIRROR} also the time from
 * the XDP program's copy to Java taking it ({@link #takeHandoffLatency}), in HdrHistogram
 * recorders (one writer each: wait-free, no allocation per packet).
 */
public final class MlPacketProcessor implements AutoCloseable {
    private final ProcessorConfig config;
    private final PacketCallback callback;
    private final XskProgram program;
    private final XskReceiver receiver;
    private final MirrorReader mirror;
    private final String socketMode;
    private final PcapWriter capture;
    private final XdpLink link;
    private final Mitigation mitigation;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicLong captured = new AtomicLong();
    /** Why the capture of flagged packets stopped (a write failed: a full disk), or null. */
    private volatile IOException captureFailure;
    private final long clockBase = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private boolean started;
    private final Histogram latencyScratch = new Histogram(3_600_000_000_000L, 2);
    private final Histogram handoffScratch = new Histogram(3_600_000_000_000L, 2);
    // drained from the workers' recorders: what takeLatency/takeHandoffLatency have not taken yet, and the whole run's
    private final Histogram latencyPending = new Histogram(3_600_000_000_000L, 2);
    private final Histogram handoffPending = new Histogram(3_600_000_000_000L, 2);
    private final Histogram latencyTotal = new Histogram(3_600_000_000_000L, 2);
    private final Histogram handoffTotal = new Histogram(3_600_000_000_000L, 2);

    private MlPacketProcessor(ProcessorConfig config, PacketCallback callback, XskProgram program, XskReceiver receiver,
            MirrorReader mirror, PcapWriter capture, XdpLink link) {
        this.link = link;
        this.config = config;
        this.callback = callback;
        this.program = program;
        this.receiver = receiver;
        this.mirror = mirror;
        this.capture = capture;
        this.mitigation = Mitigation.of(program.object());
        if (config.blocksPin() != null) {
            mitigation.pin(config.blocksPin());
        }
        this.socketMode = receiver != null ? receiver.sockets().get(0).modeName() : "mirror";
    }

    /** Attaches to the configured interface and opens the sockets; call {@link #start} to begin. */
    public static MlPacketProcessor open(ProcessorConfig config, PacketCallback callback) throws IOException {
        int ifindex = Interfaces.indexOf(config.iface());
        boolean mirrored = config.delivery() == Delivery.MIRROR;
        XskProgram program = XskProgram.load(config.dataPlane(), config.sampleN(), mirrored);
        XskReceiver receiver = null;
        MirrorReader mirror = null;
        PcapWriter capture = null;
        XdpLink link = null;
        try {
            if (mirrored) {
                mirror = new MirrorReader(new RingBufferConsumer(program.mirrorRing(), r -> { }), config.batchSize());
            } else {
                XskConfig xc = XskConfig.receiveOnly().withBatchSize(config.batchSize()).withBindMode(config.bindMode())
                        .withHugePages(config.hugePages());
                receiver = XskReceiver.open(program, ifindex, config.queues(), xc);
            }
            // a BPF link: the kernel detaches it when this process's last fd on it closes, so even a
            // killed or crashed JVM leaves nothing attached
            link = XdpLink.attach(io.xdpml.dataplane.PipelineObject.attachPoint(program.object()), ifindex, config.dataPlane().mode());
            if (config.captureFile() != null && config.captureLimit() > 0) {
                capture = PcapWriter.open(config.captureFile(), LinkType.ETHERNET);
            }
            return new MlPacketProcessor(config, callback, program, receiver, mirror, capture, link);
        } catch (IOException | RuntimeException e) {
            if (link != null) {
                link.close();
            }
            if (receiver != null) {
                receiver.close();
            }
            if (mirror != null) {
                mirror.ring.close();
            }
            program.close();
            throw e;
        }
    }

    /** The loaded composed program (its maps: firewall, model, delivery settings, counters). */
    public XskProgram program() {
        return program;
    }

    /** Blocking sources in the kernel (closed-loop mitigation): callbacks may call it. */
    public Mitigation mitigation() {
        return mitigation;
    }

    /** Packets the kernel dropped because their source was blocked. */
    public long blockedPackets() {
        return program.counters().getOrDefault(XskCounter.BLOCKED, 0L);
    }

    /** The XDP program's counters (summed over CPUs): seen, sampled, redirected, blocked, mirrored, ... */
    public Map<XskCounter, Long> kernelCounters() {
        return program.counters();
    }

    /** "zero-copy" or "copy": how the sockets are bound; "mirror" with {@link Delivery#MIRROR}. */
    public String socketMode() {
        return socketMode;
    }

    public ProcessorConfig config() {
        return config;
    }

    /**
     * The first exception a receive thread (or the mirror thread) died of, or null: the packets
     * stop reaching the callback when it is set. {@link #stop} throws it.
     */
    public Throwable failure() {
        return mirror != null ? mirror.failure.get() : receiver.failure();
    }

    /** Starts the receive threads. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        if (mirror != null) {
            Worker w = new Worker(-1);
            synchronized (workers) {
                workers.add(w);
            }
            mirror.start(w);
            return;
        }
        receiver.start(queue -> {
            Worker w = new Worker(queue);
            synchronized (workers) {
                workers.add(w);
            }
            return w;
        }, config.cpus().length == 0 ? null : config.cpus(), false);
    }

    /** Stops the receive threads (frames already in the rings are handled first). */
    public synchronized void stop() {
        if (started) {
            started = false;
            if (mirror != null) {
                mirror.stop();
            } else {
                receiver.stop();
            }
        }
    }

    /** The clock of the packets' timestamps ({@link PacketView#timestampNanos()}) now. */
    public long packetClockNanos() {
        return clockBase + System.nanoTime();
    }

    /**
     * AF_XDP: the frames the kernel dropped on the way to the sockets (no free frame in the fill ring,
     * the RX ring full), summed over sockets ({@code XDP_STATISTICS}); 0 with mirror delivery.
     */
    public long socketsLost() {
        if (receiver == null) {
            return 0;
        }
        long lost = 0;
        for (XskSocket s : receiver.sockets()) {
            XskStatistics st = s.statistics();
            lost += st.rxDropped() + st.rxRingFull();
        }
        return lost;
    }

    /** Why the capture of flagged packets stopped (a write failed), or null while it writes (or there is none). */
    public IOException captureFailure() {
        return captureFailure;
    }

    /** Counts so far (exact after {@link #stop()}). */
    public ProcessorStats stats() {
        long processed = 0, filtered = 0, limited = 0, flagged = 0, errors = 0, received = 0;
        synchronized (workers) {
            for (Worker w : workers) {
                processed += w.processed;
                filtered += w.filtered;
                limited += w.rateLimited;
                flagged += w.flagged;
                errors += w.errors;
                received += w.received;
            }
        }
        Map<XskCounter, Long> k = program.counters();
        long lost;
        if (mirror != null) {
            // a full ring: sampled copies, and flows' first packets copied besides the sample
            lost = k.getOrDefault(XskCounter.MIRROR_LOST, 0L) + k.getOrDefault(XskCounter.FIRST_LOST, 0L);
        } else {
            received = receiver.received();
            lost = socketsLost();
        }
        // seen by XDP: what reached the sample stage plus what the blocks stage dropped before it
        return new ProcessorStats(k.getOrDefault(XskCounter.SEEN, 0L) + k.getOrDefault(XskCounter.BLOCKED, 0L), received, processed, filtered, limited, flagged, captured.get(),
                errors, k.getOrDefault(XskCounter.BLOCKED, 0L), lost);
    }

    /**
     * The per-packet handling time in Java (ns, from taking the packet off the ring to the
     * callback's return) since the last call, over all workers. Not thread-safe: one reader (e.g.
     * a status line). The histogram returned is reused by the next call.
     */
    public Histogram takeLatency() {
        return take(latencyScratch, false);
    }

    /**
     * With {@link Delivery#MIRROR}: the time from the XDP program's copy to Java taking the record
     * (ns, CLOCK_MONOTONIC on both sides) since the last call; empty with AF_XDP. One reader; reused.
     */
    public Histogram takeHandoffLatency() {
        return take(handoffScratch, true);
    }

    private Histogram take(Histogram into, boolean handoff) {
        synchronized (latencyTotal) {
            drainLatency();
            Histogram pending = handoff ? handoffPending : latencyPending;
            into.reset();
            into.add(pending);
            pending.reset();
        }
        return into;
    }

    /**
     * The whole run's per-packet latency in Java ({@code handoff} false) or from the XDP copy to
     * Java ({@code handoff} true), copied into {@code into} (ns; reset first). Independent of
     * {@link #takeLatency}: a status line and a metrics scrape may both read. Thread-safe.
     */
    public Histogram totalLatency(Histogram into, boolean handoff) {
        synchronized (latencyTotal) {
            drainLatency();
            into.reset();
            into.add(handoff ? handoffTotal : latencyTotal);
        }
        return into;
    }

    /** Moves what the workers recorded since the last drain into the pending and the total histograms. */
    private void drainLatency() {
        synchronized (workers) {
            for (Worker w : workers) {
                Histogram h = w.latencyInterval = w.latency.getIntervalHistogram(w.latencyInterval);
                latencyPending.add(h);
                latencyTotal.add(h);
                Histogram g = w.handoffInterval = w.handoff.getIntervalHistogram(w.handoffInterval);
                handoffPending.add(g);
                handoffTotal.add(g);
            }
        }
    }

    /** Each AF_XDP socket's kernel counters (XDP_STATISTICS) by queue; empty with {@link Delivery#MIRROR}. */
    public Map<Integer, XskStatistics> socketStatistics() {
        Map<Integer, XskStatistics> m = new java.util.TreeMap<>();
        if (receiver != null) {
            for (XskSocket s : receiver.sockets()) {
                m.put(s.queue(), s.statistics());
            }
        }
        return m;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (config.blocksPin() != null) {
                Mitigation.unpin(config.blocksPin());
            }
            link.close(); // detach before the sockets close
            if (mirror != null) {
                try {
                    mirror.stop();
                } catch (IllegalStateException alreadyReported) {
                    // stop() threw it already (or the caller never stopped): closing must go on
                } finally {
                    mirror.ring.close();
                }
            } else {
                receiver.close();
            }
        } finally {
            program.close();
            if (capture != null) {
                synchronized (capture) {
                    try {
                        capture.close();
                    } catch (IOException e) {
                        if (captureFailure == null) {
                            throw e; // a capture that failed before has said why (captureFailure); its close fails alike
                        }
                    }
                }
            }
        }
    }

    /**
     * One queue's state: a parser, a flow table, the view, counters. The counters are plain fields
     * written by the queue's thread only (a volatile store per packet would cost a fence): read
     * while running they may lag; after {@link #stop()} (which joins the threads) they are exact.
     */
    private final class Worker implements XskFrameHandler {
        final int queue;
        final SingleWriterRecorder latency = new SingleWriterRecorder(3_600_000_000_000L, 2);
        final SingleWriterRecorder handoff = new SingleWriterRecorder(3_600_000_000_000L, 2);
        Histogram latencyInterval; // the reader's recycled interval histograms
        Histogram handoffInterval;
        long received; // mirror records (AF_XDP frames are counted by the sockets)
        final PacketParser parser = new PacketParser(config.dataPlane().vxlanPort()); // the kernel's parse's
        final ParseSummary summary = new ParseSummary();
        final JavaFlowEngine flows;
        final PacketView view = new PacketView();
        long processed;
        long filtered;
        long rateLimited;
        long flagged;
        long errors;
        long tokens;
        long lastRefill = System.nanoTime();

        Worker(int queue) {
            this.queue = queue;
            this.flows = config.flowTracking()
                    ? new JavaFlowEngine(new FlowConfig(config.maxFlows(), config.idleTimeoutNanos(), config.dataPlane().vxlanPort()),
                            TestRun.maxTestRunFrame())
                    : null;
            this.tokens = config.maxCallbackRate();
        }

        @Override
        public void onFrame(XskFrame frame) {
            handle(frame.umem(), frame.offset(), frame.length(), frame.length(), frame.queue(), frame.metadata(), System.nanoTime());
        }

        /**
         * A mirror record: the frame's first {@code length} bytes start at {@code offset} (the packet
         * was {@code wireLength}); its metadata is right before.
         */
        void onMirrored(MemorySegment ring, long offset, int length, int wireLength, int queue, XskMetadata metadata, long kernelNanos) {
            long now = System.nanoTime();
            received++;
            handoff.recordValue(Math.max(0, now - kernelNanos));
            handle(ring, offset, length, wireLength, queue, metadata, now);
        }

        private void handle(MemorySegment memory, long offset, int length, int wireLength, int rxQueue, XskMetadata metadata, long now) {
            ParseSummary s;
            if (flows != null) {
                flows.packet(memory, offset, length, wireLength, now);
                s = flows.lastSummary();
            } else {
                parser.parse(memory, offset, length, summary);
                s = summary;
            }
            if (!config.admits(s.l4Protocol())) {
                filtered++;
                return;
            }
            if (config.maxCallbackRate() > 0 && !takeToken(now)) {
                rateLimited++;
                return;
            }
            view.wrap(memory, offset, length, wireLength, rxQueue, clockBase + now, s, metadata,
                    flows != null ? flows.lastUpdated() : null, flows != null ? flows.lastPacket() : null);
            Verdict v;
            try {
                v = callback.onPacket(view);
            } catch (RuntimeException e) {
                errors++;
                v = Verdict.NORMAL;
            }
            processed++;
            if (v != null && v.flagged()) {
                flagged++;
                captureFlagged(memory, offset, length, clockBase + now);
            }
            latency.recordValue(Math.max(0, System.nanoTime() - now));
        }

        /** Token bucket in whole packets, refilled at the cap per second, one second deep. */
        private boolean takeToken(long now) {
            long cap = config.maxCallbackRate();
            long elapsed = now - lastRefill;
            if (elapsed > 0) {
                long add = elapsed * cap / 1_000_000_000L;
                if (add > 0) {
                    tokens = Math.min(cap, tokens + add);
                    lastRefill = now;
                }
            }
            if (tokens > 0) {
                tokens--;
                return true;
            }
            return false;
        }

        /** Writes a flagged packet to the capture; a failed write (a full disk) stops the capture, not the receiving. */
        private void captureFlagged(MemorySegment memory, long offset, int length, long wallNanos) {
            if (capture == null || captured.get() >= config.captureLimit() || captureFailure != null) {
                return;
            }
            synchronized (capture) {
                if (captured.get() >= config.captureLimit() || captureFailure != null) {
                    return;
                }
                try {
                    capture.write(wallNanos, memory.asSlice(offset, length), length, length);
                    capture.flush();
                } catch (IOException e) {
                    captureFailure = e;
                    return;
                }
                captured.incrementAndGet();
            }
        }
    }

    /**
     * Drains the mirror ring ({@code struct xdpml_mirror_rec}, bpf/include/xdpml/xsk.h) on one
     * thread, handing each record to the worker in place (no copy, no slice).
     *
     * <pre>
     *  0          4          8                16                      32
     *  | wire_len | cap_len  |   ktime_ns     | struct xdpml_xsk_meta | data[cap_len]
     * </pre>
     */
    private static final class MirrorReader implements RingBufferConsumer.InPlaceHandler {
        static final int WIRE_LEN_OFFSET = 0;
        static final int CAP_LEN_OFFSET = 4;
        static final int KTIME_OFFSET = 8;
        static final int META_OFFSET = 16;
        static final int DATA_OFFSET = 32;
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

        /**
         * Records the last drain after a stop takes at most (of those committed at the stop): as
         * many as an AF_XDP socket's default RX ring, whose last drain is bounded the same way.
         * The whole ring (16 MiB, ~130,000 small records) under a flood and a callback of 20 µs
         * kept stop() for seconds, more than 10 on a loaded machine.
         */
        static final int LAST_DRAIN = 2048;

        final RingBufferConsumer ring;
        private final int batch;
        private XskMetadata metadata;
        private Worker worker;
        private volatile boolean running;
        private Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        MirrorReader(RingBufferConsumer ring, int batch) {
            this.ring = ring;
            this.batch = batch;
        }

        void start(Worker w) {
            worker = w;
            running = true;
            thread = Thread.ofPlatform().daemon().name("xdpml-mirror").start(() -> {
                try {
                    while (running) {
                        ring.poll(100, this, batch); // at most a batch a look: the stop flag is seen under a flood too
                    }
                    // what was there at the stop, at most LAST_DRAIN records: not a flood that goes on,
                    // nor a full ring of it through a slow callback; the rest stays in the ring
                    ring.drainCommitted(this, LAST_DRAIN);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
        }

        void stop() {
            running = false;
            Thread t = thread;
            thread = null;
            if (t != null) { // joined an interrupt notwithstanding (kept for the caller): close() unmaps the ring it reads
                Threads.joinAll(List.of(t));
            }
            Throwable f = failure.get();
            if (f != null) {
                throw new IllegalStateException("mirror ring thread failed: " + f, f);
            }
        }

        @Override
        public void onRecord(MemorySegment data, long offset, int length) {
            if (length < DATA_OFFSET) {
                return;
            }
            if (metadata == null) {
                metadata = XskMetadata.over(data);
            }
            int cap = Math.min(data.get(U32, offset + CAP_LEN_OFFSET), length - DATA_OFFSET);
            metadata.wrap(offset + META_OFFSET);
            int queue = data.get(U16, offset + META_OFFSET + XskMetadata.RX_QUEUE_OFFSET) & 0xffff;
            int wire = Math.max(cap, data.get(U32, offset + WIRE_LEN_OFFSET));
            worker.onMirrored(data, offset + DATA_OFFSET, cap, wire, queue, metadata, data.get(U64, offset + KTIME_OFFSET));
        }
    }
}
