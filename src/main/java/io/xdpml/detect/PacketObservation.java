package io.xdpml.detect;

import io.xdpml.flow.FlowPacket;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.PayloadEntropy;
import java.lang.foreign.MemorySegment;

/**
 * What a detector sees of one packet: a reusable flyweight that {@link ObservationBuilder} refills
 * for every packet (no allocation per packet). Valid only during the detector call that receives
 * it: keep numbers, never the object or its segments.
 *
 * <p>Addresses are two big-endian 64-bit words each, IPv4 mapped as {@code ::ffff:a.b.c.d}
 * ({@link Addresses}); {@link #sourceKey()} and {@link #destinationKey()} are the 64-bit keys the
 * detectors' tables use.
 */
public final class PacketObservation {
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_ACK = 0x10;
    public static final int TCP_URG = 0x20;

    final ParseSummary summary = new ParseSummary();
    MemorySegment frame;
    int length;
    int wireLength;
    long timeNanos;
    int weight = 1;
    boolean ip;
    int ipVersion;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    long sourceKey;
    long destinationKey;
    int protocol;
    int sourcePort;
    int destinationPort;
    int tcpFlags;
    int tcpSequence;
    int tcpHeaderLength;
    int icmpType = -1;
    int icmpCode = -1;
    int payloadOffset;
    int payloadLength;
    MemorySegment flowState;
    FlowPacket flowPacket;
    long base;
    private final PayloadEntropy entropy = new PayloadEntropy();
    int entropyQ16 = -1; // -1: not computed yet for this packet

    /**
     * How many packets of the traffic this one stands for: 1, or N when it was sampled 1 in N by
     * packet (the agent's sampling stage), or 0 when it was copied besides the sample as its flow's
     * first packet in its direction (then only the detectors of {@link Detectors#DISTINCT} are given it). The detectors that count packets and bytes toward rates
     * and floors ({@link Detectors#WEIGHING}) count it that many times; distinct ports and hosts,
     * and what needs two packets of one conversation (a request answered, a scan's probe answered),
     * do not grow with a weight ({@code synflood} estimates a sampled handshake's completion from
     * the ACKs its victim receives).
     */
    public int weight() {
        return weight;
    }

    /** Capture (or receive) time in nanoseconds. */
    public long timeNanos() {
        return timeNanos;
    }

    /** The frame (Ethernet first), {@link #length()} bytes of it valid. */
    public MemorySegment frame() {
        return frame;
    }

    /** Bytes of the frame valid in {@link #frame()}: the packet, or its first bytes when only they were copied. */
    public int length() {
        return length;
    }

    /**
     * The packet's length as it arrived: what the detectors count as its bytes. {@link #length()},
     * or more when the frame holds only the packet's first bytes (mirror delivery copies at most
     * 1,536; a capture's snap length).
     */
    public int wireLength() {
        return wireLength;
    }

    /** The parser's summary of this packet. */
    public ParseSummary summary() {
        return summary;
    }

    /** Whether the packet has an IP header (the address and protocol fields are valid). */
    public boolean isIp() {
        return ip;
    }

    /** 4 or 6; 0 when not IP. */
    public int ipVersion() {
        return ipVersion;
    }

    public long sourceHi() {
        return srcHi;
    }

    public long sourceLo() {
        return srcLo;
    }

    public long destinationHi() {
        return dstHi;
    }

    public long destinationLo() {
        return dstLo;
    }

    /** {@link Addresses#key} of the source address. */
    public long sourceKey() {
        return sourceKey;
    }

    /** {@link Addresses#key} of the destination address. */
    public long destinationKey() {
        return destinationKey;
    }

    /** IP protocol of the innermost transport header (6 TCP, 17 UDP, ...). */
    public int protocol() {
        return protocol;
    }

    public boolean isTcp() {
        return summary.has(ParseFlags.TCP) && protocol == 6;
    }

    public boolean isUdp() {
        return summary.has(ParseFlags.UDP) && protocol == 17;
    }

    /**
     * A UDP datagram from a well-known port (below 1024) to a port at or above it: a service's answer
     * to a client (DNS, NTP, QUIC on 443), never a scan's probe. Where only one direction is seen (the
     * agent sees what arrives) the client's request is not, and a resolver answering a host's many
     * lookups would otherwise read as a vertical UDP scan of the host's ephemeral ports. (A scan sent
     * from port 53 to ports at or above 1024 is not counted as one either.)
     */
    public boolean isServiceAnswer() {
        return isUdp() && sourcePort < 1024 && destinationPort >= 1024;
    }

    /**
     * Where the ports clients draw for their requests begin: Linux's range is 32768-60999, IANA's
     * (Windows, macOS) 49152-65535. (FreeBSD draws from 10000 up: its clients' ports below 32768
     * are not told apart.)
     */
    public static final int EPHEMERAL_FIRST = 32768;

    /**
     * A UDP datagram from a port below {@link #EPHEMERAL_FIRST} (where services listen: RADIUS 1812,
     * SIP 5060, STUN 3478, Consul DNS 8600, memcached 11211, game servers) to a port at or above it
     * (a client's ephemeral port): what a service sends a client it answers. Where one direction is
     * seen the client's requests are not, and a server answering one host's many requests would read
     * as a vertical scan of that host's ephemeral ports: {@code udpscan} leaves such datagrams out of
     * its vertical rule, {@code slowscan} counts them as answers, not probes.
     */
    public boolean isToEphemeralPort() {
        return isUdp() && sourcePort < EPHEMERAL_FIRST && destinationPort >= EPHEMERAL_FIRST;
    }

    public int sourcePort() {
        return sourcePort;
    }

    public int destinationPort() {
        return destinationPort;
    }

    /** TCP flags byte (0 for other protocols). */
    public int tcpFlags() {
        return tcpFlags;
    }

    /**
     * The TCP sequence number (0 for other protocols): a SYN's is its connection's initial sequence
     * number, the same in its retransmissions, another in a new connection from the same port.
     */
    public int tcpSequence() {
        return tcpSequence;
    }

    /** A TCP SYN without ACK: a connection attempt. */
    public boolean isSyn() {
        return isTcp() && (tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    }

    /**
     * A SYN without ACK whose TCP header carries no options (20 bytes): no TCP stack in use sends one
     * (Linux, Windows, macOS, the BSDs, iOS and Android all send at least an MSS option), while
     * packet crafters (hping3, most flooders, masscan, zmap) do by default.
     */
    public boolean isBareSyn() {
        return isSyn() && tcpHeaderLength == 20;
    }

    /** The TCP header's length in bytes (20 to 60; 0 for other protocols). */
    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    /** A TCP SYN with ACK: the second step of a handshake. */
    public boolean isSynAck() {
        return isTcp() && (tcpFlags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    }

    /** Whether this is ICMP (IPv4) or ICMPv6 with its type and code readable. */
    public boolean isIcmp() {
        return icmpType >= 0;
    }

    /** ICMP or ICMPv6 type; -1 for other packets. */
    public int icmpType() {
        return icmpType;
    }

    /** ICMP or ICMPv6 code; -1 for other packets. */
    public int icmpCode() {
        return icmpCode;
    }

    /** An ICMP echo request (type 8) or ICMPv6 echo request (128). */
    public boolean isEchoRequest() {
        return icmpType >= 0 && icmpType == (protocol == 58 ? 128 : 8);
    }

    /** An ICMP echo reply (type 0) or ICMPv6 echo reply (129). */
    public boolean isEchoReply() {
        return icmpType >= 0 && icmpType == (protocol == 58 ? 129 : 0);
    }

    /** ICMP destination unreachable, port unreachable (3/3) or ICMPv6 (1/4): a closed UDP port's answer. */
    public boolean isPortUnreachable() {
        return icmpType >= 0 && (protocol == 58 ? icmpType == 1 && icmpCode == 4 : icmpType == 3 && icmpCode == 3);
    }

    /** Offset in {@link #frame()} of the TCP/UDP payload; 0 when there is none. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** Bytes of TCP/UDP payload present in the frame. */
    public int payloadLength() {
        return payloadLength;
    }

    /**
     * The Shannon entropy of the payload's first 64 bytes, in bits per byte (0 to 6; 0 without a
     * payload or for one byte repeated): {@link PayloadEntropy}'s definition, the number the XDP
     * program computes ({@code entropy.h}). Its payload is the innermost TCP/UDP payload and ICMP's
     * after 8 bytes, so ICMP counts here though {@link #payloadLength()} is 0 for it. Computed on
     * first use per packet (a pass over at most 64 bytes), nothing allocated.
     */
    public double payloadEntropy() {
        return PayloadEntropy.bits(payloadEntropyQ16());
    }

    /** {@link #payloadEntropy()} in the kernel's fixed point: 1/65536 bits per byte. */
    public int payloadEntropyQ16() {
        if (entropyQ16 < 0) {
            entropyQ16 = entropy.ofPacket(frame, base, length, summary);
        }
        return entropyQ16;
    }

    /** Bytes {@link #payloadEntropy()} was taken over (0 to 64; 0: no payload). */
    public int payloadEntropyBytes() {
        payloadEntropyQ16();
        return entropy.lastBytes();
    }

    /** The flow's state ({@link io.xdpml.flow.FlowLayout}) after this packet, or null when flows are not tracked. */
    public MemorySegment flowState() {
        return flowState;
    }

    /** The flow key and direction of this packet, or null when flows are not tracked. */
    public FlowPacket flowPacket() {
        return flowPacket;
    }

    public String sourceText() {
        return Addresses.text(srcHi, srcLo);
    }

    public String destinationText() {
        return Addresses.text(dstHi, dstLo);
    }
}
