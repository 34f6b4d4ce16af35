package io.xdpml.fleet;

import java.util.List;

/**
 * The signatures of the fleet detector's alerts (docs/fleet-detector.md): ids 8,800,101 and up,
 * beside the single-host detectors' 8,800,001..8,800,099 (io.xdpml.output.EveSignatures), gid 1.
 */
public final class FleetSignatures {
    /** What an alert says about the rule that fired, and the detector name ({@code xdpml.detector}). */
    public record Signature(String detector, long id, int rev, String text, String category, int severity) {}

    public static final Signature SCAN = new Signature("fleet-scan", 8_800_101, 1,
            "XDPML FLEET SCAN distributed TCP scan (one source probing several hosts)", "Detection of a Network Scan", 3);
    public static final Signature FLOOD = new Signature("fleet-flood", 8_800_102, 1,
            "XDPML FLEET DOS flood spread over many destinations on several hosts", "Attempted Denial of Service", 2);
    public static final Signature FLAGGED = new Signature("fleet-flagged", 8_800_103, 1,
            "XDPML FLEET source flagged by the detectors of several hosts", "Misc Attack", 2);

    private FleetSignatures() {}

    public static List<Signature> all() {
        return List.of(SCAN, FLOOD, FLAGGED);
    }
}
