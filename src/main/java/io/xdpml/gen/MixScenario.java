package io.xdpml.gen;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Benign traffic and the attacks interleaved by their shares ({@link ScenarioSettings#shares()}),
 * with smooth weighted round robin: exactly {@code share / total} of every {@code total} frames
 * are of each kind, spread evenly rather than in runs.
 */
final class MixScenario implements Scenario {
    private final Scenario[] parts;
    private final int[] weight;
    private final int[] current;
    private final int total;
    private Scenario last;

    /** The mix sent at {@code ratePps} frames a second: each part gets its share of the rate. */
    MixScenario(ScenarioSettings settings, long ratePps) {
        List<Scenario> p = new ArrayList<>();
        List<Integer> wts = new ArrayList<>();
        int sum = settings.shares().values().stream().mapToInt(Integer::intValue).sum();
        for (TrafficKind k : TrafficKind.values()) { // a fixed order, whatever the map's
            int share = settings.shares().getOrDefault(k, 0);
            if (share > 0) {
                p.add(Scenarios.single(k, settings, (double) ratePps * share / sum));
                wts.add(share);
            }
        }
        parts = p.toArray(Scenario[]::new);
        weight = wts.stream().mapToInt(Integer::intValue).toArray();
        current = new int[parts.length];
        total = java.util.Arrays.stream(weight).sum();
    }

    @Override
    public String name() {
        return "mix";
    }

    @Override
    public TrafficKind next() {
        int best = 0;
        for (int i = 0; i < parts.length; i++) {
            current[i] += weight[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        last = parts[best];
        return last.next();
    }

    @Override
    public MemorySegment frame() {
        return last.frame();
    }

    @Override
    public int length() {
        return last == null ? 0 : last.length();
    }
}
