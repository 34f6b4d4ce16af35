package io.xdpml.detect;

import io.xdpml.flow.FlowLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Password guessing over login services (SSH, RDP, FTP, telnet, VNC, SMB; databases when listed): one source opening new TCP
 * connections again and again to one login service of one host, per (source, destination,
 * destination port) with the port in {@code ports}, over a horizon of {@code horizonNanos} of packet
 * time, longer than the agent's windows (the Emerging Threats rule "ET SCAN Potential SSH Scan":
 * threshold type both, track by_src, count 5, seconds 120; the floor here is higher, docs/detectors.md).
 *
 * <p>New connections are counted as {@link ConnFloodDetector} counts them: SYNs without ACK, each
 * once per connection, by its source port and initial sequence number (a retransmitted SYN is the
 * same connection), whatever its {@link PacketObservation#weight()} (the agent copies every flow's
 * first packet besides its sample, weight 0: the detector is one of {@link Detectors#DISTINCT}).
 *
 * <p>State outlives windows, bounded ({@link ConnectionHorizon}, shared with {@code connflood}'s
 * sustained rule): per pair a ring of {@code epochs} per-epoch counts (an epoch
 * is {@code horizonNanos / epochs}); the count over the horizon is the sum of the epochs still in
 * it, so the horizon is exact to within one epoch. At most {@code maxPairs} pairs (about 500 bytes
 * each with 12 epochs; full, a new pair whose SYNs keep coming takes the place of the least active,
 * {@link BoundedSubjects}); a pair with no connection left in the horizon is dropped. The SYNs of
 * the current and the previous epoch are remembered (at most {@code maxConnections} per epoch, 16
 * bytes each) to count a retransmission once; past it a SYN not remembered counts as new (said in
 * the reasons).
 *
 * <p>Only completed connections make a guesser (since 2026-12-07): a password is tried over a connection
 * whose handshake completed, while SYNs forged from an address never complete one, and naming their
 * address would block a host of the forger's choosing. A pair is completed when {@value #MIN_COMPLETION} of its
 * new connections show a packet with ACK (neither SYN nor RST) from the client port whose SYN was counted,
 * each connection once whatever the packet weighs (since 2026-12-08: the packets with ACK were weighed and
 * counted per pair, so a host's live session to the service covered SYNs forged from its address); or when
 * the censuses of the flow table (every {@value #CENSUS_SECONDS} s) find that share of its connections
 * completed, each a flow with at least {@value CensusPairs#COMPLETED_PACKETS} packets from the client, one with
 * ACK, counted once and in the horizon as the SYNs are: the flow table counts every packet, where the agent's
 * 1 in N sample may hold none of a slow guesser's ACKs. A share, not one: a host that logged in once is no
 * cover for SYNs forged from its address (until 2026-12-08 one completed connection, for the pair's life, was).
 *
 * <p>Reported at the SYN that brings a completed pair to {@code minConnections} within the horizon (or,
 * having the connections, at the ACK or the census that completes it), then at a
 * SYN at most once per epoch while the horizon holds that many. The report names the source (what
 * closed-loop mitigation blocks) and no target; its reasons name the service. Score: connections over
 * {@code minConnections}. Why once per epoch, not once per horizon: a blocked source's SYNs reach no
 * detector, and its block ends a second after it went quiet; a guesser that waits that out and comes
 * back is reported (and blocked) again within an epoch, where once per horizon left it up to a
 * horizon less the block to guess unseen.
 */
public final class BruteForceDetector implements Detector {
    public static final String NAME = "bruteforce";
    /**
     * The login services watched by default: ftp, ssh, telnet, smb, rdp, vnc, where people log in. Not
     * the services applications log in to (pop3, imap, ldap, mssql, mysql, postgres, redis): an
     * application server may open a connection per request or per user (PHP's mysqli and PDO without
     * persistent connections, a webmail front end to IMAP, a web application binding to LDAP at each
     * login), which a count of new connections cannot tell from a guesser ({@link #service} still names
     * them when {@code ports} lists them).
     */
    public static final String DEFAULT_PORTS = "21,22,23,445,3389,5900";
    /** Packets with ACK from the source per new connection, weighed, that make its connections completed (connflood's default). */
    static final double MIN_COMPLETION = 0.5;
    /** How often the flow table is asked which connections completed. */
    static final int CENSUS_SECONDS = 1;

    /**
     * @param horizonNanos   how far back new connections are counted
     * @param epochs         epochs in the horizon (its resolution: an epoch is horizonNanos / epochs)
     * @param minConnections new connections from one source to one login service within the horizon before it is reported
     * @param ports          the login services' TCP ports, comma-separated
     * @param maxPairs       (source, destination, port) pairs tracked
     * @param maxConnections connections (4-tuple and initial sequence number) remembered per epoch to count a retransmitted SYN once
     */
    public record Config(long horizonNanos, int epochs, int minConnections, String ports, int maxPairs, int maxConnections) {
        public Config {
            if (horizonNanos <= 0 || epochs < 1 || epochs > 1024 || horizonNanos / epochs <= 0 || minConnections < 1 || maxPairs < 1
                    || maxConnections < 1) {
                throw new IllegalArgumentException("bad brute force config: " + this);
            }
            portSet(NAME + ".ports", ports);
        }

        public static Config defaults() {
            return new Config(120_000_000_000L, 12, 10, DEFAULT_PORTS, 65_536, 1 << 18);
        }
    }

    /** The ports of a comma-separated list, as a bitmap of 65,536 bits; {@code setting} names the list in errors. */
    static long[] portSet(String setting, String ports) {
        long[] set = new long[1024];
        boolean any = false;
        for (String s : (ports == null ? "" : ports).split("[,\\s]+")) {
            if (s.isEmpty()) {
                continue;
            }
            int port;
            try {
                port = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(setting + ": '" + s + "' is not a port");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(setting + ": " + port + " is not a port (1 to 65535)");
            }
            set[port >>> 6] |= 1L << port;
            any = true;
        }
        if (!any) {
            throw new IllegalArgumentException(setting + ": no port in '" + ports + "'");
        }
        return set;
    }

    /** The service a login port is known as, or null. */
    static String service(int port) {
        return switch (port) {
            case 21 -> "ftp";
            case 22 -> "ssh";
            case 23 -> "telnet";
            case 110 -> "pop3";
            case 143 -> "imap";
            case 389 -> "ldap";
            case 445 -> "smb";
            case 1433 -> "mssql";
            case 3306 -> "mysql";
            case 3389 -> "rdp";
            case 5432 -> "postgres";
            case 5900 -> "vnc";
            case 6379 -> "redis";
            default -> null;
        };
    }

    private final Config config;
    private final long[] ports;
    private final ConnectionHorizon horizon;
    /** Pairs over the floor that a census found completed, to report at its end (no allocation once grown). */
    private final List<ConnectionHorizon.Pair> completedByCensus = new ArrayList<>();
    /** A pair became pending since the last census. */
    private boolean censusSoon;
    /** The connections (pair, client port) whose SYN was counted, for one to two epochs: an ACK counts on one of them only. */
    private final Generations begun;
    /** The connections whose ACK was counted, as long: each counts once. */
    private final Generations acked;
    /** The connections the censuses found completed, each counted once a horizon (a session lasting longer is counted once more per horizon, when its count has left it). */
    private final Generations censusCounted;

    public BruteForceDetector(Config config) {
        this.config = config;
        this.ports = portSet(NAME + ".ports", config.ports());
        this.horizon = new ConnectionHorizon(config.horizonNanos(), config.epochs(), 1, config.maxPairs(), config.maxConnections());
        this.censusCounted = new Generations(1024, config.maxConnections());
        this.begun = new Generations(1024, config.maxConnections());
        this.acked = new Generations(1024, config.maxConnections());
    }

    public BruteForceDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    private boolean login(int port) {
        return (ports[port >>> 6] & (1L << port)) != 0;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        if (!p.isTcp() || !login(p.destinationPort())) {
            return;
        }
        int f = p.tcpFlags();
        long pair = ConnFloodDetector.pairKey(p);
        long connection = Addresses.mix(pair ^ ((long) p.sourcePort() << 40));
        long generation = Math.floorDiv(t, config.horizonNanos() / config.epochs());
        begun.advanceTo(generation);
        acked.advanceTo(generation);
        if (p.isSyn()) {
            ConnectionHorizon.Pair q = horizon.syn(p, pair, t);
            if (q != null) {
                begun.add(connection);
                look(q, t, sink);
            }
        } else if ((f & (PacketObservation.TCP_SYN | PacketObservation.TCP_RST | PacketObservation.TCP_ACK)) == PacketObservation.TCP_ACK
                && begun.contains(connection) && acked.firstTime(connection)) {
            // one a connection, whatever the packet weighs: a session's stream of ACKs is no cover for SYNs forged beside it
            ConnectionHorizon.Pair q = horizon.ack(pair, 1, t);
            if (q != null && q.pending) {
                look(q, t, sink);
            }
        }
    }

    /** Reports the pair if it has the connections, is due, and its connections were completed; else marks it pending when it lacks only that. */
    private void look(ConnectionHorizon.Pair q, long t, DetectionSink sink) {
        long n = horizon.connections(q);
        if (n < config.minConnections() || !horizon.due(q)) {
            return;
        }
        if (!completed(q, n)) {
            if (!q.pending) {
                q.pending = true;
                censusSoon = true; // the census tells within a poll or two, where waiting for the next second let a short run finish
            }
            // forged SYNs, or a guesser whose ACKs the sample has not shown yet: the census may show them completed
            return;
        }
        q.pending = false;
        horizon.reported(q);
        report(q, n, t, sink);
    }

    /** Whether {@value #MIN_COMPLETION} of the pair's {@code n} connections are shown completed: by an ACK seen on each, or by censuses. */
    private boolean completed(ConnectionHorizon.Pair q, long n) {
        return horizon.acks(q) >= MIN_COMPLETION * n || horizon.completed(q) >= MIN_COMPLETION * n;
    }

    @Override
    public boolean censusSoon() {
        return censusSoon;
    }

    @Override
    public long censusEveryNanos() {
        return CENSUS_SECONDS * 1_000_000_000L;
    }

    @Override
    public void censusBegin(long nowNanos, long flowNowNanos) {
        censusSoon = false;
        censusCounted.advanceTo(Math.floorDiv(nowNanos, config.horizonNanos()));
        completedByCensus.clear();
    }

    @Override
    public void censusFlow(MemorySegment key, MemorySegment state) {
        if ((key.get(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL) & 0xff) != 6
                || !login(CensusPairs.serverPort(key, state))) {
            return;
        }
        if (!CensusPairs.completed(state)) {
            return;
        }
        long pair = CensusPairs.pairKey(key, state);
        if (horizon.pair(pair) == null || !censusCounted.firstTime(CensusPairs.connectionKey(pair, key, state))) {
            return;
        }
        ConnectionHorizon.Pair q = horizon.completedConnection(pair);
        if (q.pending && !q.queued) {
            q.queued = true;
            completedByCensus.add(q);
        }
    }

    @Override
    public void censusEnd(long nowNanos, DetectionSink sink, boolean complete) {
        for (ConnectionHorizon.Pair q : completedByCensus) {
            q.queued = false;
            if (horizon.pair(q.key) == q) { // still tracked
                look(q, nowNanos, sink);
            }
        }
        completedByCensus.clear();
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        horizon.advance(nowNanos);
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        // reports are made as the connections come
    }

    @Override
    public long untracked() {
        return horizon.untracked();
    }

    @Override
    public long evicted() {
        return horizon.evicted();
    }

    /** Pairs tracked (for tests). */
    int tracked() {
        return horizon.tracked();
    }

    /**
     * At {@code t}, the SYN's time, not the horizon's first: a report made again after the
     * de-duplication window (DetectorSet) is a detection of its own, handed to the agent again.
     */
    private void report(ConnectionHorizon.Pair q, long n, long t, DetectionSink sink) {
        String source = q.source();
        String name = service(q.port);
        long first = horizon.firstInHorizon(q);
        String service = q.destination() + ":" + q.port + (name == null ? "" : " (" + name + ")");
        List<String> reasons = new ArrayList<>();
        reasons.add(Detections.count(n) + " new connections to " + service + " in " + Detections.seconds(q.last - first)
                + " (at least " + config.minConnections() + " within " + Detections.seconds(config.horizonNanos()) + ")");
        long acks = horizon.acks(q);
        reasons.add(acks >= MIN_COMPLETION * n
                ? Detections.count(acks) + " of them with an ACK from the source after their SYN: handshakes completed, not forged"
                : Detections.count(horizon.completed(q)) + " of them completed in the flow table (" + CensusPairs.COMPLETED_PACKETS
                        + " or more packets from the client, one with ACK): not forged");
        String full = horizon.fullReason(NAME + ".maxPairs");
        if (full != null) {
            reasons.add(full);
        }
        long refused = horizon.refused();
        if (refused > 0) {
            reasons.add("table of " + Detections.count(config.maxConnections()) + " connections full (" + NAME + ".maxConnections): "
                    + Detections.count(refused) + " SYNs counted without telling retransmissions");
        }
        sink.report(Detection.of(t, NAME, source, (double) n / config.minConnections(), reasons, List.of(source)));
    }
}
