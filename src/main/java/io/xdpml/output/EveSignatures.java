package io.xdpml.output;

import io.xdpml.detect.Detection;

/**
 * The Suricata-style signature of each detector's alerts (docs/outputs.md, "Signatures"): a
 * stable id, revision, text, Suricata classification (category text as Suricata's
 * classification.config writes it) and that classification's priority as the severity (1 highest,
 * 3 lowest). gid is always 1. The ids are in 8,800,001..8,800,099, outside the ranges the public
 * rule sets use (1,000,000-1,999,999 is for an operator's local rules; ET Open uses 2,000,000 to
 * 2,999,999; Suricata's own decoder, stream and app-layer events 2,200,000 to 2,299,999).
 */
public final class EveSignatures {
    /** What an alert says about the rule that fired. */
    public record Signature(long id, int rev, String text, String category, int severity) {}

    public static final int GID = 1;

    static final Signature PORTSCAN = new Signature(8_800_001, 1, "XDPML SCAN TCP port scan", "Detection of a Network Scan", 3);
    static final Signature SYNFLOOD = new Signature(8_800_002, 1, "XDPML DOS TCP SYN flood", "Attempted Denial of Service", 2);
    static final Signature SYNACK_REFLECTION = new Signature(8_800_003, 1,
            "XDPML DOS TCP SYN-ACK reflection (answers to SYNs spoofed with the victim's address)", "Attempted Denial of Service", 2);
    static final Signature AMPLIFICATION = new Signature(8_800_004, 1, "XDPML DOS UDP amplification (reflected responses)",
            "Attempted Denial of Service", 2);
    static final Signature DNSTUNNEL = new Signature(8_800_005, 1, "XDPML POLICY DNS tunnel (data encoded in query names)",
            "Potential Corporate Privacy Violation", 1);
    static final Signature VOLUMETRIC = new Signature(8_800_006, 1, "XDPML DOS volumetric surge to a destination",
            "Potentially Bad Traffic", 2);
    static final Signature ANOMALY = new Signature(8_800_007, 1, "XDPML ANOMALY traffic far above its baseline", "Misc activity", 3);
    static final Signature UDPSCAN = new Signature(8_800_008, 1, "XDPML SCAN UDP port scan", "Detection of a Network Scan", 3);
    static final Signature SWEEP = new Signature(8_800_009, 1, "XDPML SCAN host sweep (ICMP echo, TCP SYN or TCP ACK)",
            "Detection of a Network Scan", 3);
    static final Signature SLOWSCAN = new Signature(8_800_010, 1, "XDPML SCAN slow scan (over a horizon of windows)",
            "Detection of a Network Scan", 3);
    static final Signature REFLECTION = new Signature(8_800_011, 1, "XDPML DOS UDP reflection from any port (unsolicited responses)",
            "Attempted Denial of Service", 2);
    static final Signature FLOOD = new Signature(8_800_012, 1, "XDPML DOS flood from few sources", "Attempted Denial of Service", 2);
    static final Signature CONNFLOOD = new Signature(8_800_013, 1, "XDPML DOS TCP connection flood from one source (HTTP flood)",
            "Attempted Denial of Service", 2);
    static final Signature SLOWCONN = new Signature(8_800_014, 1,
            "XDPML DOS slow HTTP connections held open by one source (slowloris, slow POST, slow read)", "Attempted Denial of Service", 2);
    static final Signature BRUTEFORCE = new Signature(8_800_015, 1,
            "XDPML SCAN repeated new connections to a login service from one source (password guessing)", "Attempted Information Leak", 2);
    static final Signature REQFLOOD = new Signature(8_800_016, 1,
            "XDPML DOS HTTP request flood over kept-alive connections from one source", "Attempted Denial of Service", 2);
    /** A detector this table does not know yet. */
    static final Signature OTHER = new Signature(8_800_099, 1, "XDPML detection", "Misc activity", 3);

    private EveSignatures() {}

    /** The signature of a detection: by its detector; a SYN flood report without target is the reflection report. */
    public static Signature of(Detection d) {
        return switch (d.detector()) {
            case "portscan" -> PORTSCAN;
            case "synflood" -> d.target() == null ? SYNACK_REFLECTION : SYNFLOOD;
            case "amplification" -> AMPLIFICATION;
            case "dnstunnel" -> DNSTUNNEL;
            case "volumetric" -> VOLUMETRIC;
            case "anomaly" -> ANOMALY;
            case "udpscan" -> UDPSCAN;
            case "sweep" -> SWEEP;
            case "slowscan" -> SLOWSCAN;
            case "reflection" -> REFLECTION;
            case "flood" -> FLOOD;
            case "connflood" -> CONNFLOOD;
            case "slowconn" -> SLOWCONN;
            case "bruteforce" -> BRUTEFORCE;
            case "reqflood" -> REQFLOOD;
            default -> new Signature(OTHER.id(), OTHER.rev(), OTHER.text() + " " + d.detector(), OTHER.category(), OTHER.severity());
        };
    }

    /** Every signature the known detectors raise, in id order (for the documentation test). */
    public static java.util.List<Signature> all() {
        return java.util.List.of(PORTSCAN, SYNFLOOD, SYNACK_REFLECTION, AMPLIFICATION, DNSTUNNEL, VOLUMETRIC, ANOMALY, UDPSCAN, SWEEP,
                SLOWSCAN, REFLECTION, FLOOD, CONNFLOOD, SLOWCONN, BRUTEFORCE, REQFLOOD, OTHER);
    }
}
