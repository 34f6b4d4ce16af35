package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.util.ArrayList;
import java.util.List;

/**
 * Scans slower than one window: per source, over a horizon of {@code epochs} consecutive epochs of
 * {@code epochNanos} of packet time (5 minutes by default), the distinct targets it probed (TCP
 * segments without ACK and RST to a host:port, UDP datagrams to a host:port, ICMP echo requests
 * to a host), its probes and the answers it got (SYN-ACKs, echo replies, UDP datagrams to it).
 *
 * <p>Memory is bounded: per source and epoch, a bitmap of {@value #BITS} bits where each target
 * sets the bit its hash picks, the epoch's exact distinct count, probes and answers; the distinct
 * targets over the horizon are estimated from the union (OR) of the epochs' bitmaps by linear
 * counting (n = -m ln(zero bits / m), a few percent off below ~500 targets; a bitmap with no zero
 * bit left reads as its saturation value, said as "at least"). An epoch drops out of every
 * source's bitmaps when the horizon moves past it; sources with no probe left in the horizon are
 * dropped. A source gets its entry at its second probe within an epoch (the first is only noted,
 * and not counted), so that a spoofed flood, one probe per source, costs no entries. At most
 * {@code maxSources} are tracked: full, a new source takes the place of the one with the fewest
 * distinct targets over the horizon (of {@value BoundedSubjects#SAMPLE} looked at in turn) once its
 * probes so far, estimated in a {@link FrequencySketch} that halves every epoch, are more; else it is
 * counted in {@link #untracked()}. So sources spoofed from a small range, which repeat and would each
 * get an entry, replace each other, while a scanner, whose targets add up epoch after epoch, stays
 * (until 2026-12-06 the first {@code maxSources} sources kept the table for the whole horizon and a
 * scanner coming after them was never seen). The sources noted once per epoch are at most 16 times
 * {@code maxSources}; more go straight to the table's admission.
 *
 * <p>Reported at the end of an epoch in which the source probed, when it reached at least
 * {@code minDistinctTargets} over the horizon while no single epoch reached it (a scan that one
 * window shows is for portscan, udpscan and sweep), with at most {@code maxProbesPerTarget}
 * probes per target and at most {@code maxReplyRatio} answers per probe (a client's connections
 * and requests are answered; most of a scan's probes are not). Re-reported once per horizon while
 * the scan lasts. Multicast and broadcast destinations are not targets, and a UDP datagram to a
 * host:port that sent the source a datagram in this epoch or the previous one is an answer, not a
 * probe (a server answering many clients slowly is no scanner), as is one from a port below 32768 to a
 * port at or above it ({@link PacketObservation#isToEphemeralPort()}: a service answering a client,
 * whose requests one way does not show), unless its payload repeats byte for byte the one its source
 * sent before ({@link RepeatedPayloads}: a scanner's template, never a service's answers; since 2026-12-06).
 */
public final class SlowScanDetector implements Detector {
    public static final String NAME = "slowscan";
    static final int BITS = 256;
    private static final int WORDS = BITS / 64;
    /** What a bitmap with no zero bit left reads as (where linear counting stops: m ln m). */
    static final double SATURATED = BITS * Math.log(BITS);

    /**
     * @param epochNanos          epoch length
     * @param epochs              epochs in the horizon
     * @param minDistinctTargets  distinct targets over the horizon that make a scan (and that no single epoch reaches)
     * @param maxProbesPerTarget  at most this many probes per distinct target, on average
     * @param maxReplyRatio       at most this many answers per probe
     * @param maxSources          sources tracked (about 2 KB each with 30 epochs); full, the one with the fewest distinct
     *                            targets gives way to a new one that keeps probing
     * @param maxTargets          (source, target) keys kept in the epoch's set (9 bytes a slot, at most 2 slots a key); past
     *                            it, a hash sample whose per-epoch counts are estimates ({@link SampledKeys}; since
     *                            2026-12-06, before no cap); the horizon's count does not rest on it (the bitmaps)
     */
    public record Config(long epochNanos, int epochs, int minDistinctTargets, double maxProbesPerTarget, double maxReplyRatio,
            int maxSources, int maxTargets) {
        public Config {
            if (epochNanos <= 0 || epochs < 2 || epochs > 1024 || minDistinctTargets < 2 || minDistinctTargets > SATURATED
                    || maxProbesPerTarget < 1 || maxReplyRatio < 0 || maxSources < 1 || maxTargets < 1) {
                throw new IllegalArgumentException("bad slow scan config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(10_000_000_000L, 30, 100, 3.0, 0.2, 16_384, 262_144);
        }
    }

    private static final class Source {
        final long hi;
        final long lo;
        final long[] bits;
        /** Distinct targets per epoch: estimates in an epoch whose set was sampled. */
        final long[] distinct;
        /** The keys kept that {@link #distinct} was counted from, and its variance ({@link SampledKeys#reaches}). */
        final int[] distinctKept;
        final long[] distinctVariance;
        /** Whether {@link #distinct} of the epoch is an estimate: a pair of it went to the epoch's set while it was sampled. */
        final boolean[] distinctEstimated;
        final long[] probes;
        final long[] answers;
        /** Time of the first probe of each epoch. */
        final long[] firstIn;
        long last;
        /** Its estimated probes before it got its entry in a full table ({@link BoundedSubjects#admit}), halved every epoch. */
        long credit;
        /** The bits set in its bitmaps over the horizon (each epoch's own): its distinct targets, never sampled. */
        long bitsSet;
        long reportedEpoch = Integer.MIN_VALUE; // far enough back, no overflow in epoch - reportedEpoch

        Source(long hi, long lo, int epochs) {
            this.hi = hi;
            this.lo = lo;
            this.bits = new long[epochs * WORDS];
            this.distinct = new long[epochs];
            this.distinctKept = new int[epochs];
            this.distinctVariance = new long[epochs];
            this.distinctEstimated = new boolean[epochs];
            this.probes = new long[epochs];
            this.answers = new long[epochs];
            this.firstIn = new long[epochs];
        }
    }

    private final Config config;
    private final BoundedSubjects<Source> sources;
    /** (source, target) pairs of the current epoch: the exact distinct count per epoch. */
    private final SampledKeys seen;
    /** The sampling level each epoch of the horizon ended at ({@link SampledKeys#maxLevelNow()}), by slot. */
    private final int[] epochLevel;
    /** Sources seen probing once in this epoch: a source gets its entry (1.8 KB) at its second probe, so spoofed floods cost none. */
    private final LongHashSet once;
    /** (receiver, sender, sender's port) of UDP datagrams in this epoch and the previous one: what makes a datagram an answer. */
    private BoundedMembership heard = new BoundedMembership();
    private final RepeatedPayloads repeats = new RepeatedPayloads();
    private BoundedMembership heardBefore = new BoundedMembership();
    /** Per epoch of the horizon (by slot), the datagrams its heard set held in its filter and the filter's rate at the epoch's end. */
    private final long[] heardFiltered;
    private final double[] heardRate;
    private final long[] union = new long[WORDS];
    /**
     * Salts a target's bit in the bitmaps, drawn once per detector (since 2026-12-06; before, the plain
     * hash: one who knows it could scan targets that all set one bit, and a scan of any size read as
     * one target over the horizon).
     */
    private final long bitSalt;
    private long epochStart = Long.MIN_VALUE;
    private long epoch;

    public SlowScanDetector(Config config) {
        this(config, Salts.next());
    }

    /** A detector whose bitmaps' bits are salted with {@code bitSalt} (tests: 0 is the plain hash of before). */
    SlowScanDetector(Config config, long bitSalt) {
        this.config = config;
        this.bitSalt = bitSalt;
        this.sources = new BoundedSubjects<>(config.maxSources(), SlowScanDetector::weight);
        this.once = new LongHashSet(4096, (int) Math.min(Integer.MAX_VALUE / 2, 16L * config.maxSources()));
        this.seen = new SampledKeys(4096, config.maxTargets());
        this.epochLevel = new int[config.epochs()];
        this.heardFiltered = new long[config.epochs()];
        this.heardRate = new double[config.epochs()];
    }

    /**
     * What keeps a source in a full table: its distinct targets over the horizon (the bits its epochs'
     * bitmaps hold, which no sample thins), and its credit. Until 2026-12-06 the epochs' counts of the
     * (source, target) sample, mostly 0 for a slow scanner in a spoofed flood, where a source kept by
     * the sample's luck weighed 2^level: the scanner was evicted by chance, and its history with it.
     */
    private static long weight(Source s) {
        return s.credit + s.bitsSet;
    }

    public SlowScanDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    private int slot() {
        return (int) (epoch % config.epochs());
    }

    private static boolean groupAddress(PacketObservation p) {
        if (Addresses.isV4(p.destinationHi(), p.destinationLo())) {
            int a = (int) p.destinationLo();
            return (a >>> 28) == 0xe || a == -1 || (a & 0xff) == 0xff;
        }
        return (p.destinationHi() >>> 56) == 0xff;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        if (epochStart == Long.MIN_VALUE) {
            epochStart = t;
        }
        if (t - epochStart >= config.epochNanos()) {
            long elapsed = (t - epochStart) / config.epochNanos();
            closeEpoch(sink, true);
            // epochs without a packet: each one leaves the horizon empty-handed (at most a horizon of them matters)
            for (long i = 1; i < Math.min(elapsed, config.epochs() + 1L); i++) {
                closeEpoch(sink, false);
            }
            epochStart += elapsed * config.epochNanos();
        }
        if (!p.isIp()) {
            return;
        }
        int protocol;
        int port;
        if (p.isTcp()) {
            int f = p.tcpFlags();
            if (p.isSynAck()) {
                answer(p.destinationKey());
                return;
            }
            if ((f & (PacketObservation.TCP_ACK | PacketObservation.TCP_RST)) != 0) {
                return;
            }
            protocol = 6;
            port = p.destinationPort();
        } else if (p.isUdp()) {
            answer(p.destinationKey());
            heard.add(Addresses.pair(Addresses.pair(p.destinationKey(), p.sourceKey()), p.sourcePort()));
            long k = Addresses.pair(Addresses.pair(p.sourceKey(), p.destinationKey()), p.destinationPort());
            boolean answerLike = (p.isServiceAnswer() || p.isToEphemeralPort()) && !repeats.repeats(p);
            if (heard.contains(k) || heardBefore.contains(k) || answerLike) {
                return; // a server's (or peer's) answer to what it heard, or to a request one-way traffic does not show: no probe
            }
            protocol = 17;
            port = p.destinationPort();
        } else if (p.isEchoRequest()) {
            protocol = 1;
            port = 0;
        } else {
            if (p.isEchoReply()) {
                answer(p.destinationKey());
            }
            return;
        }
        if (groupAddress(p)) {
            return;
        }
        long src = p.sourceKey();
        Source s = sources.get(src);
        if (s == null) {
            if (once.add(src)) {
                return; // its first probe (of the epoch) is only noted: not counted
            }
            long credit = sources.admit(src);
            if (credit < 0) {
                return;
            }
            s = new Source(p.sourceHi(), p.sourceLo(), config.epochs());
            s.credit = credit;
            sources.put(src, s);
        }
        int slot = slot();
        if (s.probes[slot]++ == 0) {
            s.firstIn[slot] = t;
        }
        s.last = t;
        long target = target(p.destinationKey(), protocol, port);
        s.distinctEstimated[slot] |= seen.level() > 0;
        long w = seen.add(Addresses.pair(src, target));
        if (w > 0) {
            s.distinct[slot] += w;
            s.distinctKept[slot]++;
            s.distinctVariance[slot] += SampledKeys.variance(w);
        }
        // set at every probe, its pair kept in the sample or not: the horizon's count needs no sample
        int bit = bitOf(target);
        int word = slot * WORDS + (bit >>> 6);
        if ((s.bits[word] & 1L << bit) == 0) {
            s.bits[word] |= 1L << bit;
            s.bitsSet++;
        }
    }

    /** The bit of {@code target} in a source's bitmap of an epoch. */
    int bitOf(long target) {
        return (int) (Addresses.mix(target ^ bitSalt) & (BITS - 1));
    }

    /** The key of a target: host, protocol (6, 17, 1) and port (0 for ICMP). */
    static long target(long hostKey, int protocol, int port) {
        return Addresses.pair(Addresses.pair(hostKey, protocol), port);
    }

    private void answer(long to) {
        Source s = sources.get(to);
        if (s != null) {
            s.answers[slot()]++;
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (epochStart != Long.MIN_VALUE) {
            evaluate(sink);
        }
    }

    /** Sources not tracked because the table was full of stronger ones (all epochs so far). */
    public long untracked() {
        return sources.untracked();
    }

    /** Sources that took the place of one with fewer targets (all epochs so far). */
    public long evicted() {
        return sources.evicted();
    }

    /** Sources tracked (for tests). */
    int tracked() {
        return sources.size();
    }

    /** The estimated distinct targets of {@code s} over the horizon (linear counting on the union of its bitmaps). */
    private double estimate(Source s) {
        java.util.Arrays.fill(union, 0);
        for (int e = 0; e < config.epochs(); e++) {
            for (int w = 0; w < WORDS; w++) {
                union[w] |= s.bits[e * WORDS + w];
            }
        }
        int zeros = 0;
        for (long w : union) {
            zeros += Long.bitCount(~w);
        }
        return zeros == 0 ? SATURATED : -BITS * Math.log((double) zeros / BITS);
    }

    private void evaluate(DetectionSink sink) {
        int slot = slot();
        boolean exactEpochs = horizonLevel(slot) == 0;
        sources.forEach(s -> {
            if (s.probes[slot] == 0 || epoch - s.reportedEpoch < config.epochs()) {
                return;
            }
            // with every epoch counted exactly, never more than their counts add up to: linear counting may read a little
            // over the truth (by the salt's luck), and a horizon of one epoch of 98 targets must not read as 100 over it
            // (sampled epochs' counts are estimates, 0 for most epochs of a slow scan in a flood: no bound then)
            double n = estimate(s);
            if (exactEpochs) {
                long epochsTotal = 0;
                for (long x : s.distinct) {
                    epochsTotal += x;
                }
                n = Math.min(n, epochsTotal);
            }
            if (n < config.minDistinctTargets()) {
                return;
            }
            long probes = 0;
            long answers = 0;
            long maxEpoch = 0;
            boolean maxEstimated = false; // an epoch's count is an estimate (its set was sampled): the most in one epoch too
            int active = 0;
            long since = Long.MAX_VALUE;
            for (int e = 0; e < config.epochs(); e++) {
                if (s.probes[e] > 0) {
                    since = Math.min(since, s.firstIn[e]);
                }
                probes += s.probes[e];
                answers += s.answers[e];
                // one kept key of a sampled epoch is no window's scan: an epoch counts when its count is exact,
                // its kept keys alone reach the threshold, or its estimate is trusted (SampledKeys#reaches)
                if (s.distinctKept[e] >= config.minDistinctTargets() || SampledKeys.trusted(s.distinct[e], s.distinctVariance[e])) {
                    maxEpoch = Math.max(maxEpoch, s.distinct[e]);
                }
                if (s.probes[e] > 0) {
                    active++;
                    maxEstimated |= s.distinctEstimated[e];
                }
            }
            if (maxEpoch >= config.minDistinctTargets()) {
                return; // one window shows it: the fast detectors' case
            }
            double perTarget = probes / n;
            double replies = (double) answers / probes;
            if (perTarget > config.maxProbesPerTarget() || replies > config.maxReplyRatio()) {
                return;
            }
            s.reportedEpoch = epoch;
            List<String> reasons = new ArrayList<>();
            reasons.add((n >= SATURATED ? "at least " : "about ") + Detections.count(Math.round(n)) + " distinct targets (host:port) in "
                    + Detections.seconds(s.last - since) + ", in " + active + " of the last " + config.epochs() + " epochs of "
                    + Detections.seconds(config.epochNanos()));
            reasons.add("at most " + Detections.count(maxEpoch, maxEstimated) + " in one epoch" + Detections.estimated(maxEstimated) + " ("
                    + Detections.count(config.minDistinctTargets()) + " would show in one window)");
            reasons.add(Detections.count(probes) + " probes (" + Detections.ratio(perTarget) + " per target), " + Detections.count(answers)
                    + " answers (" + Detections.ratio(replies * 100) + "%)");
            String full = sources.fullReason("sources", NAME + ".maxSources");
            if (full != null) {
                reasons.add(full);
            }
            int level = horizonLevel(slot);
            if (level > 0) {
                reasons.add("sampled 1 in " + Detections.count(1L << level) + " of an epoch's (source, target) pairs (" + NAME
                        + ".maxTargets " + Detections.count(config.maxTargets()) + " reached): the most in one epoch estimated");
            }
            String filtered = heardReason(slot);
            if (filtered != null) {
                reasons.add(filtered);
            }
            String scanner = Addresses.text(s.hi, s.lo);
            sink.report(Detection.of(since, NAME, scanner, n / config.minDistinctTargets(), reasons, List.of(scanner)));
        });
    }

    /** Whether the horizon's heard sets held datagrams in their filters (the current epoch's, {@code slot}, as it is now): a reason, or null. */
    private String heardReason(int slot) {
        long filtered = heard.filtered();
        double rate = heard.falsePositiveRate();
        for (int e = 0; e < heardFiltered.length; e++) {
            if (e != slot) {
                filtered += heardFiltered[e];
                rate = Math.max(rate, heardRate[e]);
            }
        }
        return BoundedMembership.filteredReason(filtered, rate, heard.maxExact(), "UDP datagrams heard (receiver, sender, its port) over the horizon",
                "probes read as answers");
    }

    /** The highest sampling level of the horizon's epochs, the current one ({@code slot}) as it is now. */
    private int horizonLevel(int slot) {
        int level = seen.maxLevelNow();
        for (int e = 0; e < epochLevel.length; e++) {
            level = Math.max(level, e == slot ? 0 : epochLevel[e]);
        }
        return level;
    }

    /** The epoch's heard datagrams (for tests). */
    BoundedMembership heardSet() {
        return heard;
    }

    /** The epoch's set of (source, target) pairs (for tests). */
    SampledKeys seenSet() {
        return seen;
    }

    /** Ends the current epoch (evaluating it when {@code evaluate}) and moves the horizon on by one. */
    private void closeEpoch(DetectionSink sink, boolean evaluate) {
        if (evaluate) {
            evaluate(sink);
        }
        epochLevel[slot()] = seen.maxLevelNow();
        heardFiltered[slot()] = heard.filtered();
        heardRate[slot()] = heard.falsePositiveRate();
        epoch++;
        int slot = slot();
        int[] empty = new int[1];
        sources.forEach(s -> {
            for (int w = slot * WORDS; w < slot * WORDS + WORDS; w++) {
                s.bitsSet -= Long.bitCount(s.bits[w]);
            }
            java.util.Arrays.fill(s.bits, slot * WORDS, slot * WORDS + WORDS, 0);
            s.distinct[slot] = 0;
            s.distinctKept[slot] = 0;
            s.distinctVariance[slot] = 0;
            s.distinctEstimated[slot] = false;
            s.probes[slot] = 0;
            s.answers[slot] = 0;
            s.credit >>= 1;
            long left = 0;
            for (long x : s.probes) {
                left += x;
            }
            if (left == 0) {
                empty[0]++;
            }
        });
        if (empty[0] > 0) {
            sources.map().removeIf(s -> {
                for (long x : s.probes) {
                    if (x > 0) {
                        return false;
                    }
                }
                return true;
            });
        }
        sources.fade();
        seen.clear();
        once.clear();
        BoundedMembership previous = heardBefore;
        heardBefore = heard;
        heard = previous;
        heard.clear();
    }
}
