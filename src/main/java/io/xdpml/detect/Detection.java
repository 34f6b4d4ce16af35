package io.xdpml.detect;

import java.net.InetAddress;
import java.util.List;

/**
 * One finding: which detector, about which subject (a source or destination address, a prefix, a
 * flow, ...), when (capture time, ns: the first and last report merged into it), how strongly
 * ({@code score}: the detector's main measure against its threshold, 1.0 = just at it), why (human
 * readable reasons with the numbers), how many reports of the same subject in the same window
 * were merged into it ({@code count}), and the source addresses responsible where the detector can
 * name them ({@code sources}: what closed-loop mitigation blocks; the scanner or tunnelling client
 * itself, a flood's top senders; empty when the sources look spoofed or the detector names none),
 * and, where the detector knows it, what the attack aims at in machine-readable form
 * ({@code target}: the victim, protocol and defining port; what firewall measures are made of;
 * null otherwise).
 */
public record Detection(long timeNanos, long lastNanos, String detector, String subject, double score, List<String> reasons,
        long count, List<String> sources, Target target) {

    /**
     * What an attack aims at: the victim's address, the protocol (6 TCP, 17 UDP), and the port that
     * defines the attack traffic, as a source port (the reflected service of an amplification:
     * responses come FROM it) or as a destination port (a SYN flood's port on the victim); 0 where
     * the attack has no such port or spans many; {@code bareSyns}: a SYN flood whose SYNs carry no TCP
     * options (a packet crafter's: no TCP stack in use sends one), so that all such SYNs to the port can
     * be dropped (since 2026-12-07).
     */
    public record Target(InetAddress victim, int protocol, int sourcePort, int destinationPort, boolean bareSyns) {
        public Target {
            if (victim == null || protocol < 0 || protocol > 255 || sourcePort < 0 || sourcePort > 65535 || destinationPort < 0
                    || destinationPort > 65535 || (bareSyns && protocol != 6)) {
                throw new IllegalArgumentException("bad target " + victim + " " + protocol + " " + sourcePort + " " + destinationPort
                        + (bareSyns ? " bare SYNs" : ""));
            }
        }

        /** Not (only) SYNs without TCP options. */
        public Target(InetAddress victim, int protocol, int sourcePort, int destinationPort) {
            this(victim, protocol, sourcePort, destinationPort, false);
        }

        /** {@code udp 47808->10.10.10.1}, {@code tcp ->10.10.10.10:25565}, {@code tcp ->192.168.50.4:any}. */
        @Override
        public String toString() {
            String p = protocol == 6 ? "tcp" : protocol == 17 ? "udp" : "proto-" + protocol;
            String host = victim.getHostAddress();
            if (!(victim instanceof java.net.Inet4Address)) {
                byte[] b = victim.getAddress();
                long hi = 0;
                long lo = 0;
                for (int i = 0; i < 8; i++) {
                    hi = (hi << 8) | (b[i] & 0xff);
                    lo = (lo << 8) | (b[8 + i] & 0xff);
                }
                host = "[" + Addresses.text(hi, lo) + "]";
            }
            return p + " " + (sourcePort != 0 ? Integer.toString(sourcePort) : "") + "->" + host + ":"
                    + (destinationPort != 0 ? Integer.toString(destinationPort) : "any");
        }
    }

    public Detection {
        reasons = List.copyOf(reasons);
        sources = List.copyOf(sources);
    }

    /** Without a target (the record as it was before targets). */
    public Detection(long timeNanos, long lastNanos, String detector, String subject, double score, List<String> reasons, long count,
            List<String> sources) {
        this(timeNanos, lastNanos, detector, subject, score, reasons, count, sources, null);
    }

    /** This detection with {@code t} as its target. */
    public Detection withTarget(Target t) {
        return new Detection(timeNanos, lastNanos, detector, subject, score, reasons, count, sources, t);
    }

    /** A single report at {@code timeNanos} naming no sources. */
    public static Detection of(long timeNanos, String detector, String subject, double score, List<String> reasons) {
        return of(timeNanos, detector, subject, score, reasons, List.of());
    }

    /** A single report at {@code timeNanos} naming the sources responsible. */
    public static Detection of(long timeNanos, String detector, String subject, double score, List<String> reasons, List<String> sources) {
        return new Detection(timeNanos, timeNanos, detector, subject, score, reasons, 1, sources);
    }

    /** One line: time, detector, subject, score, count and the reasons. */
    public String toLine() {
        return String.format(java.util.Locale.ROOT, "%s %-13s %-40s score=%.1f%s  %s", Detections.timeText(timeNanos), detector, subject,
                score, count > 1 ? " x" + count : "", String.join("; ", reasons));
    }
}
