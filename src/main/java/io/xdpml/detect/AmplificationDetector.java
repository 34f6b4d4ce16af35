package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * UDP amplification and reflection, per (victim, service port) in windows of packet time: the
 * bytes of UDP responses from a service port ({@link Config#services}) towards the victim, the
 * bytes of requests the victim itself sent to that service port, and the distinct reflectors that
 * answered. Reported when at least {@code minResponseBytes} of responses came from at least
 * {@code minReflectors} reflectors with a response/request byte ratio of at least
 * {@code minAmplification} (no request at all counts as unbounded: the requests were spoofed).
 *
 * <p>That last rule holds only where both directions are seen ({@code twoWay} 1: a capture of both,
 * a tap, a gateway's interfaces). One way ({@code twoWay} 0, the default; the agent's XDP sees what
 * arrives, never its host's requests) no request is ever seen, and a host's own resolver hearing
 * many servers would read as a victim whose reflected port the agent then drops. So one way a report
 * also needs what a host's own answers do not show ({@link OneWayEvidence}): one port of the victim
 * answered by at least {@code oneWayPortReflectors} reflectors, or at least
 * {@code oneWayMinReflectors} reflectors (for DNS, since 2026-12-06, only while at least half of
 * the answers read ask one of a few questions: a host's own resolver hears many servers answer many
 * names), or mostly first fragments; and a datagram from the service
 * port to the same port (NTP 123 to 123, NetBIOS, BACnet peers) is a peer's or a client's request,
 * not counted.
 *
 * <p>Memory: at most {@code maxVictims} (victim, service) pairs per window (since 2026-12-06;
 * before, one per pair any response or request reached). Full, a new pair takes the place of the
 * one with fewest responses of a few when its responses keep coming ({@link BoundedSubjects}).
 */
public final class AmplificationDetector implements Detector {
    public static final String NAME = "amplification";

    /** Well-known UDP services abused for amplification, by port. */
    public static final Map<Integer, String> DEFAULT_SERVICES = Map.ofEntries(Map.entry(17, "QOTD"), Map.entry(19, "chargen"),
            Map.entry(53, "DNS"), Map.entry(111, "portmap"), Map.entry(123, "NTP"), Map.entry(137, "NetBIOS"), Map.entry(161, "SNMP"),
            Map.entry(389, "CLDAP"), Map.entry(1900, "SSDP"), Map.entry(3702, "WS-Discovery"), Map.entry(11211, "memcached"),
            Map.entry(47808, "BACnet"));

    /**
     * @param windowNanos      window length
     * @param services         UDP service ports watched, with their names
     * @param minResponseBytes response bytes per window towards one victim from one service
     * @param minReflectors    distinct reflectors
     * @param minAmplification response bytes per request byte the victim sent
     * @param earlyNanos       0: report at the window's end only; more: also as soon as the amplification holds this
     *                         long after the victim got {@code minResponseBytes} from {@code minReflectors} ({@link EarlyLook})
     * @param twoWay           1: both directions are seen, so a victim's requests are too and none seen means spoofed;
     *                         0 (default; the agent): one way, and a report also needs one-way evidence (the class comment)
     * @param oneWayMinReflectors  one way: this many reflectors are evidence
     * @param oneWayPortReflectors one way: this many reflectors answering one port of the victim first are evidence
     * @param maxVictims       (victim, service) pairs tracked per window (about 500 bytes each, 850 for DNS); full, a new one takes the
     *                         place of the one with fewest responses when its responses keep coming ({@link BoundedSubjects}),
     *                         else it is counted, not tracked; requests alone get an entry only while there is room
     */
    public record Config(long windowNanos, Map<Integer, String> services, long minResponseBytes, int minReflectors,
            double minAmplification, long earlyNanos,
            int twoWay, int oneWayMinReflectors, int oneWayPortReflectors, int maxVictims) {
        public Config {
            services = Map.copyOf(services);
            if (windowNanos <= 0 || minResponseBytes < 1 || minReflectors < 1 || minAmplification < 0 || earlyNanos < 0) {
                throw new IllegalArgumentException("bad amplification config: " + this);
            }
            if (twoWay < 0 || twoWay > 1 || oneWayMinReflectors < 1 || oneWayPortReflectors < 1) {
                throw new IllegalArgumentException("bad amplification config (twoWay 0 or 1, oneWay* at least 1): " + this);
            }
            if (maxVictims < 1) {
                throw new IllegalArgumentException("bad amplification config (maxVictims at least 1): " + this);
            }
            for (int port : services.keySet()) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("bad service port " + port);
                }
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, DEFAULT_SERVICES, 100_000, 20, 10.0, 0, 0, 50, 10, 16_384);
        }
    }

    private static final class Victim {
        final long hi;
        final long lo;
        final int port;
        long first = Long.MAX_VALUE;
        long last;
        long responses;
        long responseBytes;
        long requests;
        long requestBytes;
        int reflectors;
        /** Its estimated responses before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;
        final EarlyLook look = new EarlyLook();
        final OneWayEvidence oneWay;

        Victim(long hi, long lo, int port) {
            this.hi = hi;
            this.lo = lo;
            this.port = port;
            this.oneWay = new OneWayEvidence(port == DNS_PORT);
        }
    }

    private final Config config;
    private final boolean[] watched = new boolean[65536];
    private final TumblingWindow window;
    private final BoundedSubjects<Victim> victims;
    private final LongHashSet reflectors = new LongHashSet(4096);
    private static final int DNS_PORT = 53;
    /** Reads the question a DNS response repeats (one way, the reflectors' many answers to few questions are evidence). */
    private final DnsQuestion dns = new DnsQuestion();

    public AmplificationDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.victims = new BoundedSubjects<>(config.maxVictims(), v -> v.responses + v.credit);
        for (int port : config.services().keySet()) {
            watched[port] = true;
        }
    }

    public AmplificationDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The (victim, service)'s entry, made at its first response (taking a weaker one's place when
     * the table is full) or at its first request while there is room; null when not tracked.
     */
    private Victim victim(long key, long hi, long lo, int port, boolean response) {
        long k = Addresses.pair(key, port);
        Victim v = victims.get(k);
        if (v == null) {
            long credit = response ? victims.admit(k) : victims.size() < victims.cap() ? 0 : -1;
            if (credit < 0) {
                return null;
            }
            v = new Victim(hi, lo, port);
            v.credit = credit;
            victims.put(k, v);
        }
        return v;
    }

    /** (victim, service) pairs tracked in this window (for tests). */
    int tracked() {
        return victims.size();
    }

    /** (victim, service) pairs that took the place of one with fewer responses, since the start. */
    public long evicted() {
        return victims.evicted();
    }

    /** (victim, service) pairs not tracked because the table was full of busier ones, since the start. */
    public long untracked() {
        return victims.untracked();
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isUdp()) {
            return;
        }
        int sport = p.sourcePort();
        int dport = p.destinationPort();
        // one way, from the service port to the same port is a peer's or a client's request (ntpd's 123 to 123), no answer
        if (watched[sport] && (config.twoWay() == 1 || sport != dport)) {
            Victim v = victim(p.destinationKey(), p.destinationHi(), p.destinationLo(), sport, true);
            if (v != null) {
                v.responses += p.weight();
                v.responseBytes += (long) p.weight() * p.wireLength();
                v.first = Math.min(v.first, t);
                v.last = Math.max(v.last, t);
                v.oneWay.response(p, p.weight());
                if (sport == DNS_PORT && dns.parseResponse(p.frame(), p.payloadOffset(), p.payloadLength())) {
                    v.oneWay.question(dns.qtype(), dns.nameHashIgnoringCase(), p.weight());
                }
                if (reflectors.add(Addresses.pair(Addresses.pair(p.destinationKey(), sport), p.sourceKey()))) {
                    v.reflectors++;
                    v.oneWay.newReflector(dport, 1);
                }
                if (v.responseBytes >= config.minResponseBytes() && v.reflectors >= config.minReflectors()
                        && v.look.dueEarly(t, config.earlyNanos()) && report(v, sink)) {
                    v.look.reportedEarly();
                }
            }
        }
        if (watched[dport]) {
            Victim v = victim(p.sourceKey(), p.sourceHi(), p.sourceLo(), dport, false);
            if (v != null) {
                v.requests += p.weight();
                v.requestBytes += (long) p.weight() * p.wireLength();
            }
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
    }

    private void close(DetectionSink sink) {
        victims.forEach(v -> report(v, sink));
        victims.clear();
        reflectors.clear();
        window.close();
    }

    /** Reports the victim if what it received so far from the service is amplification; whether it did. */
    private boolean report(Victim v, DetectionSink sink) {
        if (v.responseBytes < config.minResponseBytes() || v.reflectors < config.minReflectors()) {
            return false;
        }
        double amplification = v.requestBytes == 0 ? Double.POSITIVE_INFINITY : (double) v.responseBytes / v.requestBytes;
        if (amplification < config.minAmplification()) {
            return false;
        }
        String evidence = config.twoWay() == 1 ? null
                : v.oneWay.text(v.responses, v.reflectors, config.oneWayMinReflectors(), config.oneWayPortReflectors(),
                        false); // an exact set
        if (config.twoWay() == 0 && evidence == null) {
            return false; // one way, "no requests" is all it has: what a host's own resolver hearing many servers shows too
        }
        String service = config.services().get(v.port) + " (UDP " + v.port + ")";
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(v.responses) + " " + service + " responses, " + Detections.bytes(v.responseBytes) + " in "
                + Detections.seconds(v.last - v.first) + " (" + Detections.rateText(Detections.rate(v.responseBytes * 8, v.last - v.first), "bit")
                + ")");
        reasons.add("from " + Detections.count(v.reflectors) + " reflectors");
        reasons.add(v.requestBytes == 0 ? (evidence == null ? "no requests sent by the victim (spoofed)" : "no requests seen (one way)")
                : Detections.count(v.requests) + " requests, " + Detections.bytes(v.requestBytes) + " (amplification "
                        + Detections.ratio(amplification) + "x)");
        if (evidence != null) {
            reasons.add(evidence);
        }
        String full = victims.fullReason("victims", NAME + ".maxVictims");
        if (full != null) {
            reasons.add(full);
        }
        sink.report(Detection.of(v.first, NAME, Addresses.text(v.hi, v.lo), (double) v.responseBytes / config.minResponseBytes(),
                reasons).withTarget(new Detection.Target(Addresses.inet(v.hi, v.lo), 17, v.port, 0)));
        return true;
    }
}
