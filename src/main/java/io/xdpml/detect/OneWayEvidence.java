package io.xdpml.detect;

import io.xdpml.packet.ParseFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * What tells an amplification or a reflection from a host's own answers where one direction is all
 * a detector sees ({@code twoWay} 0; the agent's XDP sees what arrives, never its host's requests),
 * kept per (victim, service port) by {@link AmplificationDetector} and {@link ReflectionDetector}.
 * One way, no request is ever seen, so "no requests" is no evidence: a host whose own resolver
 * hears 200 answers a second from 25 servers looks like a victim of DNS amplification. What a
 * client's own traffic does not produce, and counts here:
 *
 * <ul>
 *   <li>one port of the victim answered by many reflectors: a client asks from a port and hears
 *       from the server it asked (one DNS query, one QUIC connection per port); a spoofed request
 *       names the victim's port, which every reflector then answers. Counted as the port each new
 *       reflector's first response went to, in a Space-Saving table of {@value #PORT_SLOTS} ports
 *       ({@link HeavyHitters}: bounded, nothing per packet);
 *   <li>many reflectors: an attack sprays the victim from hundreds or thousands;
 *   <li>responses that are mostly first fragments (MF set): answers to a client's lookups fit a
 *       datagram (DNS since EDNS's 1,232 bytes; QUIC sets DF); amplified answers are as large as a
 *       reflector makes them.
 * </ul>
 */
final class OneWayEvidence {
    static final int PORT_SLOTS = 8;

    private final HeavyHitters firstPorts = new HeavyHitters(PORT_SLOTS);
    private long firstFragments;

    /** Counts a response as {@code count} (as the detector counts its responses) when it is a first fragment (later ones carry no ports). */
    void response(PacketObservation p, long count) {
        if (p.summary().has(ParseFlags.FRAGMENT)) {
            firstFragments += count;
        }
    }

    /** A reflector new to this victim and service answered its port {@code victimPort} first. */
    void newReflector(int victimPort) {
        firstPorts.add(0, victimPort);
    }

    /** The victim's port that most reflectors answered first: the slot in {@link #firstPorts}, -1 when none. */
    private int busiestSlot() {
        int best = -1;
        for (int i = 0; i < firstPorts.size(); i++) {
            if (best < 0 || firstPorts.sure(i) > firstPorts.sure(best)) {
                best = i;
            }
        }
        return best;
    }

    /**
     * What of this is evidence (for the reasons), or null when nothing is.
     *
     * @param responses         responses counted (weighed)
     * @param reflectors        distinct reflectors
     * @param minReflectors     reflectors that are evidence by their number
     * @param minPortReflectors reflectors answering one port that are evidence; {@code Integer.MAX_VALUE}: never
     */
    String text(long responses, int reflectors, int minReflectors, int minPortReflectors) {
        List<String> found = new ArrayList<>();
        int port = busiestSlot();
        if (port >= 0 && firstPorts.sure(port) >= minPortReflectors) {
            found.add("its port " + firstPorts.lo(port) + " answered by " + Detections.count(firstPorts.sure(port)) + " reflectors");
        }
        if (reflectors >= minReflectors) {
            found.add(Detections.count(reflectors) + " reflectors (" + Detections.count(minReflectors) + " or more)");
        }
        if (responses > 0 && firstFragments * 2 >= responses) {
            found.add(Detections.count(firstFragments) + " of " + Detections.count(responses) + " responses first fragments");
        }
        return found.isEmpty() ? null : "seen one way, more than a host's own answers: " + String.join("; ", found);
    }
}
