package io.xdpml.oracle;

/**
 * One flow as ndpiReader 4.2 reports it in its CSV output ({@code -C}). See docs/ndpi-oracle.md.
 *
 * <p>{@code src} is the sender of the first packet ndpiReader saw for the flow (not the lower
 * address, not necessarily the TCP SYN sender). Byte counts are whole frame lengths as recorded
 * in the pcap record header ({@code orig_len}, i.e. tshark's {@code frame.len}), Ethernet header
 * included, no CRC. Addresses are in ndpiReader's text form (IPv6 compressed by inet_ntop).
 * ICMP/ICMPv6 and other non-TCP/UDP flows have ports 0. The VLAN id is part of ndpiReader's flow
 * key but is not in its CSV, so it is not here.
 *
 * @param flowId ndpiReader's flow id (creation order, 0-based)
 * @param protocol TCP, UDP, ICMP, ICMPV6 or IP-n for other IP protocol numbers
 * @param ipProtocol the IP protocol number (after IPv6 extension headers)
 * @param appProtocol nDPI's application protocol name (e.g. TLS, DNS, Unknown)
 * @param firstSeenMillis time of the first packet, epoch milliseconds (ndpiReader prints ms)
 * @param lastSeenMillis time of the last packet, epoch milliseconds
 */
public record NdpiFlow(
        int flowId,
        String protocol,
        int ipProtocol,
        String appProtocol,
        String srcAddr,
        int srcPort,
        String dstAddr,
        int dstPort,
        long srcToDstPackets,
        long srcToDstBytes,
        long dstToSrcPackets,
        long dstToSrcBytes,
        long firstSeenMillis,
        long lastSeenMillis) {

    public long packets() {
        return srcToDstPackets + dstToSrcPackets;
    }

    public long bytes() {
        return srcToDstBytes + dstToSrcBytes;
    }

    static String protocolName(int ipProtocol) {
        return switch (ipProtocol) {
            case 1 -> "ICMP";
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 58 -> "ICMPV6";
            default -> "IP-" + ipProtocol;
        };
    }
}
