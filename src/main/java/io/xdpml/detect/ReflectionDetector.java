package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * UDP reflection and amplification from any service port, recognised by behaviour rather than by
 * a list of services ({@link AmplificationDetector} keeps the list), per (victim, service port) in
 * windows of packet time.
 *
 * <p>Every UDP datagram from port P to the victim's port Q is a response, <em>unsolicited</em>
 * unless the victim itself sent from Q to port P (to any host: a multicast or broadcast discovery
 * is answered by unicast) in this window or the previous one. Per victim and P: responses,
 * unsolicited responses and their bytes, the distinct reflectors that sent them, and the bytes the
 * victim sent to port P (its requests). Reported when at least {@code minResponseBytes} of
 * unsolicited responses came from at least {@code minReflectors} reflectors, at least
 * {@code minUnsolicitedShare} of all responses from P were unsolicited, and the unsolicited bytes
 * are at least {@code minAmplification} times the victim's request bytes (none at all: unbounded,
 * the requests were spoofed). Many clients answered by one server are many victims of one
 * reflector each, never 20 reflectors; a client's own requests make its answers solicited, where
 * they are seen. Multicast and broadcast destinations are not victims. Ports in
 * {@link AmplificationDetector#DEFAULT_SERVICES} are left to {@code amplification} unless
 * {@code listedServicesToo} is 1.
 *
 * <p>A client's requests are seen only where both directions are ({@code twoWay} 1: a capture of
 * both, a tap, a gateway's interfaces). One way ({@code twoWay} 0, the default; the agent's XDP sees
 * what arrives, never its host's requests) every answer reads as unsolicited: an HTTP/3 client
 * hearing 25 CDNs on UDP 443 would be a victim whose port 443 the agent drops. So one way a report
 * also needs what a host's own answers do not show ({@link OneWayEvidence}): at least
 * {@code oneWayMinReflectors} reflectors, or at least {@code oneWayPortReflectors} of them
 * answering one privileged port of the victim (below 1024, never a client's) from a port at or above
 * 1024, or mostly first fragments; and a datagram from port P to the same port (SIP 5060, IKE 4500,
 * syslog 514 between peers) is a peer's request, not counted. Without the privileged-port limit a
 * game server would qualify: its players' clients send from one fixed port (27005) to its 27015.
 */
public final class ReflectionDetector implements Detector {
    public static final String NAME = "reflection";
    private static final long UNSOLICITED_TAG = 0x554e_534f_4c00_0000L;

    /**
     * @param windowNanos         window length
     * @param minResponseBytes    unsolicited response bytes per window towards one victim from one port
     * @param minReflectors       distinct reflectors of those
     * @param minAmplification    unsolicited response bytes per request byte the victim sent to that port
     * @param minUnsolicitedShare at least this share of the responses from the port unsolicited
     * @param listedServicesToo   1: also the ports {@code amplification} watches; 0: leave them to it
     * @param maxVictims          (victim, port) pairs tracked per window (about 500 bytes each); full, a new one takes the
     *                            place of the one with fewest unsolicited responses when its responses keep coming
     *                            ({@link BoundedSubjects}), else it is counted, not tracked; requests alone get an entry
     *                            only while there is room
     * @param earlyNanos          0: report at the window's end only; more: also as soon as the reflection holds this
     *                            long after the victim got {@code minResponseBytes} unsolicited from {@code minReflectors}
     *                            ({@link EarlyLook})
     * @param twoWay              1: both directions are seen, so a victim's requests are too and none seen means spoofed;
     *                            0 (default; the agent): one way, and a report also needs one-way evidence (the class comment)
     * @param oneWayMinReflectors  one way: this many reflectors are evidence
     * @param oneWayPortReflectors one way: this many reflectors answering one port of the victim below 1024 first, from
     *                             a port at or above 1024, are evidence
     * @param maxReflectors        (victim, port, reflector) keys kept in the window's set of distinct reflectors (9 bytes a
     *                             slot, at most 2 slots a key); past it, a hash sample whose counts are estimates
     *                             ({@link SampledKeys}; since 2026-12-06, before no cap)
     */
    public record Config(long windowNanos, long minResponseBytes, int minReflectors, double minAmplification, double minUnsolicitedShare,
            int listedServicesToo, int maxVictims, long earlyNanos,
            int twoWay, int oneWayMinReflectors, int oneWayPortReflectors, int maxReflectors) {
        public Config {
            if (windowNanos <= 0 || minResponseBytes < 1 || minReflectors < 1 || minAmplification < 0
                    || !(minUnsolicitedShare >= 0 && minUnsolicitedShare <= 1) || (listedServicesToo != 0 && listedServicesToo != 1)
                    || maxVictims < 1 || earlyNanos < 0) {
                throw new IllegalArgumentException("bad reflection config: " + this);
            }
            if (twoWay < 0 || twoWay > 1 || oneWayMinReflectors < 1 || oneWayPortReflectors < 1 || maxReflectors < 1) {
                throw new IllegalArgumentException("bad reflection config (twoWay 0 or 1, oneWay* at least 1): " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 100_000, 20, 10.0, 0.9, 0, 16_384, 0, 0, 200, 10, 262_144);
        }
    }

    private static final class Victim {
        final long hi;
        final long lo;
        final int port;
        long first = Long.MAX_VALUE;
        long last;
        long responses;
        long unsolicited;
        long unsolicitedBytes;
        /** Distinct reflectors: an estimate once the window's set is sampled; the keys kept it was counted from. */
        long reflectors;
        /** Whether {@link #reflectors} is an estimate: a key of it went to the window's set while it was sampled (since 2026-12-06, said: {@code ~}). */
        boolean reflectorsEstimated;
        int reflectorsKept;
        long reflectorsVariance;
        long requests;
        long requestBytes;
        /** Its estimated responses before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;
        final EarlyLook look = new EarlyLook();
        final OneWayEvidence oneWay = new OneWayEvidence();

        Victim(long hi, long lo, int port) {
            this.hi = hi;
            this.lo = lo;
            this.port = port;
        }
    }

    private final Config config;
    private final boolean[] skipped = new boolean[65536];
    private final TumblingWindow window;
    private final BoundedSubjects<Victim> victims;
    private final SampledKeys reflectors;
    /** (host, its port, port it sent to) of this window and of the previous one: what makes a response solicited. */
    private BoundedMembership asked = new BoundedMembership();
    private BoundedMembership askedBefore = new BoundedMembership();

    public ReflectionDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.victims = new BoundedSubjects<>(config.maxVictims(), v -> v.unsolicited + v.credit);
        this.reflectors = new SampledKeys(4096, config.maxReflectors());
        if (config.listedServicesToo() == 0) {
            for (int port : AmplificationDetector.DEFAULT_SERVICES.keySet()) {
                skipped[port] = true;
            }
        }
    }

    public ReflectionDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** (victim, port) pairs not tracked because the table was full of busier ones (all windows so far). */
    public long untracked() {
        return victims.untracked();
    }

    /** (victim, port) pairs that took the place of one with fewer unsolicited responses, since the start. */
    public long evicted() {
        return victims.evicted();
    }

    /** (victim, port) pairs tracked in this window (for tests). */
    int tracked() {
        return victims.size();
    }

    /** The (victim, port)'s entry, made at its first response (taking a weaker one's place when the table is full); null when not tracked. */
    private Victim victim(long key, long hi, long lo, int port) {
        long k = Addresses.pair(key, port);
        Victim v = victims.get(k);
        if (v == null) {
            long credit = victims.admit(k);
            if (credit < 0) {
                return null;
            }
            v = new Victim(hi, lo, port);
            v.credit = credit;
            victims.put(k, v);
        }
        return v;
    }

    private static long askKey(long host, int hostPort, int servicePort) {
        return Addresses.pair(Addresses.pair(host, hostPort), servicePort);
    }

    static boolean groupDestination(PacketObservation p) {
        if (Addresses.isV4(p.destinationHi(), p.destinationLo())) {
            int a = (int) p.destinationLo();
            return (a >>> 28) == 0xe || a == -1 || (a & 0xff) == 0xff;
        }
        return (p.destinationHi() >>> 56) == 0xff;
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
        asked.add(askKey(p.sourceKey(), sport, dport));
        // one way, from port P to the same port is a peer's request (SIP, IKE, syslog between peers), no answer
        if (!skipped[sport] && !groupDestination(p) && (config.twoWay() == 1 || sport != dport)) {
            Victim v = victim(p.destinationKey(), p.destinationHi(), p.destinationLo(), sport);
            if (v != null) {
                v.responses++;
                long k = askKey(p.destinationKey(), dport, sport);
                if (!asked.contains(k) && !askedBefore.contains(k)) {
                    v.unsolicited++;
                    v.unsolicitedBytes += p.wireLength();
                    v.first = Math.min(v.first, t);
                    v.last = Math.max(v.last, t);
                    v.oneWay.response(p, 1);
                    v.reflectorsEstimated |= reflectors.level() > 0;
                    long w = reflectors.add(Addresses.pair(Addresses.pair(p.destinationKey(), sport), p.sourceKey() ^ UNSOLICITED_TAG));
                    if (w > 0) {
                        v.reflectors += w;
                        v.reflectorsKept++;
                        v.reflectorsVariance += SampledKeys.variance(w);
                        if (dport < 1024 && sport >= 1024) {
                            v.oneWay.newReflector(dport, w); // a privileged port: never a client's (ephemeral) one
                        }
                    }
                    if (v.unsolicitedBytes >= config.minResponseBytes() && enoughReflectors(v)
                            && v.look.dueEarly(t, config.earlyNanos()) && report(v, sink)) {
                        v.look.reportedEarly();
                    }
                }
            }
        }
        if (!skipped[dport]) {
            Victim v = victims.get(Addresses.pair(p.sourceKey(), dport));
            if (v != null) {
                v.requests++;
                v.requestBytes += p.wireLength();
            } else if (victims.size() < victims.cap()) {
                v = new Victim(p.sourceHi(), p.sourceLo(), dport);
                v.requests = 1;
                v.requestBytes = p.wireLength();
                victims.put(Addresses.pair(p.sourceKey(), dport), v);
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
        BoundedMembership previous = askedBefore;
        askedBefore = asked;
        asked = previous;
        asked.clear();
        window.close();
    }

    /** At {@code minReflectors}, on a count that may be held against it ({@link SampledKeys#reaches}). */
    private boolean enoughReflectors(Victim v) {
        return SampledKeys.reaches(v.reflectors, v.reflectorsKept, v.reflectorsVariance, config.minReflectors());
    }

    /** The window's requests (for tests). */
    BoundedMembership requestSet() {
        return asked;
    }

    /** The window's set of distinct reflectors (for tests). */
    SampledKeys reflectorSet() {
        return reflectors;
    }

    /** Reports the victim if what it received so far from the port is reflection; whether it did. */
    private boolean report(Victim v, DetectionSink sink) {
        if (v.unsolicitedBytes < config.minResponseBytes() || !enoughReflectors(v)
                || v.unsolicited < config.minUnsolicitedShare() * v.responses) {
            return false;
        }
        double amplification = v.requestBytes == 0 ? Double.POSITIVE_INFINITY : (double) v.unsolicitedBytes / v.requestBytes;
        if (amplification < config.minAmplification()) {
            return false;
        }
        String evidence = config.twoWay() == 1 ? null
                : v.oneWay.text(v.unsolicited, v.reflectors, config.oneWayMinReflectors(), config.oneWayPortReflectors(),
                        v.reflectorsEstimated);
        if (config.twoWay() == 0 && evidence == null) {
            return false; // one way, "unsolicited" is all it has: what a host's own HTTP/3 downloads from many CDNs show too
        }
        String service = AmplificationDetector.DEFAULT_SERVICES.containsKey(v.port)
                ? AmplificationDetector.DEFAULT_SERVICES.get(v.port) + " (UDP " + v.port + ")" : "UDP " + v.port;
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(v.unsolicited) + " unsolicited responses from " + service + ", " + Detections.bytes(v.unsolicitedBytes)
                + " in " + Detections.seconds(v.last - v.first) + " ("
                + Detections.rateText(Detections.rate(v.unsolicitedBytes * 8, v.last - v.first), "bit") + ")");
        reasons.add("from " + Detections.count(v.reflectors, v.reflectorsEstimated) + " reflectors" + Detections.estimated(v.reflectorsEstimated));
        reasons.add(Detections.ratio(100.0 * v.unsolicited / v.responses) + "% of " + Detections.count(v.responses)
                + " datagrams from UDP " + v.port + " answer nothing the victim sent");
        reasons.add(v.requestBytes == 0
                ? (evidence == null ? "no requests sent by the victim to UDP " + v.port + " (spoofed)"
                        : "no requests to UDP " + v.port + " seen (one way)")
                : Detections.count(v.requests) + " requests to UDP " + v.port + ", " + Detections.bytes(v.requestBytes)
                        + " (amplification " + Detections.ratio(amplification) + "x)");
        if (evidence != null) {
            reasons.add(evidence);
        }
        String full = victims.fullReason("victims", NAME + ".maxVictims");
        if (full != null) {
            reasons.add(full);
        }
        String sampled = reflectors.sampledReason("(victim, port, reflector) keys", NAME + ".maxReflectors", "reflectors");
        if (sampled != null) {
            reasons.add(sampled);
        }
        String filtered = BoundedMembership.filteredReason(asked, askedBefore, "requests (host, port, peer's port) this window and the last",
                "unsolicited responses read as solicited");
        if (filtered != null) {
            reasons.add(filtered);
        }
        sink.report(Detection.of(v.first, NAME, Addresses.text(v.hi, v.lo), (double) v.unsolicitedBytes / config.minResponseBytes(),
                reasons).withTarget(new Detection.Target(Addresses.inet(v.hi, v.lo), 17, v.port, 0)));
        return true;
    }
}
