package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * Connection floods (HTTP floods such as HULK and GoldenEye: one source opening new TCP connections
 * to one service as fast as it can, each completed and carrying a request), per (source,
 * destination, destination port) in windows of packet time.
 *
 * <p>New connections: SYNs without ACK, each counted once per connection, by its source port and
 * initial sequence number (a retransmitted SYN is the same connection; a port reused for a new
 * connection in the window is another), whatever its {@link PacketObservation#weight()}: the
 * agent copies every flow's first packet in each direction besides its sample (weight 0), so every
 * SYN is seen exactly even where the rest is sampled 1 in N; the detector is therefore one of
 * {@link Detectors#DISTINCT}. Completion: the packets with ACK (neither SYN nor RST) the source sends
 * the service, each counted {@link PacketObservation#weight()} times: the client's handshake ACK,
 * its request, its acknowledgements and its FIN. Only one direction is seen (what arrives at the
 * agent's host): the server's SYN-ACK is not, the client's going on is. A completed connection sends
 * at least one (the handshake's ACK; an HTTP request several); a spoofed SYN flood none (its
 * sources never got the SYN-ACK), a real host's bare SYN flood RSTs only (its kernel refuses the
 * SYN-ACKs): those are {@code synflood}'s.
 *
 * <p>Reported when a pair had at least {@code minConnections} new connections at
 * {@code minRate} per second or more (over the span between its first and last SYN, at least 1 s)
 * and at least {@code minCompletion} such packets per new connection. The report names the source
 * (what closed-loop mitigation blocks); its subject is the source, its reasons name the service.
 * Score: the rate over {@code minRate}.
 *
 * <p>Sustained: a flood slower than the window's floors (a HULK whose server answers slowly, a loop
 * of some tens of connections a second) is counted over a horizon of {@code sustainedHorizonNanos}
 * of packet time that outlives the windows ({@link ConnectionHorizon}, as {@code bruteforce}
 * counts): reported at the SYN or ACK that finds a pair with at least {@code sustainedConnections}
 * new connections within the horizon and {@code minCompletion} packets with ACK per connection over
 * it, then at most once per epoch (5 s of the default 60 s) while the horizon holds that many; not
 * while the pair is over the window's floors (the window's report is made instead, and counts as the
 * horizon's in its epoch). Score: connections over
 * {@code sustainedConnections}. 0 turns it off, the default: at the floor the docs suggest (300 within
 * 60 s) a reverse proxy without keep-alive to its backends (nginx's default), a NAT or a poller
 * making 5 new connections a second to one service would be named and blocked.
 *
 * <p>Memory: at most {@code maxPairs} pairs per window (about 100 bytes each; full, a new pair takes
 * the place of the least active when its SYNs keep coming, {@link BoundedSubjects}) and at most
 * {@code maxConnections} connections remembered per window (16 bytes each) to count a retransmitted
 * SYN once; past it a SYN not remembered counts as a new connection (an over-count of
 * retransmissions only, said in the reasons). The sustained rule's horizon: at most
 * {@code sustainedMaxPairs} pairs (about 550 bytes each; full, the least active gives way to one
 * whose SYNs keep coming) and the SYNs of two of its epochs, at most {@code maxConnections} each.
 */
public final class ConnFloodDetector implements Detector {
    public static final String NAME = "connflood";
    /** Epochs of the sustained horizon. */
    static final int SUSTAINED_EPOCHS = 12;

    /**
     * @param windowNanos    window length
     * @param minConnections new connections from one source to one service per window before anything is reported
     * @param minRate        and their rate, per second over the span between the pair's first and last SYN (at least 1 s)
     * @param minCompletion  at least this many packets with ACK (no SYN, no RST, weighed) from the source to the service
     *                       per new connection: the connections were completed (0: do not ask)
     * @param earlyNanos     0: report at the window's end only; more: also as soon as a flood holds this long after the
     *                       pair reached the floors ({@link EarlyLook})
     * @param maxPairs       (source, destination, port) pairs tracked per window
     * @param maxConnections connections (4-tuple and initial sequence number) remembered per window to count a retransmitted SYN once
     *                       (and per epoch of the sustained horizon)
     * @param sustainedConnections new connections from one source to one service within the sustained horizon before it is
     *                       reported, slower than the window's floors (0: no sustained rule)
     * @param sustainedHorizonNanos the sustained horizon (12 epochs: exact to within a twelfth of it)
     * @param sustainedMaxPairs (source, destination, port) pairs tracked over the sustained horizon
     */
    public record Config(long windowNanos, int minConnections, double minRate, double minCompletion, long earlyNanos, int maxPairs,
            int maxConnections, int sustainedConnections, long sustainedHorizonNanos, int sustainedMaxPairs) {
        public Config {
            if (windowNanos <= 0 || minConnections < 1 || minRate < 0 || minCompletion < 0 || earlyNanos < 0 || maxPairs < 1
                    || maxConnections < 1 || sustainedConnections < 0 || sustainedHorizonNanos < SUSTAINED_EPOCHS
                    || sustainedMaxPairs < 1) {
                throw new IllegalArgumentException("bad connection flood config: " + this);
            }
        }

        public static Config defaults() {
            // the sustained rule off: see its javadoc above
            return new Config(10_000_000_000L, 100, 50, 0.5, 0, 65_536, 1 << 20, 0, 60_000_000_000L, 16_384);
        }
    }

    private static final class Pair {
        final long srcHi;
        final long srcLo;
        final long dstHi;
        final long dstLo;
        final int port;
        /** The pair's key (its sustained horizon's). */
        final long key;
        long first;
        long last;
        long connections;
        /** Packets with ACK (no SYN, no RST) from the source to the service, weighed. */
        long acks;
        long resets;
        long credit;
        final EarlyLook look = new EarlyLook();

        Pair(PacketObservation p, long key, long t) {
            this.key = key;
            srcHi = p.sourceHi();
            srcLo = p.sourceLo();
            dstHi = p.destinationHi();
            dstLo = p.destinationLo();
            port = p.destinationPort();
            first = t;
            last = t;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final BoundedSubjects<Pair> pairs;
    private final LongHashSet connections;
    private long refusedBefore;
    /** The sustained rule's counts; null when it is off. */
    private final ConnectionHorizon horizon;

    public ConnFloodDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
        this.pairs = new BoundedSubjects<>(config.maxPairs(), q -> q.connections + q.credit);
        this.connections = new LongHashSet(4096, config.maxConnections());
        this.horizon = config.sustainedConnections() == 0 ? null
                : new ConnectionHorizon(config.sustainedHorizonNanos(), SUSTAINED_EPOCHS, SUSTAINED_EPOCHS, config.sustainedMaxPairs(),
                        config.maxConnections());
    }

    public ConnFloodDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The (source, destination, destination port) key (also bruteforce's). */
    static long pairKey(PacketObservation p) {
        return Addresses.mix(Addresses.pair(p.sourceKey(), p.destinationKey()) ^ ((long) p.destinationPort() << 17));
    }

    /** A connection's key: its pair's, its source port and its initial sequence number (a retransmitted SYN repeats them). */
    static long connectionKey(long pairKey, PacketObservation p) {
        return Addresses.mix(pairKey ^ ((long) p.sourcePort() << 40) ^ Addresses.mix(p.tcpSequence() & 0xffff_ffffL));
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
        long key = pairKey(p);
        if (p.isSyn()) {
            if (horizon != null) {
                lookSustained(horizon.syn(p, key, t), key, t, sink);
            }
            Pair q = pairs.get(key);
            if (q == null) {
                long credit = pairs.admit(key);
                if (credit < 0) {
                    return;
                }
                q = new Pair(p, key, t);
                q.credit = credit;
                pairs.put(key, q);
            }
            long tuple = connectionKey(key, p);
            boolean full = connections.full();
            if (connections.add(tuple) || full && !connections.contains(tuple)) {
                q.connections++;
                q.last = Math.max(q.last, t);
            }
            lookEarly(q, t, sink);
        } else if ((f & PacketObservation.TCP_SYN) == 0) {
            if (horizon != null && (f & (PacketObservation.TCP_RST | PacketObservation.TCP_ACK)) == PacketObservation.TCP_ACK) {
                ConnectionHorizon.Pair h = horizon.ack(key, p.weight(), t);
                if (h != null && h.pending) {
                    lookSustained(h, key, t, sink);
                }
            }
            Pair q = pairs.get(key);
            if (q == null) {
                return;
            }
            if ((f & PacketObservation.TCP_RST) != 0) {
                q.resets += p.weight();
            } else if ((f & PacketObservation.TCP_ACK) != 0) {
                q.acks += p.weight();
                lookEarly(q, t, sink);
            }
        }
    }

    private boolean floors(Pair q) {
        return q.connections >= config.minConnections() && rate(q) >= config.minRate();
    }

    private static double rate(Pair q) {
        return q.connections / Math.max(1.0, (q.last - q.first) / 1e9);
    }

    private void lookEarly(Pair q, long t, DetectionSink sink) {
        if (floors(q) && q.look.dueEarly(t, config.earlyNanos()) && report(q, sink)) {
            q.look.reportedEarly();
        }
    }

    /**
     * The sustained rule at a counted SYN or at an ACK of a pair that has the connections but lacked
     * the completion: reported when over its floors, due, and not over the window's.
     */
    private void lookSustained(ConnectionHorizon.Pair h, long key, long t, DetectionSink sink) {
        if (h == null || !horizon.due(h)) {
            return;
        }
        long n = horizon.connections(h);
        if (n < config.sustainedConnections()) {
            return;
        }
        Pair q = pairs.get(key);
        if (q != null && floors(q)) {
            return; // the window's rule reports it
        }
        long acks = horizon.acks(h);
        if ((double) acks / n < config.minCompletion()) {
            h.pending = true;
            return;
        }
        h.pending = false;
        horizon.reported(h);
        reportSustained(h, n, acks, t, sink);
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
        if (horizon != null) {
            horizon.advance(nowNanos);
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    private void close(DetectionSink sink) {
        pairs.forEach(q -> {
            if (floors(q)) {
                report(q, sink);
            }
        });
        pairs.clear();
        connections.clear();
        refusedBefore = connections.refused();
        window.close();
    }

    @Override
    public long untracked() {
        return pairs.untracked() + (horizon == null ? 0 : horizon.untracked());
    }

    @Override
    public long evicted() {
        return pairs.evicted() + (horizon == null ? 0 : horizon.evicted());
    }

    /** Pairs tracked in this window (for tests). */
    int tracked() {
        return pairs.size();
    }

    /** Reports the pair if its connections were completed; whether it did. */
    private boolean report(Pair q, DetectionSink sink) {
        double completion = (double) q.acks / q.connections;
        if (completion < config.minCompletion()) {
            return false;
        }
        double rate = rate(q);
        String source = Addresses.text(q.srcHi, q.srcLo);
        String service = Addresses.text(q.dstHi, q.dstLo) + ":" + q.port;
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(q.connections) + " new TCP connections to " + service + " in " + Detections.seconds(q.last - q.first)
                + " (" + Detections.rateText(rate, "connections") + ")");
        reasons.add(Detections.count(q.acks) + " packets with ACK from the source (" + Detections.ratio(completion)
                + " per connection): handshakes completed, not spoofed");
        if (q.resets > 0) {
            reasons.add(Detections.count(q.resets) + " RSTs from the source");
        }
        String full = pairs.fullReason("source-service pairs", NAME + ".maxPairs");
        if (full != null) {
            reasons.add(full);
        }
        long notRemembered = connections.refused() - refusedBefore;
        if (notRemembered > 0) {
            reasons.add("table of " + Detections.count(config.maxConnections()) + " connections full (" + NAME + ".maxConnections): "
                    + Detections.count(notRemembered) + " SYNs counted without telling retransmissions");
        }
        double score = config.minRate() > 0 ? rate / config.minRate() : (double) q.connections / config.minConnections();
        sink.report(Detection.of(q.first, NAME, source, score, reasons, List.of(source)));
        if (horizon != null) {
            // the window's report is the horizon's too: not reported again by the sustained rule in this epoch
            ConnectionHorizon.Pair h = horizon.pair(q.key);
            if (h != null) {
                horizon.reported(h);
                h.pending = false;
            }
        }
        return true;
    }

    /** At {@code t}, the packet's time (as bruteforce's): a report made again after DetectorSet's de-duplication is a detection of its own. */
    private void reportSustained(ConnectionHorizon.Pair h, long n, long acks, long t, DetectionSink sink) {
        String source = h.source();
        String service = h.destination() + ":" + h.port;
        long first = horizon.firstInHorizon(h);
        double span = Math.max(1.0, (h.last - first) / 1e9);
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(n) + " new TCP connections to " + service + " in " + Detections.seconds(h.last - first) + " ("
                + Detections.rateText(n / span, "connections") + " sustained; at least " + Detections.count(config.sustainedConnections())
                + " within " + Detections.seconds(horizon.horizonNanos()) + ")");
        reasons.add(Detections.count(acks) + " packets with ACK from the source (" + Detections.ratio((double) acks / n)
                + " per connection): handshakes completed, not spoofed");
        String full = horizon.fullReason(NAME + ".sustainedMaxPairs");
        if (full != null) {
            reasons.add(full);
        }
        if (horizon.refused() > 0) {
            reasons.add("table of " + Detections.count(config.maxConnections()) + " connections full (" + NAME + ".maxConnections): "
                    + Detections.count(horizon.refused()) + " SYNs counted without telling retransmissions");
        }
        sink.report(Detection.of(t, NAME, source, (double) n / config.sustainedConnections(), reasons, List.of(source)));
    }
}
