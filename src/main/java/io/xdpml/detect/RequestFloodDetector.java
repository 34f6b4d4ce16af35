package io.xdpml.detect;

import io.xdpml.flow.FlowLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * HTTP request floods inside kept-alive connections (an HTTP GET or POST flood whose tool reuses
 * its connections: GoldenEye, HULK's keep-alive mode, browser-based DoS pages, LOIC's HTTP mode),
 * per (source, destination, destination port) with the port in {@code ports}: one source sending
 * requests to one web service faster than people and browsers do, for seconds on end, over several
 * connections. {@code connflood} counts new connections; a tool that keeps its connections open
 * makes few.
 *
 * <p>It reads no packets: requests are counted in the flow table ({@link #census}, every
 * {@code censusNanos}), which counts every packet whatever the agent samples to Java. A request is
 * a data segment of the client (the flow's initiator) to the service: the forward direction's
 * {@code data_packets} (docs/flows.md; a request of more than one segment counts each). The census
 * keeps each flow's count and payload at the census before (at most {@code maxFlows} flows, about
 * 60 bytes each); the difference is what its client sent since. A flow not seen at the census
 * before counts whole when it began after it, else it only sets its mark (it may hold hours of
 * requests).
 *
 * <p>A pair is flooding at a census when, since the census before, its clients' requests came at
 * {@code minRate} a second or more, over at least {@code minConnections} connections, with at most
 * {@code maxMeanPayload} bytes of payload a request on average (requests are small: an upload's
 * full-sized segments are not requests, nor is one busy connection: a VPN or a video call carried
 * over TCP 443). Reported at the {@code censuses}-th census in a row that finds it flooding, and at
 * every census after while it lasts; the source is named (what the agent blocks). Score: the rate
 * over {@code minRate}. What also sends that many requests: a reverse proxy, load balancer or API
 * gateway in front of this host, a crawler, a load test: put them in {@code mitigation.never-block}.
 */
public final class RequestFloodDetector extends FlowTableDetector {
    public static final String NAME = "reqflood";
    /** Web services: http, https, and the ports web servers and their admin pages commonly use. */
    public static final String DEFAULT_PORTS = "80,443,8000,8008,8080,8443,8888";

    private static final int TCP = 6;
    private static final int ETHERNET = 14; // the normalised length counts an untagged Ethernet header

    /**
     * @param censusNanos    how often the flow table is read (packet time)
     * @param minRate        requests a second from one source to one service, since the census before, to be flooding
     * @param censuses       censuses in a row that find a pair flooding before it is reported
     * @param minConnections connections that carried requests since the census before, at least
     * @param maxMeanPayload payload bytes a request on average, at most
     * @param ports          the web services' TCP ports, comma-separated
     * @param maxFlows       flows whose counts are kept from one census to the next
     */
    public record Config(long censusNanos, double minRate, int censuses, int minConnections, int maxMeanPayload, String ports, int maxFlows) {
        public Config {
            if (censusNanos <= 0 || !(minRate > 0) || censuses < 1 || minConnections < 1 || maxMeanPayload < 1 || maxFlows < 1) {
                throw new IllegalArgumentException("bad request flood config: " + this);
            }
            BruteForceDetector.portSet(NAME + ".ports", ports);
        }

        public static Config defaults() {
            return new Config(1_000_000_000L, 100, 3, 2, 1000, DEFAULT_PORTS, 65_536);
        }
    }

    /** A flow's client counts at the census that saw it last. */
    private static final class Mark {
        int data;
        long payload;
        long census;
    }

    /** One (source, destination, port) at one census ({@link CensusPairs}). */
    private static final class Pair extends CensusPairs.Pair {
        long requests;
        long payload;
        int connections;

        @Override
        void reset() {
            requests = 0;
            payload = 0;
            connections = 0;
        }
    }

    /** A pair's censuses in a row found flooding, as of census {@link #census}. */
    private static final class Streak {
        int count;
        long census;
    }

    private final Config config;
    private final long[] ports;
    private final LongObjectMap<Mark> marks = new LongObjectMap<>(256);
    private final List<Mark> spareMarks = new ArrayList<>();
    private final CensusPairs<Pair> pairs = new CensusPairs<>(Pair::new);
    private final LongObjectMap<Streak> streaks = new LongObjectMap<>(16);
    private final Predicate<Mark> staleMark = m -> {
        if (m.census == this.census) {
            return false;
        }
        if (spareMarks.size() < CensusPairs.MAX_SPARE) {
            spareMarks.add(m);
        }
        return true;
    };
    private final Predicate<Streak> endedStreak = s -> s.census != this.census;
    /** Censuses so far; the one under way. */
    private long census;
    private long lastCensusNanos = Long.MIN_VALUE;
    private long intervalNanos;
    /** On the flows' clock: flows that began at or after it began since the census before. */
    private long flowsSince;
    private long untracked;

    public RequestFloodDetector(Config config) {
        super(NAME, config.censusNanos());
        this.config = config;
        this.ports = BruteForceDetector.portSet(NAME + ".ports", config.ports());
    }

    public RequestFloodDetector() {
        this(Config.defaults());
    }

    /** Flows not followed from one census to the next because {@code maxFlows} were; all censuses so far. */
    @Override
    public long untracked() {
        return untracked;
    }

    @Override
    public void censusBegin(long nowNanos, long flowNowNanos) {
        census++;
        intervalNanos = lastCensusNanos == Long.MIN_VALUE ? config.censusNanos() : Math.max(nowNanos - lastCensusNanos, 1);
        flowsSince = flowNowNanos - intervalNanos;
        lastCensusNanos = nowNanos;
    }

    @Override
    public void censusFlow(MemorySegment key, MemorySegment state) {
        if ((key.get(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL) & 0xff) != TCP) {
            return;
        }
        int port = CensusPairs.serverPort(key, state);
        if ((ports[port >>> 6] & (1L << port)) == 0) {
            return;
        }
        long fwd = FlowLayout.dirOffset(FlowLayout.FWD);
        int data = FlowLayout.u16(state, fwd + FlowLayout.D_DATA_PACKETS);
        long payload = FlowLayout.u64(state, fwd + FlowLayout.D_BYTES) - FlowLayout.u64(state, fwd + FlowLayout.D_HEADER_BYTES)
                - ETHERNET * FlowLayout.u64(state, fwd + FlowLayout.D_PACKETS);
        long flow = flowHash(key);
        Mark m = marks.get(flow);
        long requests;
        long bytes;
        if (m == null) {
            boolean began = FlowLayout.u64(state, FlowLayout.FIRST_NS) >= flowsSince;
            requests = began ? data : 0;
            bytes = began ? payload : 0;
            if (marks.size() < config.maxFlows()) {
                m = spareMarks.isEmpty() ? new Mark() : spareMarks.remove(spareMarks.size() - 1);
                marks.putNew(flow, m);
            } else {
                untracked++;
            }
        } else {
            // fewer than at the census before: another flow under the same hash, or the same key begun again
            requests = data >= m.data ? data - m.data : data;
            bytes = payload >= m.payload ? payload - m.payload : payload;
        }
        if (m != null) {
            m.data = data;
            m.payload = payload;
            m.census = census;
        }
        if (requests == 0) {
            return;
        }
        Pair q = pairs.of(key, state);
        q.requests += requests;
        q.payload += Math.max(bytes, 0);
        q.connections++;
    }

    @Override
    public void censusEnd(long nowNanos, DetectionSink sink, boolean complete) {
        try {
            if (complete) {
                double seconds = intervalNanos / 1e9;
                for (Pair q : pairs.used()) {
                    double rate = q.requests / seconds;
                    if (rate < config.minRate() || q.connections < config.minConnections()
                            || q.payload > (long) config.maxMeanPayload() * q.requests) {
                        continue;
                    }
                    Streak s = streaks.get(q.key);
                    if (s == null) {
                        s = new Streak();
                        streaks.putNew(q.key, s);
                    }
                    s.count = s.census == census - 1 ? s.count + 1 : 1;
                    s.census = census;
                    if (s.count >= config.censuses()) {
                        report(q, s.count, rate, nowNanos, sink);
                    }
                }
                streaks.removeIf(endedStreak);
                marks.removeIf(staleMark);
            }
        } finally {
            pairs.clear();
        }
    }

    /** A 64-bit hash of a flow key's 44 bytes. */
    private static long flowHash(MemorySegment key) {
        long h = 0;
        for (int at = 0; at + 8 <= FlowLayout.KEY_SIZE; at += 8) {
            h = Addresses.mix(h ^ key.get(ValueLayout.JAVA_LONG_UNALIGNED, at));
        }
        return Addresses.mix(h ^ key.get(ValueLayout.JAVA_INT_UNALIGNED, FlowLayout.KEY_SIZE - 4));
    }

    private void report(Pair q, int inRow, double rate, long nowNanos, DetectionSink sink) {
        String source = q.source();
        String service = q.service();
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(q.requests) + " requests (the client's data segments) to " + service + " in the last "
                + Detections.seconds(intervalNanos) + " (" + Detections.rateText(rate, "requests") + ") over "
                + Detections.count(q.connections) + " connections, " + Detections.bytes(q.payload / q.requests)
                + " of payload each on average: an HTTP request flood over kept-alive connections");
        reasons.add("at " + Detections.rateText(config.minRate(), "requests") + " or more for " + inRow + " censuses in a row");
        sink.report(Detection.of(nowNanos, NAME, source, rate / config.minRate(), reasons, List.of(source)));
    }
}
