package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * SYN floods and SYN-ACK reflection, per destination in windows of packet time.
 *
 * <p>Flood: the SYNs a destination receives, how many of them the initiator completed with an ACK
 * (matched by the 4-tuple of the SYN), how many distinct sources sent them (a spread of nearly one
 * source per SYN means spoofed sources) and the destination's answers (SYN-ACK, RST). Reported when
 * at least {@code minSyns} SYNs arrived at {@code minSynRate} per second or more and at most
 * {@code maxCompletionRatio} of them were completed.
 *
 * <p>Reflection: SYN-ACKs a destination receives for SYNs it never sent (a reflector answering
 * SYNs spoofed with the victim's address), less those whose connection went on: a segment with ACK
 * (neither SYN nor RST) from the SYN-ACK's sender on the same 4-tuple later in the window. A
 * reflector sends nothing after its SYN-ACK but retransmissions of it (and stops at the victim's
 * RST); a server the destination itself connected to goes on with acknowledgements and data. So
 * where the destination's own SYNs are not seen (the agent's XDP sees only what arrives, never
 * what its host sends) its outgoing connections are no reflection. Reported when at least
 * {@code minSyns} such SYN-ACKs arrived at {@code minSynRate} per second or more.
 *
 * <p>Sources: a flood's report names its top senders (up to {@value #MAX_SOURCES}, each with at
 * least {@value #SOURCE_SHARE} of the victim's SYNs for certain) unless the sources look spoofed:
 * those are what closed-loop mitigation blocks. Each victim keeps a Space-Saving table of
 * {@value #HEAVY_SLOTS} counters (Metwally et al.): every source with more than 1/{@value #HEAVY_SLOTS}
 * of the victim's SYNs is in it whatever came first, with its count over-estimated by at most the
 * error kept beside it; a sender is named when its count minus that error reaches the share. A
 * sender whose own handshakes were completed for more than {@code maxCompletionRatio} of its SYNs
 * is not named (a proxy's or a busy client's connections during a flood from others): the table
 * keeps beside each sender the handshakes it completed and the ACKs it sent the victim (the
 * completion's estimate where SYNs were sampled, as for the victim). No allocation per packet (the
 * table is allocated with the victim's entry).
 *
 * <p>Target: the victim, TCP and the port the SYNs went to, 0 when they went to many; a report that
 * names no sources (spoofed, or too spread to name) gives instead the port more than half of the
 * distinct source:port pairs went to, where there is one (a second Space-Saving table per victim,
 * of {@value #PORT_SLOTS} ports): a spoofed flood at one port stays aimed at that port while the
 * victim's other ports get SYNs too.
 *
 * <p>SYNs without TCP options (since 2026-12-07): no TCP stack in use sends one (Linux, Windows,
 * macOS, the BSDs, iOS and Android all send at least an MSS option); hping3, most flooders, masscan
 * and zmap do by default. A flood report says how many of the SYNs seen were such "bare" SYNs, and
 * when at least {@value #BARE_SHARE_PERCENT}% were, its target says so ({@link Detection.Target#bareSyns()}):
 * mitigation may then drop every bare SYN to the port (a bare-syn-drop) and no client loses a SYN.
 * The slow bare rule: bare SYNs to one destination port, counted (weighed) over a horizon of
 * {@code slowBareNanos} in {@value #BARE_EPOCHS} epochs that outlives the windows
 * ({@link ConnectionHorizon#packets}), reported when they reach {@code slowBareSyns} a second over the
 * horizon with at least {@value #MIN_SEEN} of them seen and spread over at least half of it, under
 * the rate the window rule needs ({@code minSynRate}, and {@code minSyns} in a window) and where it
 * reported no flood in this window or the one before (a faster flood is its, and is reported
 * once), then at most once per epoch while they hold:
 * a crafted SYN stream or flood far under {@code minSynRate} (a spoofed flood at 70 a second, a
 * stream of 100 a second from one host). It names the source when every bare SYN to the port came
 * from one; else none (spoofed), and its target, the port with bare SYNs, is for the bare-syn-drop.
 *
 * <p>Memory: at most {@code maxHosts} destinations per window (since 2026-12-06; before, one per
 * destination a flood reached, about 2 KB each). Full, a new destination takes the place of the
 * least active of a few when its SYNs keep coming ({@link BoundedSubjects}): a flood to many random
 * destinations cannot hide its victim. The window's 4-tuples (SYNs, their completions, unsolicited
 * SYN-ACKs and the connections that went on) are at most {@code maxTuples}, its host pairs (sources,
 * source:port pairs, ports, reflectors) at most {@code maxPairs} (since 2026-12-06; before, both
 * grew with the window's packets, about 100 MB for two million spoofed SYNs): past the cap each is
 * a hash sample ({@link SampledKeys}), and what is counted from it is weighed by 1/sampling rate, an
 * unbiased estimate (a SYN and its ACK are kept or dropped together, so the completion ratio does
 * not drift towards a flood as it would if the set stopped taking new tuples). A report made from
 * sampled sets says so.
 */
public final class SynFloodDetector implements Detector {
    public static final String NAME = "synflood";
    static final int MAX_SOURCES = 8;
    /** Heavy-hitter counters per victim: senders of more than 1/32 (3.1%) of its SYNs are always among them. */
    static final int HEAVY_SLOTS = 32;
    /** A sender is named when it sent at least this share of the victim's SYNs in the window. */
    static final double SOURCE_SHARE = 0.05;
    /** A top sender was seen sending at least this many of the SYNs (sampled ones each count once). */
    static final int MIN_SEEN = 3;
    /** Port counters per victim, by distinct sources: a port more than half of them went to is always among them. */
    static final int PORT_SLOTS = 8;
    /** The senders table's extra counters: a sender's handshakes completed with an ACK, its ACKs to the victim (weighed). */
    private static final int COMPLETED = 0;
    private static final int ACKS = 1;
    /** Tags the (victim, source, port) keys in the pairs set. */
    private static final long SOURCE_PORT_TAG = 0x5350_0000_0000_0000L;
    /** A 4-tuple's flags: a SYN seen, its handshake completed, an unsolicited SYN-ACK on it, that connection went on. */
    private static final int SYN = 2;
    private static final int COMPLETED_TUPLE = 4;
    private static final int UNSOLICITED = 8;
    private static final int WENT_ON = 16;
    /** A flood's target says its SYNs are bare when at least this share (percent) of those seen were. */
    static final int BARE_SHARE_PERCENT = 90;
    /** Epochs of the slow bare rule's horizon. */
    static final int BARE_EPOCHS = 10;
    /** The slow bare rule's defaults: 20 SYNs without options a second to one destination port, over 10 s. */
    public static final double SLOW_BARE_SYNS = 20;
    public static final long SLOW_BARE_NANOS = 10_000_000_000L;

    /**
     * @param windowNanos        window length
     * @param minSyns            SYNs (or unsolicited SYN-ACKs) per window before anything is reported
     * @param minSynRate         and their rate, per second over the window's span (at least 1 s)
     * @param maxCompletionRatio at most this share of SYNs completed by an ACK
     * @param spoofedSpread      distinct sources per SYN from which the sources are called spoofed
     * @param earlyNanos         0: report at the window's end only; more: also as soon as a flood holds this long after
     *                           the victim got {@code minSyns} at {@code minSynRate} ({@link EarlyLook}; the SYN-ACK
     *                           reflection is reported at the window's end only)
     * @param maxHosts           destinations tracked per window (about 2 KB each); full, a new one takes the place of
     *                           the least active when it keeps coming ({@link BoundedSubjects}), else it is counted, not tracked
     * @param maxTuples          the window's 4-tuples kept (about 18 bytes each); past it, a hash sample ({@link SampledKeys})
     * @param maxPairs           the window's host pairs kept (sources, source:port pairs, ports, reflectors; about 18
     *                           bytes each); past it, a hash sample
     * @param slowBareSyns       SYNs without TCP options a second to one destination port, on average over
     *                           {@code slowBareNanos}, that make a crafted SYN stream (0: no slow bare rule)
     * @param slowBareNanos      the slow bare rule's horizon ({@value #BARE_EPOCHS} epochs: exact to within a tenth of it)
     */
    public record Config(long windowNanos, int minSyns, double minSynRate, double maxCompletionRatio, double spoofedSpread,
            long earlyNanos, int maxHosts, int maxTuples, int maxPairs, double slowBareSyns, long slowBareNanos) {
        public Config {
            if (windowNanos <= 0 || minSyns < 1 || minSynRate < 0 || maxCompletionRatio < 0 || spoofedSpread <= 0 || earlyNanos < 0
                    || maxHosts < 1 || maxTuples < 1 || maxPairs < 1 || !(slowBareSyns >= 0) || slowBareNanos < BARE_EPOCHS) {
                // the parameters, not this: a compact constructor's fields are set after its body
                throw new IllegalArgumentException("bad SYN flood config: windowNanos=" + windowNanos + ", minSyns=" + minSyns
                        + ", minSynRate=" + minSynRate + ", maxCompletionRatio=" + maxCompletionRatio + ", spoofedSpread=" + spoofedSpread
                        + ", earlyNanos=" + earlyNanos + ", maxHosts=" + maxHosts + ", maxTuples=" + maxTuples + ", maxPairs=" + maxPairs
                        + ", slowBareSyns=" + slowBareSyns + ", slowBareNanos=" + slowBareNanos);
            }
        }

        /** Without the slow bare rule's settings: its defaults. */
        public Config(long windowNanos, int minSyns, double minSynRate, double maxCompletionRatio, double spoofedSpread,
                long earlyNanos, int maxHosts, int maxTuples, int maxPairs) {
            this(windowNanos, minSyns, minSynRate, maxCompletionRatio, spoofedSpread, earlyNanos, maxHosts, maxTuples, maxPairs,
                    SLOW_BARE_SYNS, SLOW_BARE_NANOS);
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 1000, 100, 0.2, 0.5, 0, 8192, 1 << 20, 1 << 20);
        }

        /** The slow bare rule's floor: bare SYNs (weighed) within the horizon. */
        long slowBareFloor() {
            return (long) Math.ceil(slowBareSyns * slowBareNanos / 1e9);
        }
    }

    private static final class Host {
        final long hi;
        final long lo;
        long first = Long.MAX_VALUE;
        long last;
        /** SYNs in, each counted {@link PacketObservation#weight()} times; SYNs seen; whether one of them was sampled (weight above 1). */
        long synsIn;
        long synsSeen;
        /** Of the SYNs seen, those without TCP options. */
        long bareSeen;
        boolean sampled;
        /** Handshakes completed by an ACK (each counted 1/sampling rate of the 4-tuples as of its ACK). */
        long completed;
        /** TCP with ACK (no SYN, no RST) in, weighed: the completion's estimate where SYNs were sampled. */
        long acksIn;
        /** Distinct sources, ports: estimates once the pairs are sampled (each new one counted 1/sampling rate). */
        long sources;
        long ports;
        /**
         * Whether {@link #sources}, {@link #ports}, {@link #sourcePorts}, {@link #reflectors} are estimates: a
         * pair of theirs went to the window's set of pairs while it was sampled (since 2026-12-06, said in the
         * reasons: {@code ~}); the reflectors also when a SYN-ACK came while the 4-tuples were sampled (only
         * those of tuples in the sample count their reflector: a count of the sample's, under the real one).
         * Else exact.
         */
        boolean sourcesEstimated;
        boolean portsEstimated;
        boolean sourcePortsEstimated;
        boolean reflectorsEstimated;
        /**
         * Whether {@link #completed} is an estimate, and {@link #unsolicitedSynAcks} and {@link #wentOn}: an
         * ACK (a SYN-ACK) to (from) the destination came while the window's 4-tuples were sampled, so one
         * on a tuple out of the sample went uncounted and one in it counted 2^level (since 2026-12-06, said
         * in the reasons: {@code ~}; before, bare, the 4-tuples' own "sampled" reason alone). Else exact.
         */
        boolean completedEstimated;
        boolean unsolicitedEstimated;
        int lastPort;
        /** Whether its SYNs went to more than one port (exact, whatever the sampling). */
        boolean manyPorts;
        long synAcksOut;
        long rstsOut;
        long reflectedFirst = Long.MAX_VALUE;
        long reflectedLast;
        long unsolicitedSynAcks;
        /** Its estimated SYNs and SYN-ACKs before it got its entry in a full table ({@link BoundedSubjects#admit}). */
        long credit;
        /** Of the unsolicited SYN-ACKs' 4-tuples, those whose connection went on (its sender's ACK or data followed). */
        long wentOn;
        long reflectors;
        /** The heaviest SYN senders; beside each, its completed handshakes and its ACKs to the victim, weighed ({@link #COMPLETED}, {@link #ACKS}). */
        final HeavyHitters senders = new HeavyHitters(HEAVY_SLOTS, 2);
        /** The ports with most distinct sources (over the distinct source:port pairs), each port as (0, port). */
        final HeavyHitters portsBySources = new HeavyHitters(PORT_SLOTS);
        long sourcePorts;
        final EarlyLook look = new EarlyLook();

        /** Counts a new (source, port) pair of {@code port}, standing for {@code w} pairs (sampled). */
        void sourcePort(int port, long w) {
            sourcePorts += w;
            portsBySources.add(0, port, w);
        }

        /** The slot of the port that more than half of the distinct source:port pairs went to for certain, or -1. */
        int majorityPort() {
            for (int i = 0; i < portsBySources.size(); i++) {
                if (portsBySources.sure(i) * 2 > sourcePorts) {
                    return i;
                }
            }
            return -1;
        }

        Host(long hi, long lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final BoundedSubjects<Host> hosts;
    /** The window's 4-tuples (as the SYN's), each with what was seen on it ({@link #SYN} ... {@link #WENT_ON}). */
    private final SampledKeys tuples;
    private final SampledKeys pairs;
    /** The slow bare rule's counts per (destination, port): weighed in count, seen in acks; null when it is off. */
    private final ConnectionHorizon bare;
    /** The destinations the window rule reported a flood at, in this window and the one before: not the slow bare rule's. */
    private LongHashSet floodReported = new LongHashSet(64);
    private LongHashSet floodReportedBefore = new LongHashSet(64);

    public SynFloodDetector(Config config) {
        this.config = config;
        this.bare = config.slowBareSyns() == 0 ? null
                : new ConnectionHorizon(config.slowBareNanos(), BARE_EPOCHS, BARE_EPOCHS, config.maxHosts(), 1);
        this.tuples = new SampledKeys(4096, config.maxTuples());
        this.pairs = new SampledKeys(4096, config.maxPairs());
        this.window = new TumblingWindow(config.windowNanos());
        this.hosts = new BoundedSubjects<>(config.maxHosts(), h -> h.synsIn + h.unsolicitedSynAcks + h.credit);
    }

    public SynFloodDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    static long tuple(long a, long b, int aPort, int bPort) {
        return Addresses.pair(Addresses.pair(a, b), ((long) aPort << 16) | bPort);
    }

    /** The destination's entry, made at its first packet; null when the table is full of busier ones (counted). */
    private Host host(long key, long hi, long lo) {
        Host h = hosts.get(key);
        if (h == null) {
            long credit = hosts.admit(key);
            if (credit < 0) {
                return null;
            }
            h = new Host(hi, lo);
            h.credit = credit;
            hosts.put(key, h);
        }
        return h;
    }

    /** Destinations tracked in this window (for tests). */
    int tracked() {
        return hosts.size();
    }

    /** The window's 4-tuples set (for tests: its size and capacity under a flood). */
    SampledKeys tuples() {
        return tuples;
    }

    /** The window's host pairs set (for tests). */
    SampledKeys pairs() {
        return pairs;
    }

    /** Destinations that took the place of a less active one, since the start. */
    public long evicted() {
        return hosts.evicted();
    }

    /** Destinations not tracked because the table was full of busier ones, since the start. */
    public long untracked() {
        return hosts.untracked();
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isTcp()) {
            return;
        }
        int f = p.tcpFlags();
        long src = p.sourceKey();
        long dst = p.destinationKey();
        if (p.isSyn()) {
            // the tuple whatever becomes of the destination: its SYN-ACK answers a SYN, not a reflection
            tuples.mark(tuple(src, dst, p.sourcePort(), p.destinationPort()), SYN);
            Host h = host(dst, p.destinationHi(), p.destinationLo());
            if (h == null) {
                return;
            }
            h.synsIn += p.weight();
            h.synsSeen++;
            if (p.isBareSyn()) {
                h.bareSeen++;
                if (bare != null) {
                    lookSlowBare(p, t, sink);
                }
            }
            h.sampled |= p.weight() > 1;
            h.first = Math.min(h.first, t);
            h.last = Math.max(h.last, t);
            long pair = Addresses.pair(dst, src);
            h.sourcesEstimated |= pairs.level() > 0;
            h.sources += pairs.add(pair);
            h.senders.add(p.sourceHi(), p.sourceLo(), p.weight());
            h.sourcePortsEstimated |= pairs.level() > 0; // each add may raise the level
            long w = pairs.add(Addresses.pair(pair, SOURCE_PORT_TAG | p.destinationPort()));
            if (w > 0) {
                h.sourcePort(p.destinationPort(), w);
            }
            h.portsEstimated |= pairs.level() > 0;
            h.ports += pairs.add(Addresses.pair(dst, -1L - p.destinationPort()));
            if (h.synsSeen == 1) {
                h.lastPort = p.destinationPort();
            } else if (p.destinationPort() != h.lastPort) {
                h.manyPorts = true;
                h.lastPort = p.destinationPort();
            }
            if (h.synsIn >= config.minSyns() && h.synsIn * 1e9 >= config.minSynRate() * spanAtLeastOneSecond(h.first, h.last)
                    && h.look.dueEarly(t, config.earlyNanos()) && reportFlood(h, sink)) {
                h.look.reportedEarly();
            }
        } else if (p.isSynAck()) {
            Host h;
            Host from = hosts.get(src);
            if (from != null) {
                from.synAcksOut++;
            }
            long k = tuple(dst, src, p.destinationPort(), p.sourcePort());
            if (tuples.level() > 0 && (h = hosts.get(dst)) != null) {
                // in the sample or not, an answer to a SYN the set may have dropped; and only the SYN-ACKs of
                // tuples in the sample add their reflectors: those of the others are not counted
                h.unsolicitedEstimated = true;
                h.reflectorsEstimated = true;
            }
            // out of the sample nothing can be told of its SYN: left to the tuples in it, each counted 1/rate
            if (tuples.inSample(k) && (tuples.flags(k) & SYN) == 0 && (h = host(dst, p.destinationHi(), p.destinationLo())) != null) {
                h.unsolicitedSynAcks += tuples.weight();
                tuples.mark(k, UNSOLICITED);
                h.reflectedFirst = Math.min(h.reflectedFirst, t);
                h.reflectedLast = Math.max(h.reflectedLast, t);
                h.reflectorsEstimated |= pairs.level() > 0;
                h.reflectors += pairs.add(Addresses.pair(-1L - dst, src));
            }
        } else if ((f & PacketObservation.TCP_RST) != 0) {
            Host from = hosts.get(src);
            if (from != null) {
                from.rstsOut++;
            }
        } else if ((f & PacketObservation.TCP_ACK) != 0) {
            Host to = hosts.get(dst);
            if (to != null) {
                to.completedEstimated |= tuples.level() > 0;
                to.unsolicitedEstimated |= tuples.level() > 0 && to.unsolicitedSynAcks > 0; // its wentOn
                to.acksIn += p.weight();
                to.senders.addExtra(ACKS, p.sourceHi(), p.sourceLo(), p.weight());
            }
            long k = tuple(src, dst, p.sourcePort(), p.destinationPort());
            if (to != null && (tuples.flags(k) & (SYN | COMPLETED_TUPLE)) == SYN) {
                long w = tuples.weight(); // the SYN and its ACK share the tuple: both in the sample or neither
                tuples.mark(k, COMPLETED_TUPLE);
                to.completed += w;
                to.senders.addExtra(COMPLETED, p.sourceHi(), p.sourceLo(), w);
            }
            if (to != null && to.unsolicitedSynAcks > 0) {
                long synAck = tuple(dst, src, p.destinationPort(), p.sourcePort());
                if ((tuples.flags(synAck) & (UNSOLICITED | WENT_ON)) == UNSOLICITED) {
                    to.wentOn += tuples.weight(); // a connection of the destination's own, its SYN unseen
                    tuples.mark(synAck, WENT_ON);
                }
            }
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    private static long spanAtLeastOneSecond(long first, long last) {
        return Math.max(last - first, 1_000_000_000L);
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
        if (bare != null) {
            bare.advance(nowNanos);
        }
    }

    /**
     * The slow bare rule at a SYN without options: reports the destination when the bare SYNs to its
     * port over the horizon reach the floor, with at least MIN_SEEN seen, at most once per epoch.
     */
    private void lookSlowBare(PacketObservation p, long t, DetectionSink sink) {
        long key = Addresses.mix(Addresses.pair(p.destinationKey(), 0x4241_5245_0000_0000L | p.destinationPort()));
        ConnectionHorizon.Pair q = bare.packets(p, key, t, p.weight());
        if (q == null) {
            return;
        }
        bare.ack(key, 1, t);
        q.manySources |= q.srcHi != p.sourceHi() || q.srcLo != p.sourceLo();
        long n = bare.connections(q);
        long floor = config.slowBareFloor();
        if (!bare.due(q) || n < floor || bare.acks(q) < MIN_SEEN) {
            return;
        }
        // spread over half the horizon at least, under the rate the window rule needs (its minSynRate, and minSyns in a
        // window), and not a flood the window rule reported: a faster flood is its, and is reported once
        long first = bare.firstInHorizon(q);
        long span = t - first;
        double windowRate = Math.max(config.minSynRate(), config.minSyns() * 1e9 / config.windowNanos());
        if (span < config.slowBareNanos() / 2 || n * 1e9 >= windowRate * span || floodReported.contains(p.destinationKey())
                || floodReportedBefore.contains(p.destinationKey())) {
            return;
        }
        bare.reported(q);
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(n) + " SYNs without TCP options to port " + q.port + " in " + Detections.seconds(t - first) + " ("
                + Detections.rateText(n * 1e9 / Math.max(t - first, 1_000_000_000L), "SYN") + " sustained; at least "
                + Detections.count(floor) + " within " + Detections.seconds(config.slowBareNanos())
                + (n != bare.acks(q) ? "; estimated from " + Detections.count(bare.acks(q)) + " seen" : "")
                + "): no TCP stack in use sends a SYN without options, a packet crafter does");
        reasons.add(q.manySources ? "from many sources (spoofed or several crafters): none named" : "all from " + q.source());
        String full = bare.fullReason("destination ports", NAME + ".maxHosts");
        if (full != null) {
            reasons.add(full);
        }
        sink.report(Detection.of(t, NAME, q.destination(), (double) n / floor, reasons, q.manySources ? List.of() : List.of(q.source()))
                .withTarget(new Detection.Target(Addresses.inet(q.dstHi, q.dstLo), 6, 0, q.port, true)));
    }

    private void close(DetectionSink sink) {
        hosts.forEach(h -> {
            reportFlood(h, sink);
            reportReflection(h, sink);
        });
        hosts.clear();
        tuples.clear();
        pairs.clear();
        window.close();
        LongHashSet t = floodReportedBefore;
        floodReportedBefore = floodReported;
        floodReported = t;
        floodReported.clear();
    }

    /** Says so when the destinations' table was full in this window: the report may have missed some of its counts. */
    private void addFull(List<String> reasons) {
        String full = hosts.fullReason("destinations", NAME + ".maxHosts");
        if (full != null) {
            reasons.add(full);
        }
        addSampled(reasons, tuples, "4-tuples", "maxTuples", "completed handshakes, unsolicited SYN-ACKs");
        addSampled(reasons, pairs, "host pairs", "maxPairs", "distinct sources, ports and reflectors");
    }

    /** Says so when a window set passed its cap: what is counted from it is an estimate. */
    private static void addSampled(List<String> reasons, SampledKeys set, String what, String setting, String estimated) {
        String sampled = set.sampledReason(what, NAME + "." + setting, estimated);
        if (sampled != null) {
            reasons.add(sampled);
        }
    }

    /** Reports the victim if the SYN-ACKs it received for SYNs it never sent are a reflection (at the window's end only). */
    private void reportReflection(Host h, DetectionSink sink) {
        // a connection that went on had one SYN-ACK (a retransmitted one of it stays counted: rare, and errs towards reporting)
        long reflected = h.unsolicitedSynAcks - h.wentOn;
        if (reflected < config.minSyns()) {
            return;
        }
        double rate = Detections.rate(reflected, spanAtLeastOneSecond(h.reflectedFirst, h.reflectedLast));
        if (rate < config.minSynRate()) {
            return;
        }
        List<String> reasons = new ArrayList<>();
        boolean e = h.unsolicitedEstimated;
        reasons.add("SYN-ACK reflection: " + Detections.count(reflected, e) + " SYN-ACKs for SYNs never sent" + Detections.estimated(e)
                + ", in " + Detections.seconds(h.reflectedLast - h.reflectedFirst));
        reasons.add("from " + Detections.count(h.reflectors, h.reflectorsEstimated) + " reflectors" + Detections.estimated(h.reflectorsEstimated));
        if (h.wentOn > 0) {
            reasons.add(Detections.count(h.wentOn, e) + " more began connections that went on" + Detections.estimated(e)
                    + " (its own, their SYNs unseen), not counted");
        }
        addFull(reasons);
        sink.report(Detection.of(h.reflectedFirst, NAME, Addresses.text(h.hi, h.lo), rate / config.minSynRate(), reasons));
    }

    /** Reports the victim if the SYNs it received so far are a flood; whether it did. */
    private boolean reportFlood(Host h, DetectionSink sink) {
        if (h.synsIn < config.minSyns()) {
            return false;
        }
        double rate = Detections.rate(h.synsIn, spanAtLeastOneSecond(h.first, h.last));
        // sampled 1 in N, a handshake's SYN and ACK are both seen 1 in N^2: its completion is estimated
        // from the ACKs the victim receives instead (a connection sends at least one), weighed as the SYNs
        boolean sampled = h.sampled;
        double completion = sampled ? Math.min(1.0, (double) h.acksIn / h.synsIn) : (double) h.completed / h.synsIn;
        if (rate < config.minSynRate() || completion > config.maxCompletionRatio()) {
            return false;
        }
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(h.synsIn) + " SYNs in " + Detections.seconds(h.last - h.first) + " ("
                + Detections.rateText(Detections.rate(h.synsIn, h.last - h.first), "SYN") + ") to "
                + (h.manyPorts ? Detections.count(Math.max(2, h.ports), h.portsEstimated) + " ports" + Detections.estimated(h.portsEstimated)
                        : "port " + h.lastPort)
                + (h.synsSeen != h.synsIn ? ", estimated from " + Detections.count(h.synsSeen) + " seen" : ""));
        reasons.add(sampled ? Detections.count(h.acksIn) + " ACKs to it, " + Detections.ratio(completion * 100)
                + "% of its SYNs (sampled: completion estimated from the ACKs)"
                : Detections.count(h.completed, h.completedEstimated) + " completed by ACK" + Detections.estimated(h.completedEstimated)
                        + " (" + Detections.ratio(completion * 100) + "%)");
        reasons.add("answered with " + Detections.count(h.synAcksOut) + " SYN-ACK, " + Detections.count(h.rstsOut) + " RST");
        boolean bareSyns = h.bareSeen * 100 >= (long) BARE_SHARE_PERCENT * h.synsSeen;
        if (h.bareSeen > 0) {
            reasons.add(Detections.count(h.bareSeen) + " of the " + Detections.count(h.synsSeen) + " SYNs seen without TCP options"
                    + (bareSyns ? " (a packet crafter's: no TCP stack in use sends one)" : ""));
        }
        double spread = (double) h.sources / h.synsSeen;
        reasons.add(Detections.count(h.sources, h.sourcesEstimated) + (h.sources == 1 ? " source" : " distinct sources")
                + Detections.estimated(h.sourcesEstimated)
                + (spread >= config.spoofedSpread() ? " (" + Detections.ratio(spread) + " per SYN: spoofed sources)" : ""));
        List<String> sources = List.of();
        if (spread < config.spoofedSpread()) {
            sources = topSenders(h);
            int answered = answeredSenders(h);
            String notNamed = answered + (answered == 1 ? " sender" : " senders") + " of " + Math.round(SOURCE_SHARE * 100) + "% or more completed "
                    + (answered == 1 ? "its" : "their") + " handshakes, not named";
            if (!sources.isEmpty()) {
                reasons.add("top senders " + String.join(", ", sources) + (answered > 0 ? "; " + notNamed : ""));
            } else if (answered > 0) {
                reasons.add(notNamed);
            }
        }
        // the target: the victim's port, or 0 when the SYNs went to many ports; a flood that names no
        // sources (what a SYN limit is for) aims where most of its distinct sources went, when more
        // than half of them went to one port (other SYNs to the victim's other ports aside)
        int port = h.manyPorts ? 0 : h.lastPort;
        if (port == 0 && sources.isEmpty()) {
            int m = h.majorityPort();
            if (m >= 0) {
                port = (int) h.portsBySources.lo(m);
                boolean e = h.sourcePortsEstimated;
                reasons.add("flooded port " + port + ": " + Detections.count(h.portsBySources.sure(m), e) + " of "
                        + Detections.count(h.sourcePorts, e) + " distinct source:port pairs" + Detections.estimated(e));
            }
        }
        addFull(reasons);
        floodReported.add(Addresses.key(h.hi, h.lo));
        sink.report(Detection.of(h.first, NAME, Addresses.text(h.hi, h.lo), rate / config.minSynRate(), reasons, sources)
                .withTarget(new Detection.Target(Addresses.inet(h.hi, h.lo), 6, 0, port, bareSyns)));
        return true;
    }

    /**
     * The victim's senders with at least SOURCE_SHARE of its SYNs for certain (count - error), and
     * at least MIN_SEEN of them seen (in counts of the average weight: a sampled SYN stands for N, and
     * one client SYN sampled among a flood's few would otherwise be a share), whose own handshakes
     * were completed for at most maxCompletionRatio of their SYNs, most first, at most MAX_SOURCES.
     */
    private List<String> topSenders(Host h) {
        long min = minShare(h);
        List<Integer> top = h.senders.byCount(i -> h.senders.sure(i) >= min && !completes(h, i));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(MAX_SOURCES, top.size()); i++) {
            out.add(h.senders.address(top.get(i)));
        }
        return out;
    }

    /** The senders with the share that completed their handshakes (not named). */
    private int answeredSenders(Host h) {
        long min = minShare(h);
        int n = 0;
        for (int i = 0; i < h.senders.size(); i++) {
            if (h.senders.sure(i) >= min && completes(h, i)) {
                n++;
            }
        }
        return n;
    }

    private static long minShare(Host h) {
        return Math.max(Math.max(1, (long) Math.ceil(h.synsIn * SOURCE_SHARE)),
                (long) Math.ceil(MIN_SEEN * (double) h.synsIn / Math.max(1, h.synsSeen)));
    }

    /**
     * Whether the sender in {@code slot} completed more than maxCompletionRatio of its SYNs (those
     * since it took its slot, over which its extra counters count too): judged as the victim is, by
     * its ACKs to the victim where SYNs were sampled (a handshake is seen whole 1 in N^2).
     */
    private boolean completes(Host h, int slot) {
        HeavyHitters s = h.senders;
        double syns = Math.max(1, s.sure(slot));
        double completion = h.sampled ? Math.min(1.0, s.extra(ACKS, slot) / syns) : s.extra(COMPLETED, slot) / syns;
        return completion > config.maxCompletionRatio();
    }
}
