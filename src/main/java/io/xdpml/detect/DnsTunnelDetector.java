package io.xdpml.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * DNS tunnels, per (client, base domain) in windows of packet time: the client's queries (UDP to
 * port 53) under one base domain (the name's last two labels), how many distinct names they ask,
 * the length and Shannon entropy of the part before the base domain (where a tunnel encodes its
 * data), and the share of query types that carry bulk data (NULL, TXT, and the private range).
 * Reported when a client asked at least {@code minDistinctNames} distinct names under one base
 * domain and either their mean subdomain length is at least {@code minMeanSubdomainLength}, their
 * mean entropy at least {@code minMeanEntropy} bits per byte, or at least
 * {@code minBulkTypeShare} of the queries were of a bulk type.
 */
public final class DnsTunnelDetector implements Detector {
    public static final String NAME = "dnstunnel";

    /**
     * @param windowNanos            window length
     * @param port                   UDP port of DNS
     * @param minDistinctNames       distinct names per client and base domain
     * @param minMeanSubdomainLength mean bytes before the base domain
     * @param minMeanEntropy         mean entropy of those bytes, bits per byte
     * @param minBulkTypeShare       share of NULL/TXT/private-type queries
     */
    public record Config(long windowNanos, int port, int minDistinctNames, double minMeanSubdomainLength, double minMeanEntropy,
            double minBulkTypeShare) {
        public Config {
            if (windowNanos <= 0 || port < 1 || port > 65535 || minDistinctNames < 1) {
                throw new IllegalArgumentException("bad DNS tunnel config: " + this);
            }
        }

        public static Config defaults() {
            return new Config(60_000_000_000L, 53, 30, 24, 4.0, 0.5);
        }
    }

    private static final class Tunnel {
        final long hi;
        final long lo;
        final String domain;
        long first;
        long last;
        long queries;
        int names;
        long subdomainBytes;
        double entropySum;
        int longestName;
        long bulkTypes;

        Tunnel(long hi, long lo, String domain, long first) {
            this.hi = hi;
            this.lo = lo;
            this.domain = domain;
            this.first = first;
        }
    }

    private final Config config;
    private final TumblingWindow window;
    private final DnsQuestion question = new DnsQuestion();
    private final LongObjectMap<Tunnel> tunnels = new LongObjectMap<>(256);
    private final LongHashSet names = new LongHashSet(1024);
    private long queries;
    private long malformed;

    public DnsTunnelDetector(Config config) {
        this.config = config;
        this.window = new TumblingWindow(config.windowNanos());
    }

    public DnsTunnelDetector() {
        this(Config.defaults());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** NULL, TXT, and the private-use range (RFC 6895): types that carry arbitrary bytes. */
    static boolean bulkType(int qtype) {
        return qtype == 10 || qtype == 16 || qtype >= 65280 && qtype <= 65534;
    }

    @Override
    public void observe(PacketObservation p, DetectionSink sink) {
        long t = p.timeNanos();
        advance(t, sink);
        window.enter(t);
        if (!p.isUdp() || p.destinationPort() != config.port() || p.payloadLength() == 0) {
            return;
        }
        if (!question.parse(p.frame(), p.payloadOffset(), p.payloadLength())) {
            if (question.error() != DnsQuestion.Error.NOT_A_QUERY) {
                malformed++;
            }
            return;
        }
        queries++;
        long key = Addresses.pair(p.sourceKey(), question.baseDomainHash());
        Tunnel tn = tunnels.get(key);
        if (tn == null) {
            tn = new Tunnel(p.sourceHi(), p.sourceLo(), question.baseDomainText(), t);
            tunnels.putNew(key, tn);
        }
        tn.queries++;
        tn.last = t;
        if (names.add(Addresses.pair(key, question.nameHash()))) {
            tn.names++;
            tn.subdomainBytes += question.subdomainLength();
            tn.entropySum += question.subdomainEntropy();
            tn.longestName = Math.max(tn.longestName, question.nameLength());
        }
        if (bulkType(question.qtype())) {
            tn.bulkTypes++;
        }
    }

    @Override
    public void finish(long endNanos, DetectionSink sink) {
        if (window.isOpen()) {
            close(sink);
        }
    }

    /** DNS queries read (all windows). */
    public long queries() {
        return queries;
    }

    /** Messages to the DNS port that were not well-formed queries (all windows). */
    public long malformed() {
        return malformed;
    }

    @Override
    public void advance(long nowNanos, DetectionSink sink) {
        if (window.endsBefore(nowNanos)) {
            close(sink);
        }
    }

    private void close(DetectionSink sink) {
        tunnels.forEach(tn -> {
            if (tn.names < config.minDistinctNames()) {
                return;
            }
            double meanLength = (double) tn.subdomainBytes / tn.names;
            double meanEntropy = tn.entropySum / tn.names;
            double bulkShare = (double) tn.bulkTypes / tn.queries;
            boolean longNames = meanLength >= config.minMeanSubdomainLength();
            boolean random = meanEntropy >= config.minMeanEntropy();
            boolean bulk = bulkShare >= config.minBulkTypeShare();
            if (!longNames && !random && !bulk) {
                return;
            }
            List<String> reasons = new ArrayList<>();
            long span = tn.last - tn.first;
            reasons.add(Detections.count(tn.names) + " distinct names under " + tn.domain + " in " + Detections.seconds(span) + " ("
                    + Detections.count(tn.queries) + " queries, " + String.format(java.util.Locale.ROOT, "%.1f", Detections.rate(tn.queries,
                            Math.max(span, 1_000_000_000L))) + "/s)");
            reasons.add("subdomain mean " + String.format(java.util.Locale.ROOT, "%.1f", meanLength) + " bytes, entropy "
                    + String.format(java.util.Locale.ROOT, "%.2f", meanEntropy) + " bits/byte, longest name " + tn.longestName);
            reasons.add(Detections.count(tn.bulkTypes) + " NULL/TXT/private-type queries (" + Detections.ratio(bulkShare * 100) + "%)");
            double score = Math.max(Math.max(meanLength / config.minMeanSubdomainLength(), meanEntropy / config.minMeanEntropy()),
                    bulkShare / config.minBulkTypeShare()) * tn.names / config.minDistinctNames();
            String client = Addresses.text(tn.hi, tn.lo);
            sink.report(Detection.of(tn.first, NAME, client, score, reasons, List.of(client)));
        });
        tunnels.clear();
        names.clear();
        window.close();
    }
}
