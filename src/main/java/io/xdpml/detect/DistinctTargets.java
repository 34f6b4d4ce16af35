package io.xdpml.detect;

/**
 * What a scan is measured by: the distinct destination ports, hosts and (host, port) targets each
 * source reaches in a window. Three sets keyed by source, shared by all sources and cleared with the
 * window; the counts per source in its {@link Counts}.
 *
 * <p>Each set keeps at most {@code maxKeys} keys (since 2026-12-06; before, no cap): past it, a hash
 * sample ({@link SampledKeys}), and a new key kept counts as the {@link SampledKeys#weight()} keys it
 * stands for, an unbiased estimate; {@link Counts#portsKept}, {@link Counts#hostsKept} say how many
 * keys the estimates rest on, and the variances how far they may be off ({@link SampledKeys#reaches}).
 */
final class DistinctTargets {
    /** One source's distinct ports, hosts and targets: exact while the sets were below their caps, else estimates. */
    static class Counts {
        long ports;
        long hosts;
        long targets;
        /** The keys kept that {@link #ports} and {@link #hosts} were counted from. */
        int portsKept;
        int hostsKept;
        /** The estimates' variances ({@link SampledKeys#variance}). */
        long portsVariance;
        long hostsVariance;
        /**
         * Whether {@link #ports} and {@link #hosts} are estimates: a key of this source went to its set
         * while the set was sampled (kept, it counted 2^level; out of the sample, not at all), so the
         * count is not the number of distinct keys. Else exact.
         */
        boolean portsEstimated;
        boolean hostsEstimated;

        /** Whether the distinct ports reach {@code threshold} in a way that may be held against the source ({@link SampledKeys#reaches}). */
        boolean portsReach(long threshold) {
            return SampledKeys.reaches(ports, portsKept, portsVariance, threshold);
        }

        boolean hostsReach(long threshold) {
            return SampledKeys.reaches(hosts, hostsKept, hostsVariance, threshold);
        }

        /**
         * {@code 1,000 distinct destination ports on 1 host}, exact; where the window's sets were sampled,
         * each estimated count marked: {@code ~9,984 distinct destination ports on ~16 hosts (estimated: sampled)}
         * (portscan since 2026-12-06, udpscan since 2026-12-06; before the estimate was printed bare: a scan
         * of one host read "on 16 hosts"). {@code what}: "destination ports", "UDP destination ports".
         */
        String reached(String what) {
            long h = Math.max(1, hosts); // a sampled estimate may be 0; one host at least was probed
            return Detections.count(ports, portsEstimated) + " distinct " + what + " on " + Detections.count(h, hostsEstimated)
                    + (h == 1 ? " host" : " hosts") + Detections.estimated(portsEstimated || hostsEstimated);
        }
    }

    private final SampledKeys ports;
    private final SampledKeys hosts;
    private final SampledKeys targets;

    DistinctTargets(int maxKeys) {
        ports = new SampledKeys(4096, maxKeys);
        hosts = new SampledKeys(4096, maxKeys);
        targets = new SampledKeys(4096, maxKeys);
    }

    /** Counts a packet from {@code src} to ({@code dst}, {@code port}) into {@code counts}; true when {@code dst} was counted as a new host for it. */
    boolean add(long src, long dst, int port, Counts counts) {
        counts.portsEstimated |= ports.level() > 0;
        counts.hostsEstimated |= hosts.level() > 0;
        long w = ports.add(Addresses.pair(src, port));
        if (w > 0) {
            counts.ports += w;
            counts.portsKept++;
            counts.portsVariance += SampledKeys.variance(w);
        }
        long h = hosts.add(Addresses.pair(src, dst));
        if (h > 0) {
            counts.hosts += h;
            counts.hostsKept++;
            counts.hostsVariance += SampledKeys.variance(h);
        }
        counts.targets += targets.add(Addresses.pair(Addresses.pair(src, dst), port));
        return h > 0;
    }

    /**
     * What a report from these sets says when one of them was sampled in this window, else null:
     * {@code sampled 1 in 4 of the window's (source, port), (source, host) or (source, host, port) keys (portscan.maxTargets
     * 262,144 reached): distinct ports, hosts and targets estimated}.
     */
    String sampledReason(String setting) {
        int level = Math.max(ports.maxLevelNow(), Math.max(hosts.maxLevelNow(), targets.maxLevelNow()));
        SampledKeys most = ports.maxLevelNow() == level ? ports : hosts.maxLevelNow() == level ? hosts : targets;
        return most.sampledReason("(source, port), (source, host) or (source, host, port) keys", setting,
                "distinct ports, hosts and targets");
    }

    /** The largest of the three sets (for tests). */
    int largest() {
        return Math.max(ports.size(), Math.max(hosts.size(), targets.size()));
    }

    void clear() {
        ports.clear();
        hosts.clear();
        targets.clear();
    }
}
