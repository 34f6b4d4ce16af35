package io.xdpml.detect;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Runs chosen detectors over packets and collects what they report, de-duplicated: reports of
 * the same detector about the same subject within one de-duplication window of packet time
 * (10 s by default, opened by the first report) become one {@link Detection} with their count,
 * the first and last time, and the reasons of the strongest report. A report after the window
 * starts a new detection.
 */
public final class DetectorSet {
    public static final long DEFAULT_DEDUP_NANOS = 10_000_000_000L;

    private final List<Detector> detectors;
    private final Detector[] each; // an array: no iterator per packet
    private final Detector[] distinct; // those of Detectors.DISTINCT: given the packets of weight 0 too
    private final long dedupNanos;
    private final boolean needsFlows;
    private final Detector[] censused; // those that read the flow table's live flows (Detector#census)
    private final long[] nextCensus; // per detector of censused: packet time its next census is due (MIN_VALUE: at once)
    private final Detector[] due; // the census under way's detectors (no allocation per census)
    private int dueCount;
    private final Map<String, Detection> open = new LinkedHashMap<>();
    private final List<Detection> closed = new ArrayList<>();
    private final Map<String, Long> reports = new LinkedHashMap<>();
    private final DetectionSink sink = this::merge;
    private long packets;
    private long lastTime = Long.MIN_VALUE;
    private long reportsTotal;

    public DetectorSet(List<Detector> detectors, long dedupNanos) {
        // empty is allowed: an agent with 'detectors: enabled: none' finds nothing, and says so in its summary
        if (dedupNanos <= 0) {
            throw new IllegalArgumentException("de-duplication window must be positive: " + dedupNanos + " ns");
        }
        this.detectors = List.copyOf(detectors);
        this.each = this.detectors.toArray(Detector[]::new);
        this.distinct = this.detectors.stream().filter(d -> Detectors.DISTINCT.contains(d.name())).toArray(Detector[]::new);
        this.dedupNanos = dedupNanos;
        this.needsFlows = detectors.stream().anyMatch(Detector::needsFlows);
        this.censused = this.detectors.stream().filter(d -> d.censusEveryNanos() > 0).toArray(Detector[]::new);
        this.nextCensus = new long[censused.length];
        java.util.Arrays.fill(nextCensus, Long.MIN_VALUE);
        this.due = new Detector[censused.length];
        for (Detector d : detectors) {
            reports.put(d.name(), 0L);
        }
    }

    public DetectorSet(List<Detector> detectors) {
        this(detectors, DEFAULT_DEDUP_NANOS);
    }

    /** Whether any detector reads the flow state (then the packets' source must track flows). */
    public boolean needsFlows() {
        return needsFlows;
    }

    /** Whether any detector reads the flow table's live flows ({@link Detector#census}). */
    public boolean needsCensus() {
        return censused.length > 0;
    }

    /** Whether a census is due at packet time {@code nowNanos}: any detector that reads one has reached its period. */
    public boolean censusDue(long nowNanos) {
        for (int i = 0; i < censused.length; i++) {
            if (due(i, nowNanos)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Due {@link #slack} early too: the agent's one-second tick wakes a little after its second, by an amount that
     * varies, and a census due exactly a period after the last one's tick would be missed by every tick that woke
     * sooner after its second than the last did (then a census every 2 s where 1 s was asked).
     */
    private boolean due(int i, long nowNanos) {
        return nextCensus[i] == Long.MIN_VALUE || nowNanos >= nextCensus[i] - slack(censused[i].censusEveryNanos()) || asked(i, nowNanos);
    }

    /** Whether a detector asked for a census sooner than its period ({@link Detector#censusSoon}) and {@link #SOON_NANOS} have passed since its last. */
    private boolean asked(int i, long nowNanos) {
        return censused[i].censusSoon()
                && (nextCensus[i] == Long.MIN_VALUE || nowNanos >= nextCensus[i] - censused[i].censusEveryNanos() + SOON_NANOS);
    }

    /** Whether a census is due at packet time {@code nowNanos} because a detector asked for one sooner ({@link Detector#censusSoon}): the agent's polls between its seconds. */
    public boolean censusAsked(long nowNanos) {
        for (int i = 0; i < censused.length; i++) {
            if (asked(i, nowNanos)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The least time between a detector's census and one it asks for sooner ({@link Detector#censusSoon}): a
     * walk of a full kernel table takes tens of milliseconds under the packet callback's locks, so at most
     * five a second, where its period asks one.
     */
    public static final long SOON_NANOS = 200_000_000L;

    /** 50 ms, or a tenth of a shorter period: far more than a tick's lateness varies, far less than a census period. */
    private static long slack(long period) {
        return Math.min(period / 10, 50_000_000L);
    }

    /**
     * The flow table's live flows at packet time {@code nowNanos} ({@code flowNowNanos} on the flows'
     * clock) to the detectors whose census is due, in one walk of the table (the agent's walk copies
     * the kernel's table out in batches: one walk for all); each one's next is due its period later.
     */
    public void census(long nowNanos, long flowNowNanos, FlowWalk flows) {
        census(nowNanos, flowNowNanos, flows, false);
    }

    /** As {@link #census(long, long, FlowWalk)}, for every detector that reads one, due or not (the input's end). */
    public void censusAll(long nowNanos, long flowNowNanos, FlowWalk flows) {
        census(nowNanos, flowNowNanos, flows, true);
    }

    private void census(long nowNanos, long flowNowNanos, FlowWalk flows, boolean all) {
        dueCount = 0;
        for (int i = 0; i < censused.length; i++) {
            if (all || due(i, nowNanos)) {
                nextCensus[i] = nowNanos + censused[i].censusEveryNanos();
                due[dueCount++] = censused[i];
            }
        }
        if (dueCount == 0) {
            return;
        }
        for (int i = 0; i < dueCount; i++) {
            due[i].censusBegin(nowNanos, flowNowNanos);
        }
        boolean complete = false;
        try {
            flows.forEach(eachCensusFlow);
            complete = true;
        } finally {
            for (int i = 0; i < dueCount; i++) {
                due[i].censusEnd(nowNanos, sink, complete);
            }
        }
    }

    private final BiConsumer<MemorySegment, MemorySegment> eachCensusFlow = this::censusFlow;

    private void censusFlow(MemorySegment key, MemorySegment state) {
        for (int i = 0; i < dueCount; i++) {
            due[i].censusFlow(key, state);
        }
    }

    public List<Detector> detectors() {
        return detectors;
    }

    /**
     * Gives one packet to every detector; one of weight 0 (it stands for no other packet) only to
     * those that count distinct ports and hosts ({@link Detectors#DISTINCT}).
     */
    public void observe(PacketObservation p) {
        packets++;
        lastTime = Math.max(lastTime, p.timeNanos());
        for (Detector d : p.weight() == 0 ? distinct : each) {
            d.observe(p, sink);
        }
    }

    /**
     * Packet time went on to {@code nowNanos} with no packet: windows that ended before it are
     * evaluated ({@link Detector#advance}), so that a short scan on a quiet link is reported at its
     * window's end rather than at the next packet, which may come much later.
     */
    public void advance(long nowNanos) {
        for (Detector d : each) {
            d.advance(nowNanos, sink);
        }
    }

    /** Ends the input: detectors evaluate their open windows. */
    public void finish() {
        for (Detector d : detectors) {
            d.finish(lastTime, sink);
        }
    }

    public long packets() {
        return packets;
    }

    /** The de-duplicated detections so far, by time. */
    public List<Detection> detections() {
        List<Detection> all = new ArrayList<>(closed);
        all.addAll(open.values());
        all.sort(Comparator.comparingLong(Detection::timeNanos).thenComparing(Detection::detector).thenComparing(Detection::subject));
        return all;
    }

    /** Reports per detector before de-duplication, in the order the detectors were given. */
    public Map<String, Long> reportsByDetector() {
        return Map.copyOf(reports);
    }

    /** De-duplicated detections per detector, every chosen detector listed. */
    public Map<String, Long> detectionsByDetector() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Detector d : detectors) {
            m.put(d.name(), 0L);
        }
        for (Detection d : detections()) {
            m.merge(d.detector(), 1L, Long::sum);
        }
        return m;
    }

    /** Per detector, in order: {untracked, evicted} of its capped tables ({@link Detector#untracked()}). */
    public Map<String, long[]> tableCounts() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Detector d : detectors) {
            m.put(d.name(), new long[] {d.untracked(), d.evicted()});
        }
        return m;
    }

    /** Reports of every detector so far, before de-duplication: what changed when it changed. */
    public long reportsTotal() {
        return reportsTotal;
    }

    /**
     * Forgets the detections whose last report is before {@code nanos} (packet time) and whose
     * de-duplication window has ended (a later report starts a new one anyway): an agent that runs
     * for days keeps only what it may still act on. Returns how many were forgotten.
     */
    public int forgetBefore(long nanos) {
        int before = closed.size() + open.size();
        closed.removeIf(d -> d.lastNanos() < nanos);
        open.values().removeIf(d -> d.lastNanos() < nanos && d.timeNanos() + dedupNanos < nanos);
        return before - closed.size() - open.size();
    }

    private void merge(Detection d) {
        reportsTotal++;
        reports.merge(d.detector(), 1L, Long::sum);
        // a different target (another service port of the same victim) is another attack: it needs its own measure
        String key = d.detector() + '\u0000' + d.subject() + (d.target() == null ? "" : "\u0000" + d.target());
        Detection old = open.get(key);
        if (old == null || d.timeNanos() - old.timeNanos() >= dedupNanos || d.timeNanos() < old.timeNanos()) {
            if (old != null) {
                closed.add(old);
            }
            open.put(key, d);
            return;
        }
        Detection strongest = d.score() > old.score() ? d : old;
        open.put(key, new Detection(Math.min(old.timeNanos(), d.timeNanos()), Math.max(old.lastNanos(), d.lastNanos()), d.detector(),
                d.subject(), strongest.score(), strongest.reasons(), old.count() + d.count(), union(old.sources(), d.sources()),
                d.target() != null ? d.target() : old.target()));
    }

    private static List<String> union(List<String> a, List<String> b) {
        if (b.isEmpty() || a.containsAll(b)) {
            return a;
        }
        java.util.LinkedHashSet<String> u = new java.util.LinkedHashSet<>(a);
        u.addAll(b);
        return List.copyOf(u);
    }
}
