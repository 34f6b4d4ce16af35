package io.xdpml.gen;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Sends a {@link Scenario}'s frames into a {@link FrameSink} at a rate or flat out, counting the
 * frames sent per {@link TrafficKind}. The API {@code xdpml gen} uses, and that a demo can run on a
 * background thread:
 *
 * <pre>{@code
 * try (FrameSink sink = XskSink.open(Interfaces.indexOf("veth0"))) {   // in the interface's namespace
 *     ScenarioSender sender = new ScenarioSender(sink);
 *     sender.run(Scenarios.create("mix", settings), 100_000, Long.MAX_VALUE, stopFlag::get);
 * }
 * // meanwhile, from any thread: sender.sent(TrafficKind.SYNFLOOD), sender.sent()
 * }</pre>
 *
 * <p>Pacing, live sinks: frames go in bursts of at most {@value #BURST} (a veth peer's XDP ring
 * holds 256 frames), each burst as many frames as are due by the clock; between bursts the thread
 * parks until the next frame is due. The average rate is the one asked, the spacing is bursty at
 * sub-millisecond scale. Flat out ({@code ratePps <= 0}): bursts back to back. Capture files:
 * frame {@code i} gets time {@code start + i / rate} and nothing waits (rate 0 is refused: a
 * capture needs a rate to have timestamps). The counters are written by the sending thread only
 * and may be read from any thread while it runs.
 */
public final class ScenarioSender {
    /** Frames per burst at most. */
    public static final int BURST = 64;
    private static final long PARK_MAX_NANOS = 1_000_000L;

    private final FrameSink sink;
    private final long startNanos;
    private final AtomicLongArray sent = new AtomicLongArray(TrafficKind.values().length);
    private volatile long total;
    private volatile long elapsedNanos;

    /** A sender into {@code sink}; capture timestamps start at {@link PcapSink#DEFAULT_START_NANOS}. */
    public ScenarioSender(FrameSink sink) {
        this(sink, PcapSink.DEFAULT_START_NANOS);
    }

    /** A sender into {@code sink}; capture timestamps start at {@code startNanos} (since the epoch). */
    public ScenarioSender(FrameSink sink, long startNanos) {
        this.sink = sink;
        this.startNanos = startNanos;
    }

    /**
     * Sends frames of {@code scenario} until {@code maxFrames} were sent or {@code stop} says so
     * (asked before every burst). Returns the frames sent by this call.
     *
     * @param ratePps frames per second; 0 or less: flat out (live sinks only)
     */
    public long run(Scenario scenario, long ratePps, long maxFrames, BooleanSupplier stop) {
        if (maxFrames < 0) {
            throw new IllegalArgumentException("maxFrames must be >= 0, not " + maxFrames);
        }
        if (!sink.live() && ratePps <= 0) {
            throw new IllegalArgumentException("a capture file needs a rate (frames per second) for its timestamps");
        }
        double nanosPerFrame = ratePps > 0 ? 1e9 / ratePps : 0;
        long begin = System.nanoTime();
        long n = 0;
        long virtualBase = total; // a capture's time goes on across calls
        while (n < maxFrames && !stop.getAsBoolean()) {
            long burst = Math.min(BURST, maxFrames - n);
            if (sink.live() && ratePps > 0) {
                long now = System.nanoTime();
                long due = (long) ((now - begin) / nanosPerFrame) + 1;
                if (due <= n) {
                    long wait = begin + (long) (n * nanosPerFrame) - now;
                    LockSupport.parkNanos(Math.min(Math.max(wait, 1_000), PARK_MAX_NANOS));
                    continue;
                }
                burst = Math.min(burst, due - n);
            }
            for (long i = 0; i < burst; i++) {
                TrafficKind k = scenario.next();
                long t = sink.live() ? 0 : startNanos + (long) ((virtualBase + n + i) * nanosPerFrame);
                sink.send(scenario.frame(), scenario.length(), t);
                sent.lazySet(k.ordinal(), sent.get(k.ordinal()) + 1);
            }
            n += burst;
            sink.flush();
            total += burst;
            elapsedNanos = System.nanoTime() - begin;
        }
        elapsedNanos = System.nanoTime() - begin;
        return n;
    }

    /** Frames sent so far (all calls). */
    public long sent() {
        return total;
    }

    /** Frames of one kind sent so far (all calls). */
    public long sent(TrafficKind kind) {
        return sent.get(kind.ordinal());
    }

    /** Frames sent per kind, every kind listed. */
    public Map<TrafficKind, Long> sentByKind() {
        Map<TrafficKind, Long> m = new EnumMap<>(TrafficKind.class);
        for (TrafficKind k : TrafficKind.values()) {
            m.put(k, sent(k));
        }
        return m;
    }

    /** Wall-clock time the last (or running) {@link #run} has taken. */
    public long elapsedNanos() {
        return elapsedNanos;
    }

    /** The sink's way (testrun, xsk, pcap FILE). */
    public String way() {
        return sink.way();
    }
}
