package io.xdpml.detect;

import io.xdpml.packet.PayloadEntropy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Single- and few-source floods of any protocol, per destination in windows of packet time: the
 * packets and bytes a destination receives outside of conversations, split by protocol (TCP, UDP,
 * ICMP, other), and its
 * heaviest senders in a Space-Saving table of {@value #HEAVY_SLOTS} counters (as {@link SynFloodDetector}:
 * every sender of more than 1/{@value #HEAVY_SLOTS} of its packets is in it, whatever came first).
 * Reported when the destination received at least {@code minPackets} packets at {@code minPps}
 * packets/s or more (over the window's span, at least 1 s) and its heaviest senders (each with at
 * least {@code minSourceShare} of its packets for certain, at most {@value #MAX_SOURCES}) together
 * sent at least {@code minNamedShare} of them (of those outside conversations: the packets of the
 * answered senders below do not count): those are named as the sources. A flood from many
 * (or spoofed) sources names no one and is left to {@code volumetric} and {@code synflood}.
 *
 * <p>Conversations are not floods: a sender the destination answers (at least {@code minReplyShare}
 * of its packets) is not named. Answers are UDP datagrams back (QUIC, a game, a call). TCP segments
 * with ACK or RST are counted only with {@code twoWay} (the detector sees both directions): then TCP
 * back other than RSTs and SYN-ACKs is an answer too: a connection's data and acknowledgements (a
 * bulk download's receiver acknowledges the sender, the sender answers with data), and a SYN
 * flooder's SYNs, to which its victim's RSTs (backscatter) are the answer. So an ACK or RST flood,
 * which the victim meets with RSTs or silence, names its source, while a SYN flood's SYNs, which a
 * victim meets with SYN-ACKs or RSTs, stay the flooder's. Without {@code twoWay} (the default, and
 * what the agent's XDP sees: what arrives, never its host's answers) only SYNs and other segments
 * without ACK or RST are counted. SYN-ACKs are never counted (a reflection, {@code synflood}'s to
 * report). ICMP echo requests are
 * counted whether answered or not (a host answers every ping of a ping flood); echo replies and
 * IPv6 neighbour discovery are not counted; ICMP errors are, as any ICMP (BlackNurse, type 3 code 3). Nor is a destination whose TCP/UDP packets (when they are
 * most of them) went to fewer than {@code minPacketsPerPort} per distinct port: one probe per port is
 * a fast scan (portscan, udpscan), not a flood.
 *
 * <p>Slow echo floods (since 2026-12-07): ICMP and ICMPv6 echo requests from one source to one
 * destination, counted (weighed) over a horizon of {@code slowEchoNanos} in {@value #ECHO_EPOCHS}
 * epochs that outlives the windows ({@link ConnectionHorizon#packets}): reported, with the source
 * named, at the request that finds at least {@code slowEchoPps} a second over the horizon, its
 * requests spread over at least half the horizon and their rate under {@code minPps} (a faster
 * flood is the window's to report), then at most once per epoch while the horizon holds that many. A ping stream of 100 a second or more for
 * 10 s (the defaults) is far under the floors above and far over any ping a person or a monitor
 * sends (one a second; bursts of a few). Only while ICMP is counted ({@code protocols}); at most
 * {@code maxDestinations} pairs.
 */
public final class FloodDetector implements Detector {
    public static final String NAME = "flood";
    static final int HEAVY_SLOTS = 16;
    static final int MAX_SOURCES = 8;
    /** Epochs of the slow echo rule's horizon. */
    static final int ECHO_EPOCHS = 10;
    private static final String[] PROTOCOL = {"TCP", "UDP", "ICMP", "other"};
    /** {@link Config#protocols()}: the bit of each protocol class ({@link #protocolClass}). */
    public static final int TCP = 1;
    public static final int UDP = 2;
    public static final int ICMP = 4;
    public static final int OTHER = 8;
    public static final int ALL = TCP | UDP | ICMP | OTHER;

    /**
     * @param windowNanos    window length
     * @param minPackets     packets per window to one destination before anything is reported
     * @param minPps         and their rate, per second over the window's span (at least 1 s)
     * @param minSourceShare a sender is named with at least this share of the destination's packets
     * @param minNamedShare  the named senders together sent at least this share
     * @param minReplyShare  a sender answered by the destination (UDP, or TCP but RST and SYN-ACK) for at least this share of its packets is in a conversation
     * @param minPacketsPerPort TCP/UDP packets per distinct destination port at least this (fewer: one probe per port, a scan's shape)
     * @param maxDestinations destinations tracked per window (about 700 bytes each); full, a new one takes the place of
     *                        the one with fewest packets of a few when its packets keep coming ({@link BoundedSubjects}),
     *                        else it is counted, not tracked
     * @param maxPayloadEntropy opt-in: no report when the counted packets with a payload carry more than this
     *                          mean payload entropy (bits/byte, first 64 bytes; at most 6): a one-way stream of
     *                          random-looking data (iperf3 -u) rather than filler. Off by default (8: never more),
     *                          because a flood of random bytes passes it (docs/detectors.md, "Payload entropy")
     * @param twoWay            1: the detector sees both directions of every conversation (a capture of both, a tap, a
     *                          router's interfaces), so TCP segments with ACK or RST are counted too and an ACK or RST
     *                          flood, which its victim does not answer as a connection, names its source. 0 (default):
     *                          one direction may be all it sees (the agent's XDP sees what arrives, never what its host
     *                          answers), so TCP with ACK or RST is not counted: a download's acknowledgements at flood
     *                          rate would otherwise look like an ACK flood
     * @param earlyNanos        0: report at the window's end only; more: also as soon as a destination's flood holds
     *                          this long after it reached {@code minPackets} at {@code minPps} ({@link EarlyLook})
     * @param protocols         which packets are counted, a sum of {@link #TCP} 1, {@link #UDP} 2, {@link #ICMP} 4 (and
     *                          ICMPv6), {@link #OTHER} 8 (any other IP protocol); 15 (default): all. The agent's default
     *                          is ICMP alone (docs/detectors.md, "flood"): one-way UDP at flood rates is also what a QUIC
     *                          download, a VXLAN peer or a flow exporter sends, and what the agent sees is one way
     * @param slowEchoPps       echo requests a second from one source to one destination, on average over
     *                          {@code slowEchoNanos}, that make a slow echo flood (0: no slow echo rule)
     * @param slowEchoNanos     the slow echo rule's horizon ({@value #ECHO_EPOCHS} epochs: exact to within a tenth of it)
     */
    public record Config(long windowNanos, long minPackets, double minPps, double minSourceShare, double minNamedShare,
            double minReplyShare, double minPacketsPerPort, int maxDestinations, double maxPayloadEntropy, int twoWay, long earlyNanos,
            int protocols, double slowEchoPps, long slowEchoNanos) {
        public Config {
            if (windowNanos <= 0 || minPackets < 1 || minPps <= 0 || !(minSourceShare > 0 && minSourceShare <= 1)
                    || !(minNamedShare > 0 && minNamedShare <= 1) || !(minReplyShare > 0) || minPacketsPerPort < 0 || maxDestinations < 1
                    || !(maxPayloadEntropy >= 0) || twoWay < 0 || twoWay > 1 || earlyNanos < 0 || protocols < 1 || protocols > ALL
                    || !(slowEchoPps >= 0) || slowEchoNanos < ECHO_EPOCHS) {
                throw new IllegalArgumentException("bad flood config: " + this);
            }
        }

        /** Without the slow echo rule's settings: its defaults. */
        public Config(long windowNanos, long minPackets, double minPps, double minSourceShare, double minNamedShare,
                double minReplyShare, double minPacketsPerPort, int maxDestinations, double maxPayloadEntropy, int twoWay, long earlyNanos,
                int protocols) {
            this(windowNanos, minPackets, minPps, minSourceShare, minNamedShare, minReplyShare, minPacketsPerPort, maxDestinations,
                    maxPayloadEntropy, twoWay, earlyNanos, protocols, SLOW_ECHO_PPS, SLOW_ECHO_NANOS);
        }

        /** The slow echo floor: echo requests within the horizon. */
        long slowEchoFloor() {
            return (long) Math.ceil(slowEchoPps * slowEchoNanos / 1e9);
        }

        /** The configuration before the payload rule (off). */
        public Config(long windowNanos, long minPackets, double minPps, double minSourceShare, double minNamedShare,
                double minReplyShare, double minPacketsPerPort, int maxDestinations) {
            this(windowNanos, minPackets, minPps, minSourceShare, minNamedShare, minReplyShare, minPacketsPerPort, maxDestinations,
                    PAYLOAD_RULE_OFF, 0, 0, ALL);
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 5_000, 5_000, 0.1, 0.5, 0.05, 1.5, 16_384, PAYLOAD_RULE_OFF, 0, 0, ALL);
        }
    }

    /** maxPayloadEntropy's default: above any entropy of 64 bytes (at most 6 bits per byte), so the rule never acts. */
    public static final double PAYLOAD_RULE_OFF = 8.0;
    /** The slow echo rule's defaults: 100 echo requests a second from one source to one destination, over 10 s. */
    public static final double SLOW_ECHO_PPS = 100;
    public static final long SLOW_ECHO_NANOS = 10_000_000_000L;

    private static final class Destination {
        final long hi;
        final long lo;
        long first = Long.MAX_VALUE;
        long last;
        /** Packets and bytes counted, each packet {@link PacketObservation#weight()} times; packets seen, and of them TCP/UDP. */
        long packets;
        long bytes;
        long seen;
        long portedSeen;
        final long[] byProtocol = new long[4];
        int ports;
        int lastPort;
        /** Counted packets with a payload, the sum of their payload entropies (1/65536 bits per byte), those of entropy 0. */
        long withPayload;
        long entropySum;
        long constantPayload;
        /** The heaviest senders; the extra counter: the destination's answers to the sender (since it took its slot): UDP, or TCP but RST and SYN-ACK. */
        final HeavyHitters senders = new HeavyHitters(HEAVY_SLOTS, true);
        final EarlyLook look = new EarlyLook();
        /** Its estimated packets before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;

        Destination(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final BoundedSubjects<Destination> destinations;
    private final LongHashSet ports = new LongHashSet(1024);
    /** The slow echo rule's counts per (source, destination); null when it is off. */
    private final ConnectionHorizon echoes;

    public FloodDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.destinations = new BoundedSubjects<>(config.maxDestinations(), d -> d.packets + d.credit);
        this.echoes = config.slowEchoPps() == 0 ? null
                : new ConnectionHorizon(config.slowEchoNanos(), ECHO_EPOCHS, ECHO_EPOCHS, config.maxDestinations(), 1);
    }

    public FloodDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    public Config config() {
        return config;
    }

    static int protocolClass(int protocol) {
        return switch (protocol) {
            case 6 -> 0;
            case 17 -> 1;
            case 1, 58 -> 2;
            default -> 3;
        };
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isIp()) {
            return;
        }
        if (p.isSynAck()) {
            return; // a SYN's answer, or a reflection (synflood's)
        }
        boolean acknowledging = p.isTcp() && (p.tcpFlags() & (PacketObservation.TCP_ACK | PacketObservation.TCP_RST)) != 0;
        if (acknowledging && config.twoWay() == 0) {
            return; // seen one way, a connection's data and acknowledgements cannot be told from an ACK flood
        }
        if (p.isEchoReply() || (p.protocol() == 58 && p.icmpType() >= 133 && p.icmpType() <= 137)) {
            return; // answers to pings; IPv6 neighbour discovery
        }
        int c = protocolClass(p.protocol());
        if ((config.protocols() & (1 << c)) == 0) {
            return;
        }
        if (echoes != null && p.isEchoRequest()) {
            lookSlowEcho(p, t, sink);
        }
        if (p.isUdp() || (config.twoWay() == 1 && p.isTcp() && (p.tcpFlags() & PacketObservation.TCP_RST) == 0)) {
            Destination from = destinations.get(p.sourceKey());
            if (from != null) {
                from.senders.addExtra(p.destinationHi(), p.destinationLo(), p.weight()); // an answer to what the destination was sent
            }
        }
        long key = p.destinationKey();
        Destination d = destinations.get(key);
        if (d == null) {
            long credit = destinations.admit(key);
            if (credit < 0) {
                return;
            }
            d = new Destination(p.destinationHi(), p.destinationLo());
            d.credit = credit;
            destinations.put(key, d);
        }
        int w = p.weight();
        d.packets += w;
        d.seen++;
        d.bytes += (long) w * p.wireLength();
        d.first = Math.min(d.first, t);
        d.last = Math.max(d.last, t);
        d.byProtocol[c] += w;
        if (c < 2) {
            d.portedSeen++;
        }
        if (c < 2 && ports.add(Addresses.pair(key, ((long) c << 16) | p.destinationPort()))) {
            d.ports++;
            d.lastPort = p.destinationPort();
        }
        d.senders.add(p.sourceHi(), p.sourceLo(), w);
        int h = p.payloadEntropyQ16();
        if (p.payloadEntropyBytes() > 0) {
            d.withPayload++;
            d.entropySum += h;
            if (h == 0) {
                d.constantPayload++;
            }
        }
        // the floors: minPackets at minPps over the span so far (at least 1 s), as the window's end counts them
        if (d.packets >= config.minPackets() && d.packets * 1e9 >= config.minPps() * Math.max(d.last - d.first, 1_000_000_000L)
                && d.look.dueEarly(t, config.earlyNanos()) && report(d, sink)) {
            d.look.reportedEarly();
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    /** Destinations not tracked because the table was full (all windows so far). */
    public long untracked() {
        return destinations.untracked();
    }

    /** Destinations that took the place of one with fewer packets (all windows so far). */
    public long evicted() {
        return destinations.evicted();
    }

    /** Destinations tracked in this window (for tests). */
    int tracked() {
        return destinations.size();
    }

    /**
     * What the counted packets carried (evidence for the reader, not a condition of the report: on
     * the captures floods carry no payload, but benign bulk data can be one byte repeated too, see
     * docs/detectors.md, "Payload entropy"): e.g. {@code payload: none in 14,829 packets} or
     * {@code payload in 171 of 15,000 packets: entropy 3.76 bits/byte on average (first 64 bytes), 0 one byte repeated}.
     */
    private static String payloadReason(Destination d) {
        String seen = Detections.count(d.seen) + " packets" + (d.seen != d.packets ? " seen" : ""); // the payloads Java saw
        if (d.withPayload == 0) {
            return "payload: none in " + seen;
        }
        double mean = d.entropySum / (double) d.withPayload / PayloadEntropy.ONE;
        return "payload in " + Detections.count(d.withPayload) + " of " + seen + ": entropy "
                + String.format(java.util.Locale.ROOT, "%.2f", mean) + " bits/byte on average (first "
                + PayloadEntropy.DEFAULT_PREFIX + " bytes), " + Detections.count(d.constantPayload) + " one byte repeated";
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
        if (echoes != null) {
            echoes.advance(nowNanos);
        }
    }

    /**
     * The slow echo rule at an echo request: reports its source when its requests to the
     * destination over the horizon reach the floor, at most once per epoch.
     */
    private void lookSlowEcho(PacketObservation p, long t, DetectionSink sink) {
        ConnectionHorizon.Pair q = echoes.packets(p, Addresses.mix(Addresses.pair(p.sourceKey(), p.destinationKey())), t, p.weight());
        if (q == null || !echoes.due(q)) {
            return;
        }
        long n = echoes.connections(q);
        long floor = config.slowEchoFloor();
        if (n < floor) {
            return;
        }
        long first = echoes.firstInHorizon(q);
        long span = t - first;
        if (span < config.slowEchoNanos() / 2 || n * 1e9 >= config.minPps() * span) {
            return; // not sustained yet, or a flood the window's floors are for
        }
        echoes.reported(q);
        String source = q.source();
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(n) + " echo requests from " + source + " in " + Detections.seconds(span) + " ("
                + Detections.rateText(n * 1e9 / span, "echo request") + " sustained; at least "
                + Detections.count(floor) + " within " + Detections.seconds(config.slowEchoNanos()) + ")");
        String full = echoes.fullReason("source-destination pairs", NAME + ".maxDestinations");
        if (full != null) {
            reasons.add(full);
        }
        sink.report(Detection.of(t, NAME, q.destination(), (double) n / floor, reasons, List.of(source))
                .withTarget(new Detection.Target(Addresses.inet(q.dstHi, q.dstLo), Addresses.isV4(q.dstHi, q.dstLo) ? 1 : 58, 0, 0)));
    }

    private void close(DetectionSink sink) {
        destinations.forEach(d -> report(d, sink));
        destinations.clear();
        ports.clear();
        window.close();
    }

    /** Reports the destination if what it received so far is a flood with named senders; whether it did. */
    private boolean report(Destination d, DetectionSink sink) {
        if (d.packets < config.minPackets()) {
            return false;
        }
        double pps = Detections.rate(d.packets, Math.max(d.last - d.first, 1_000_000_000L));
        if (pps < config.minPps()) {
            return false;
        }
        // the packets seen, not weighed: a sample sees ports about as often as packets, one per probe of a scan
        if (d.portedSeen * 2 > d.seen && d.portedSeen < config.minPacketsPerPort() * d.ports) {
            return false; // about one packet per port: a fast scan's shape, portscan's and udpscan's to report
        }
        if (d.withPayload > 0 && d.entropySum > config.maxPayloadEntropy() * PayloadEntropy.ONE * d.withPayload) {
            return false; // opt-in: random-looking data streamed one way, not filler
        }
        long min = Math.max(1, (long) Math.ceil(d.packets * config.minSourceShare()));
        HeavyHitters heavy = d.senders;
        IntPredicate certain = i -> heavy.sure(i) >= min;
        IntPredicate answered = i -> heavy.extra(i) >= heavy.sure(i) * config.minReplyShare();
        long conversing = 0;
        long conversation = 0; // packets of answered senders: not a flood's, so not in the share either
        for (int i = 0; i < heavy.size(); i++) {
            if (certain.test(i) && answered.test(i)) {
                conversing++;
                conversation += heavy.sure(i);
            }
        }
        List<Integer> top = heavy.byCount(certain.and(answered.negate()));
        if (top.size() > MAX_SOURCES) {
            top = top.subList(0, MAX_SOURCES);
        }
        long named = 0;
        List<String> sources = new ArrayList<>();
        List<String> senders = new ArrayList<>();
        for (int i : top) {
            named += heavy.sure(i);
            String a = heavy.address(i);
            sources.add(a);
            senders.add(a + " " + Detections.count(heavy.sure(i)));
        }
        double share = (double) named / Math.max(1, d.packets - conversation);
        if (sources.isEmpty() || share < config.minNamedShare()) {
            return false;
        }
        if (conversing > 0) {
            senders.add(conversing + " more answered, not named");
        }
        int major = 0;
        for (int c = 1; c < 4; c++) {
            if (d.byProtocol[c] > d.byProtocol[major]) {
                major = c;
            }
        }
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(d.packets) + " packets, " + Detections.bytes(d.bytes) + " in " + Detections.seconds(d.last - d.first)
                + " (" + Detections.rateText(pps, "packet") + ")" + (d.seen != d.packets ? ", estimated from " + Detections.count(d.seen)
                + " seen (sampled packets counted as many as each stands for)" : ""));
        StringBuilder mix = new StringBuilder();
        for (int c = 0; c < 4; c++) {
            if (d.byProtocol[c] > 0) {
                mix.append(mix.isEmpty() ? "" : ", ").append(Detections.count(d.byProtocol[c])).append(' ').append(PROTOCOL[c]);
            }
        }
        reasons.add(mix + (major < 2 ? " to " + (d.ports == 1 ? "port " + d.lastPort : Detections.count(d.ports) + " ports") : ""));
        reasons.add((sources.size() == 1 ? "1 source sent " : sources.size() + " sources sent ") + Detections.ratio(share * 100)
                + "%: " + String.join(", ", senders));
        reasons.add(payloadReason(d));
        String full = destinations.fullReason("destinations", NAME + ".maxDestinations");
        if (full != null) {
            reasons.add(full);
        }
        Detection out = Detection.of(d.first, NAME, Addresses.text(d.hi, d.lo), pps / config.minPps(), reasons, sources);
        // the target when one protocol is nearly all of it (its port when one port is)
        if (d.byProtocol[major] * 10 >= d.packets * 9 && major < 3) {
            int protocol = major == 0 ? 6 : major == 1 ? 17 : Addresses.isV4(d.hi, d.lo) ? 1 : 58;
            int port = major < 2 && d.ports == 1 ? d.lastPort : 0;
            out = out.withTarget(new Detection.Target(Addresses.inet(d.hi, d.lo), protocol, 0, port));
        }
        sink.report(out);
        return true;
    }
}
