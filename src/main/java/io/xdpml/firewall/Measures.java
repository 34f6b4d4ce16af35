package io.xdpml.firewall;

import io.xdpml.detect.AmplificationDetector;
import io.xdpml.detect.Detection;
import io.xdpml.detect.SynFloodDetector;
import java.util.List;

/**
 * Detections to firewall measures: what the firewall can do against attacks that source blocks
 * cannot stop.
 *
 * <ul>
 *   <li>amplification (its target: the victim and the reflected service's port, responses come
 *       FROM it): {@code port-drop udp/PORT->VICTIM}. The victim's own exchanges with that service
 *       still pass when conntrack is on (a reply to what the victim asked is decided by conntrack
 *       before any measure; on one NIC conntrack never sees the victim's requests, which is why the
 *       detectors, one way, give a target only with evidence the answers are no host's own:
 *       docs/detectors.md, "amplification").
 *   <li>SYN flood whose report names no sources (spoofed, or too spread to name any; the target:
 *       the victim and its port, 0 when the SYNs went to many ports):
 *       {@code syn-limit tcp->VICTIM:PORT N/s} (port {@code any} for many ports). A flood whose
 *       senders are named is left to the source blocks.
 *   <li>SYN flood whose SYNs carry no TCP options (its target says so; spoofed or not, named
 *       sources or not), when bare-syn-drops are on (the agent's default): first
 *       {@code bare-syn-drop tcp->VICTIM:PORT}, all such SYNs to the port dropped (no TCP stack in
 *       use sends one, so no client loses a SYN to it), then the syn-limit where one is due.
 *   <li>a volumetric report whose bucket was mostly UDP (the target: the victim and the port most of
 *       its UDP went to, 0 when none had most), when a udp-limit is configured (none by default):
 *       {@code udp-limit udp->VICTIM:PORT N/s}. Volumetric names no sources; a flood from one
 *       source that {@code flood} names is blocked as well.
 *   <li>anything else (SYN-ACK reflection, scans, tunnels, volumetric without UDP, anomaly): none.
 * </ul>
 */
public final class Measures {
    private Measures() {}

    /** The measures for {@code d}, expiring {@code settings.duration()} from now on the kernel's clock ({@link System#nanoTime()}). */
    public static List<Measure> forDetection(Detection d, MeasureSettings settings) {
        return forDetection(d, settings, System.nanoTime());
    }

    /** The measures for {@code d}, expiring {@code settings.duration()} after {@code nowNanos} (zero duration: never). */
    public static List<Measure> forDetection(Detection d, MeasureSettings settings, long nowNanos) {
        Detection.Target t = d.target();
        if (t == null) {
            return List.of();
        }
        long expires = settings.duration().isZero() ? 0 : nowNanos + settings.duration().toNanos();
        // amplification (known services) and reflection (any UDP port, by behaviour): drop the reflected port towards the victim
        if ((d.detector().equals(AmplificationDetector.NAME) || d.detector().equals(io.xdpml.detect.ReflectionDetector.NAME))
                && settings.portDrop() && t.sourcePort() != 0
                && (t.protocol() == 17 || t.protocol() == 6)) {
            return List.of(Measure.portDrop(t.protocol(), t.sourcePort(), t.victim(), expires));
        }
        if (d.detector().equals(SynFloodDetector.NAME) && t.protocol() == 6) {
            List<Measure> out = new java.util.ArrayList<>(2);
            if (t.bareSyns() && settings.bareSyns()) { // first: the SYNs it drops never reach the syn-limit
                out.add(Measure.bareSynDrop(t.victim(), t.destinationPort(), expires));
            }
            if (settings.synLimit() && d.sources().isEmpty()) {
                out.add(Measure.synLimit(t.victim(), t.destinationPort(), settings.synPps(), settings.synBurst(), expires));
            }
            return List.copyOf(out);
        }
        if (d.detector().equals(io.xdpml.detect.VolumetricDetector.NAME) && settings.udpPps() > 0 && t.protocol() == 17) {
            return List.of(Measure.udpLimit(t.victim(), t.destinationPort(), settings.udpPps(), settings.udpBurst(), expires));
        }
        return List.of();
    }
}
