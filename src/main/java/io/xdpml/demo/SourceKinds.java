package io.xdpml.demo;

import io.xdpml.gen.Ipv4Range;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.TrafficKind;

/** Which traffic kind an IPv4 source address belongs to, by the scenario's source ranges. */
final class SourceKinds {
    private final int[] first = new int[TrafficKind.values().length];
    private final int[] count = new int[TrafficKind.values().length];

    SourceKinds(ScenarioSettings settings) {
        for (TrafficKind k : TrafficKind.values()) {
            Ipv4Range r = settings.source(k);
            first[k.ordinal()] = r.first();
            count[k.ordinal()] = r.count();
        }
    }

    /** The kind's ordinal, or -1 for an address of no range. */
    int kindOf(int source) {
        for (int k = 0; k < first.length; k++) {
            if (Integer.toUnsignedLong(source - first[k]) < count[k]) {
                return k;
            }
        }
        return -1;
    }

    /** The kind of a dotted-quad address, or -1. */
    int kindOf(String dotted) {
        try {
            return kindOf(Ipv4Range.address(dotted));
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }
}
