package io.xdpml.detect;

import io.xdpml.util.Salts;
import java.lang.foreign.ValueLayout;

/**
 * Tells a scanner's probes from a service's answers where one way hides the requests: per source,
 * the payload of the last UDP datagram it sent that reads as an answer (from a service port to a
 * client's port: {@link PacketObservation#isServiceAnswer()}, {@link PacketObservation#isToEphemeralPort()}).
 * A datagram whose payload repeats it byte for byte is a probe. A service's answer carries what its
 * request asked it to echo (DNS's ID, RADIUS's authenticator, STUN's transaction ID, memcached's
 * request ID, NTP's origin time, SIP's Via), so two in a row are never the same; a scanner sends one
 * template to every port ({@code nmap -sU} an ONC RPC call of 40 bytes to each port from 32768 up,
 * hping3 and empty probes the same bytes each time).
 *
 * <p>A direct-mapped table of {@value #SLOTS} sources (the source's hash, salted per instance with a random
 * salt since 2026-12-06, picks its slot; another source in the slot takes it over, losing at most a
 * repeat. Before, unsalted: a scanner could send from a second address that lands in its slot
 * between its probes, and its repeats were never seen): bounded, nothing allocated per packet.
 * The payload is compared by a 64-bit hash of its length and first {@value #HASHED} bytes.
 */
final class RepeatedPayloads {
    static final int SLOTS = 4096;
    static final int HASHED = 256;

    private final long[] source = new long[SLOTS];
    private final long[] payload = new long[SLOTS];
    private final boolean[] used = new boolean[SLOTS];
    private final long salt;

    RepeatedPayloads() {
        this(Salts.next());
    }

    RepeatedPayloads(long salt) {
        this.salt = salt;
    }

    /** The slot of a source (for tests). */
    int slot(long sourceKey) {
        return (int) (Addresses.mix(sourceKey ^ salt) & (SLOTS - 1));
    }

    /** Whether {@code p}'s payload is the one its source sent last in a datagram asked about here; it is remembered as that. */
    boolean repeats(PacketObservation p) {
        long src = p.sourceKey();
        long h = hash(p);
        int i = slot(src);
        boolean same = used[i] && source[i] == src && payload[i] == h;
        used[i] = true;
        source[i] = src;
        payload[i] = h;
        return same;
    }

    /** The payload's length as it arrived and its first {@value #HASHED} bytes present, hashed (FNV-1a, then mixed). */
    private static long hash(PacketObservation p) {
        long h = 0xcbf29ce484222325L ^ p.wireLength();
        int n = Math.min(p.payloadLength(), HASHED);
        long at = p.payloadOffset();
        for (int i = 0; i < n; i++) {
            h = (h ^ (p.frame().get(ValueLayout.JAVA_BYTE, at + i) & 0xff)) * 0x100000001b3L;
        }
        return Addresses.mix(h);
    }
}
