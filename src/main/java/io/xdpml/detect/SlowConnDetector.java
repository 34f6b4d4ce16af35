package io.xdpml.detect;

import io.xdpml.flow.FlowLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Slow HTTP denial of service (slowloris: partial header lines every few seconds; slow POST,
 * R.U.D.Y.: a body a few bytes at a time; slow read: a tiny receive window), per (source,
 * destination, destination port): many TCP connections from one source to one service, all open at
 * once, each kept going by its client for a long time at a trickle.
 *
 * <p>It reads no packets: under the agent's sampling the ends of connections (FIN, RST) reach Java
 * 1 in N, so whether a connection is still open cannot be known from the packets Java gets. It reads
 * the flow table instead ({@link #census}, every {@code censusNanos}), which the data plane keeps
 * for every packet: the kernel's table in the agent, the twin's in {@code xdpml replay}, a reference
 * table of every packet in {@code xdpml detect}. A flow counts when it is TCP and began with a SYN
 * (its start is the connection's), has no FIN or RST in either direction, its client (the
 * initiator: the flow's first sender) sent for at least {@code minSpanNanos} after the SYN and within
 * the last {@code maxQuietNanos}, at {@code maxByteRate} bytes a second or less (frames, headers
 * included, over that span). Only the client's direction is needed: the agent sees what arrives at
 * its host, the client's packets to a server behind it.
 *
 * <p>Reported when a (source, destination, port) has at least {@code minConnections} such flows at
 * one census; the source is named (what the agent blocks). A browser keeps 6 connections per host
 * (HTTP/1.1; HTTP/2 and 3 one), and a kept-alive connection left idle sends nothing, so its
 * client's span stops at its last request. Score: the flows over {@code minConnections}.
 */
public final class SlowConnDetector extends FlowTableDetector {
    public static final String NAME = "slowconn";

    private static final int TCP = 6;
    private static final int CLOSED = FlowLayout.CLOSE_FIN_FWD | FlowLayout.CLOSE_FIN_BWD | FlowLayout.CLOSE_RST | FlowLayout.CLOSE_ENDED;

    /**
     * @param censusNanos    how often the flow table is read (packet time)
     * @param minConnections slow connections from one source to one service at one census before it is reported
     * @param minSpanNanos   a connection counts when its client sent for at least this long after its SYN
     * @param maxQuietNanos  and its client's last packet is at most this old
     * @param maxByteRate    and its client sent at most this many bytes a second (frames, over the span)
     * @param smallWindow    a SYN advertising a receive window below this many bytes is counted in the reasons (slow read)
     */
    public record Config(long censusNanos, int minConnections, long minSpanNanos, long maxQuietNanos, double maxByteRate, int smallWindow) {
        public Config {
            if (censusNanos <= 0 || minConnections < 1 || minSpanNanos < 0 || maxQuietNanos <= 0 || !(maxByteRate >= 0) || smallWindow < 0) {
                throw new IllegalArgumentException("bad slow connection config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(2_000_000_000L, 50, 8_000_000_000L, 60_000_000_000L, 200, 2048);
        }
    }

    /** One (source, destination, port) at one census ({@link CensusPairs}). */
    private static final class Pair extends CensusPairs.Pair {
        int slow;
        int open;
        int unanswered;
        long minSpan;
        long maxSpan;
        long bytes;
        double maxRate;
        int smallWindows;

        @Override
        void reset() {
            slow = 0;
            open = 0;
            unanswered = 0;
            minSpan = Long.MAX_VALUE;
            maxSpan = 0;
            bytes = 0;
            maxRate = 0;
            smallWindows = 0;
        }
    }

    private final Config config;
    private final CensusPairs<Pair> pairs = new CensusPairs<>(Pair::new);
    private long flowNow;

    public SlowConnDetector(Config config) {
        super(NAME, config.censusNanos());
        this.config = config;
    }

    public SlowConnDetector() {
        this(Config.defaults());
    }

    @Override
    public void censusBegin(long nowNanos, long flowNowNanos) {
        flowNow = flowNowNanos;
    }

    @Override
    public void censusEnd(long nowNanos, DetectionSink sink, boolean complete) {
        try {
            if (complete) {
                for (Pair q : pairs.used()) {
                    if (q.slow >= config.minConnections()) {
                        report(q, nowNanos, sink);
                    }
                }
            }
        } finally {
            pairs.clear();
        }
    }

    @Override
    public void censusFlow(MemorySegment key, MemorySegment state) {
        if ((key.get(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL) & 0xff) != TCP || FlowLayout.tcpFlagCount(state, FlowLayout.FLAG_SYN) == 0) {
            return; // not TCP, or not seen from its SYN (its start is not the connection's)
        }
        if (!CensusPairs.completed(state)) {
            return; // a SYN alone (forged, or unanswered): no connection held (since 2026-12-07; before, a spoofed SYN flood's flows read as held)
        }
        long fwd = FlowLayout.dirOffset(FlowLayout.FWD);
        long first = FlowLayout.u64(state, FlowLayout.FIRST_NS);
        long last = FlowLayout.u64(state, fwd + FlowLayout.D_LAST_NS);
        boolean unanswered = unanswered(state);
        // how long the client has held it: to its last packet; for a request left unanswered, to now
        long held = unanswered ? flowNow - first : last - first;
        long quiet = flowNow - last;
        long bytes = FlowLayout.u64(state, fwd + FlowLayout.D_BYTES);
        if ((state.get(ValueLayout.JAVA_BYTE, FlowLayout.CLOSING) & CLOSED) != 0) {
            return; // a FIN or RST seen: closing or closed
        }
        Pair q = pairs.of(key, state);
        q.open++;
        double rate = held > 0 ? bytes / (held / 1e9) : Double.MAX_VALUE;
        if (held < config.minSpanNanos() || quiet > config.maxQuietNanos() || rate > config.maxByteRate()) {
            return;
        }
        q.slow++;
        if (unanswered) {
            q.unanswered++;
        }
        q.minSpan = Math.min(q.minSpan, held);
        q.maxSpan = Math.max(q.maxSpan, held);
        q.bytes += bytes;
        q.maxRate = Math.max(q.maxRate, rate);
        long window = FlowLayout.u16(state, fwd + FlowLayout.D_INIT_WINDOW);
        if (window < config.smallWindow()) {
            q.smallWindows++;
        }
    }

    /**
     * Whether the client sent data that was never answered: every packet it sent after its SYN and
     * the handshake's ACK carried data (it acknowledged no data of the server's, which it must once
     * the server answers), and the server sent no data the other way where that direction is seen.
     * A slowloris connection's unfinished request, or a slow POST's body, waiting on the server.
     */
    private static boolean unanswered(MemorySegment state) {
        long fwd = FlowLayout.dirOffset(FlowLayout.FWD);
        long bwd = FlowLayout.dirOffset(FlowLayout.BWD);
        long packets = FlowLayout.u64(state, fwd + FlowLayout.D_PACKETS);
        int data = FlowLayout.u16(state, fwd + FlowLayout.D_DATA_PACKETS);
        return data > 0 && data < 0xffff && packets - data <= 2 && FlowLayout.u16(state, bwd + FlowLayout.D_DATA_PACKETS) == 0;
    }

    private void report(Pair q, long nowNanos, DetectionSink sink) {
        String source = q.source();
        String service = q.service();
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(q.slow) + " TCP connections to " + service + " open at once, each kept going by its client for "
                + spans(q) + " at " + String.format(java.util.Locale.ROOT, "%.1f", q.maxRate) + " B/s or less ("
                + Detections.bytes(q.bytes / q.slow) + " a connection on average): a slow HTTP attack (slowloris, slow POST, slow read)");
        if (q.unanswered > 0) {
            reasons.add(Detections.count(q.unanswered) + " of them held by a request the server has not answered (the client acknowledged no data of it)");
        }
        if (q.open > q.slow) {
            reasons.add(Detections.count(q.open) + " connections of the source to the service open in all");
        }
        if (q.smallWindows > 0) {
            reasons.add(Detections.count(q.smallWindows) + " of them opened with a receive window under " + Detections.count(config.smallWindow())
                    + " bytes (slow read)");
        }
        double score = (double) q.slow / config.minConnections();
        sink.report(Detection.of(nowNanos, NAME, source, score, reasons, List.of(source)));
    }

    private static String spans(Pair q) {
        long lo = q.minSpan / 1_000_000_000L;
        long hi = q.maxSpan / 1_000_000_000L;
        return lo == hi ? lo + " s" : lo + " to " + hi + " s";
    }
}
