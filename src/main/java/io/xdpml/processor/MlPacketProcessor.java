package io.xdpml.processor;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpLink;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.LinkType;
import io.xdpml.pcap.PcapWriter;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskFrame;
import io.xdpml.xsk.XskFrameHandler;
import io.xdpml.xsk.XskProgram;
import io.xdpml.xsk.XskReceiver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

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
 * {@code open} loads the XDP program ({@code xdp_xsk.bpf.c}), opens one socket per queue and attaches
 * the program through a BPF link (native where the driver has it): the kernel detaches it when the
 * process's last fd on the link closes, so nothing stays attached even after a crash;
 * {@code start} runs one platform thread per queue; {@code close} detaches, stops the threads and
 * closes everything. Needs root.
 */
public final class MlPacketProcessor implements AutoCloseable {
    private static final String XSK_PROGRAM = "xdpml_xsk";
    private final ProcessorConfig config;
    private final PacketCallback callback;
    private final XskProgram program;
    private final XskReceiver receiver;
    private final String socketMode;
    private final PcapWriter capture;
    private final XdpLink link;
    private final Mitigation mitigation;
    private final List<Worker> workers = new ArrayList<>();
    private final AtomicLong captured = new AtomicLong();
    private final long clockBase = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private boolean started;

    private MlPacketProcessor(ProcessorConfig config, PacketCallback callback, XskProgram program, XskReceiver receiver,
            PcapWriter capture, XdpLink link) {
        this.link = link;
        this.config = config;
        this.callback = callback;
        this.program = program;
        this.receiver = receiver;
        this.capture = capture;
        this.mitigation = new Mitigation(program.object().map("xdpml_blocks"));
        this.socketMode = receiver.sockets().get(0).modeName();
    }

    /** Attaches to the configured interface and opens the sockets; call {@link #start} to begin. */
    public static MlPacketProcessor open(ProcessorConfig config, PacketCallback callback) throws IOException {
        int ifindex = Interfaces.indexOf(config.iface());
        XskProgram program = XskProgram.load(config.sampleN(), XskProgram.XDP_PASS, true);
        XskReceiver receiver = null;
        PcapWriter capture = null;
        XdpLink link = null;
        try {
            XskConfig xc = XskConfig.receiveOnly().withBatchSize(config.batchSize()).withBindMode(config.bindMode());
            receiver = XskReceiver.open(program, ifindex, config.queues(), xc);
            // a BPF link: the kernel detaches it when this process's last fd on it closes, so even a
            // killed or crashed JVM leaves nothing attached
            link = XdpLink.attach(program.object().program(XSK_PROGRAM), ifindex);
            if (config.captureFile() != null && config.captureLimit() > 0) {
                capture = PcapWriter.open(config.captureFile(), LinkType.ETHERNET);
            }
            return new MlPacketProcessor(config, callback, program, receiver, capture, link);
        } catch (IOException | RuntimeException e) {
            if (link != null) {
                link.close();
            }
            if (receiver != null) {
                receiver.close();
            }
            program.close();
            throw e;
        }
    }

    /** Blocking sources in the kernel (closed-loop mitigation): callbacks may call it. */
    public Mitigation mitigation() {
        return mitigation;
    }

    /** Packets the kernel dropped because their source was blocked. */
    public long blockedPackets() {
        return program.counters().getOrDefault(io.xdpml.xsk.XskCounter.BLOCKED, 0L);
    }

    /** "zero-copy" or "copy": how the sockets are bound. */
    public String socketMode() {
        return socketMode;
    }

    public ProcessorConfig config() {
        return config;
    }

    /** Starts the receive threads. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        receiver.start(queue -> {
            Worker w = new Worker(queue);
            synchronized (workers) {
                workers.add(w);
            }
            return w;
        }, null, false);
    }

    /** Stops the receive threads (frames already in the rings are handled first). */
    public synchronized void stop() {
        if (started) {
            started = false;
            receiver.stop();
        }
    }

    /** Counts so far (exact after {@link #stop()}). */
    public ProcessorStats stats() {
        long processed = 0, filtered = 0, limited = 0, flagged = 0, errors = 0;
        synchronized (workers) {
            for (Worker w : workers) {
                processed += w.processed;
                filtered += w.filtered;
                limited += w.rateLimited;
                flagged += w.flagged;
                errors += w.errors;
            }
        }
        return new ProcessorStats(receiver.received(), processed, filtered, limited, flagged, captured.get(), errors);
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            link.close(); // detach before the sockets close
            receiver.close();
        } finally {
            program.close();
            if (capture != null) {
                synchronized (capture) {
                    capture.close();
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
        final PacketParser parser = new PacketParser(4789);
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
                    ? new JavaFlowEngine(new FlowConfig(config.maxFlows(), config.idleTimeoutNanos(), 4789), TestRun.maxTestRunFrame())
                    : null;
            this.tokens = config.maxCallbackRate();
        }

        @Override
        public void onFrame(XskFrame frame) {
            long now = System.nanoTime();
            int length = frame.length();
            ParseSummary s;
            if (flows != null) {
                flows.packet(frame.umem(), frame.offset(), length, now);
                s = flows.lastSummary();
            } else {
                parser.parse(frame.umem(), frame.offset(), length, summary);
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
            view.wrap(frame.umem(), frame.offset(), length, queue, clockBase + now, s, frame.metadata(),
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
                captureFlagged(frame, length, clockBase + now);
            }
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

        private void captureFlagged(XskFrame frame, int length, long wallNanos) {
            if (capture == null || captured.get() >= config.captureLimit()) {
                return;
            }
            synchronized (capture) {
                if (captured.get() >= config.captureLimit()) {
                    return;
                }
                try {
                    capture.write(wallNanos, frame.umem().asSlice(frame.offset(), length), length, length);
                    capture.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                captured.incrementAndGet();
            }
        }
    }
}
