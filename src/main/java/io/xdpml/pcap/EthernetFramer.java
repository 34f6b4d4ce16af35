package io.xdpml.pcap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Turns packets of any supported link type into Ethernet frames, since XDP only ever sees those.
 *
 * <ul>
 *   <li>ETHERNET: the packet as it is, not copied.
 *   <li>LINUX_SLL / LINUX_SLL2: the cooked header is replaced by a 14-byte Ethernet header:
 *       destination 00:00:00:00:00:00, source the link-layer address when it is 6 bytes long
 *       (else zeros), EtherType the cooked header's protocol field as is.
 *   <li>RAW (101, 12, 14), IPV4, IPV6: a 14-byte header with zero addresses and EtherType from the
 *       IP version nibble (4: 0x0800, 6: 0x86DD, anything else: 0x0000).
 *   <li>NULL / LOOP: the 4-byte address family becomes the EtherType (2: 0x0800; 10, 24, 28, 30:
 *       0x86DD; anything else: 0x0000). NULL's family is in the capturing host's byte order, so both
 *       orders are accepted; LOOP's is in network byte order.
 * </ul>
 *
 * <p>Synthesized frames are written into a buffer the framer owns and reuses (it only grows, for a
 * packet larger than any before); a frame is valid until the next call. A packet too short for its
 * link header yields {@link #TOO_SHORT} (-1) and an empty {@link #frameSegment()}; framing never
 * throws for packet contents. An unsupported link type throws {@link UnsupportedLinkTypeException}.
 * Not thread-safe.
 */
public final class EthernetFramer {
    /** Returned by {@code frame} for a packet shorter than its link-layer header. */
    public static final int TOO_SHORT = -1;

    /** Ethernet header: destination MAC, source MAC, EtherType. */
    public static final int ETHERNET_HEADER_LENGTH = 14;
    static final int ETH_DST_OFFSET = 0;
    static final int ETH_SRC_OFFSET = 6;
    static final int ETH_TYPE_OFFSET = 12;
    static final int MAC_LENGTH = 6;

    /** Linux cooked v1 header (16 bytes): u16 packet type, u16 ARPHRD, u16 address length, 8 bytes address, u16 protocol. */
    static final int SLL_HEADER_LENGTH = 16;
    static final int SLL_ADDR_LENGTH_OFFSET = 4;
    static final int SLL_ADDR_OFFSET = 6;
    static final int SLL_PROTOCOL_OFFSET = 14;

    /** Linux cooked v2 header (20 bytes): u16 protocol, u16 reserved, u32 ifindex, u16 ARPHRD, u8 packet type, u8 address length, 8 bytes address. */
    static final int SLL2_HEADER_LENGTH = 20;
    static final int SLL2_PROTOCOL_OFFSET = 0;
    static final int SLL2_ADDR_LENGTH_OFFSET = 11;
    static final int SLL2_ADDR_OFFSET = 12;

    /** BSD loopback header: a 4-byte address family. */
    static final int NULL_HEADER_LENGTH = 4;

    static final short ETHERTYPE_IPV4 = 0x0800;
    static final short ETHERTYPE_IPV6 = (short) 0x86DD;

    private static final ValueLayout.OfShort U16 = ByteOrders.SHORT_BE;
    private static final ValueLayout.OfInt U32 = ByteOrders.INT_BE;
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    private final Arena arena = Arena.ofAuto();
    private MemorySegment buffer;
    private MemorySegment frame = EMPTY;
    private int frameLength = TOO_SHORT;

    /** A framer with a buffer for frames up to 64 KiB + header; it grows when needed. */
    public EthernetFramer() {
        this(65_536 + ETHERNET_HEADER_LENGTH);
    }

    /** A framer whose buffer starts at {@code initialCapacity} bytes. */
    public EthernetFramer(int initialCapacity) {
        buffer = arena.allocate(Math.max(initialCapacity, ETHERNET_HEADER_LENGTH));
    }

    /** Whether {@code linkType} can be framed. */
    public static boolean supports(int linkType) {
        return switch (linkType) {
            case LinkType.ETHERNET, LinkType.NULL, LinkType.LOOP, LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14,
                    LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL, LinkType.LINUX_SLL2 -> true;
            default -> false;
        };
    }

    /**
     * Throws unless {@code linkType} can be framed; call it when a capture is opened to fail early.
     *
     * @throws UnsupportedLinkTypeException naming the link type number
     */
    public static void requireSupported(int linkType) {
        if (!supports(linkType)) {
            throw new UnsupportedLinkTypeException(linkType);
        }
    }

    /**
     * Frames the current packet of {@code reader}; see {@link #frame(int, MemorySegment)}.
     *
     * @throws UnsupportedLinkTypeException naming the capture, the packet's offset and the link type
     */
    public int frame(CaptureReader reader) {
        try {
            return frame(reader.linkType(), reader.data());
        } catch (UnsupportedLinkTypeException e) {
            // the bare number does not say which of many captures a run stopped at
            throw new UnsupportedLinkTypeException(reader, e.linkType());
        }
    }

    /**
     * Frames one packet.
     *
     * @param linkType the packet's link type
     * @param packet the captured bytes
     * @return the frame length, or {@link #TOO_SHORT} if the packet is shorter than its link header
     * @throws UnsupportedLinkTypeException if the link type is not supported
     */
    public int frame(int linkType, MemorySegment packet) {
        long n = packet.byteSize();
        return switch (linkType) {
            case LinkType.ETHERNET -> {
                if (n < ETHERNET_HEADER_LENGTH) {
                    yield tooShort();
                }
                frame = packet;
                yield frameLength = (int) n;
            }
            case LinkType.LINUX_SLL -> {
                if (n < SLL_HEADER_LENGTH) {
                    yield tooShort();
                }
                int addressLength = Short.toUnsignedInt(packet.get(U16, SLL_ADDR_LENGTH_OFFSET));
                yield synthesize(packet, SLL_HEADER_LENGTH, packet.get(U16, SLL_PROTOCOL_OFFSET),
                        addressLength == MAC_LENGTH ? SLL_ADDR_OFFSET : -1);
            }
            case LinkType.LINUX_SLL2 -> {
                if (n < SLL2_HEADER_LENGTH) {
                    yield tooShort();
                }
                int addressLength = Byte.toUnsignedInt(packet.get(ValueLayout.JAVA_BYTE, SLL2_ADDR_LENGTH_OFFSET));
                yield synthesize(packet, SLL2_HEADER_LENGTH, packet.get(U16, SLL2_PROTOCOL_OFFSET),
                        addressLength == MAC_LENGTH ? SLL2_ADDR_OFFSET : -1);
            }
            case LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14, LinkType.IPV4, LinkType.IPV6 -> {
                if (n < 1) {
                    yield tooShort();
                }
                int version = Byte.toUnsignedInt(packet.get(ValueLayout.JAVA_BYTE, 0)) >>> 4;
                short etherType = version == 4 ? ETHERTYPE_IPV4 : version == 6 ? ETHERTYPE_IPV6 : 0;
                yield synthesize(packet, 0, etherType, -1);
            }
            case LinkType.NULL, LinkType.LOOP -> {
                if (n < NULL_HEADER_LENGTH) {
                    yield tooShort();
                }
                int family = packet.get(U32, 0);
                if (linkType == LinkType.NULL && (family & 0xFFFF0000) != 0) {
                    family = Integer.reverseBytes(family); // written little-endian by the capturing host
                }
                yield synthesize(packet, NULL_HEADER_LENGTH, etherTypeOfFamily(family), -1);
            }
            default -> throw new UnsupportedLinkTypeException(linkType);
        };
    }

    /** The last frame: the packet itself for Ethernet, else a slice of the framer's buffer; empty after {@link #TOO_SHORT}. */
    public MemorySegment frameSegment() {
        return frame;
    }

    /** The last frame's length, or {@link #TOO_SHORT}. */
    public int frameLength() {
        return frameLength;
    }

    /** EtherType for a BSD address family: AF_INET everywhere is 2; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (Darwin). */
    static short etherTypeOfFamily(int family) {
        return switch (family) {
            case 2 -> ETHERTYPE_IPV4;
            case 10, 24, 28, 30 -> ETHERTYPE_IPV6;
            default -> 0;
        };
    }

    private int tooShort() {
        frame = EMPTY;
        return frameLength = TOO_SHORT;
    }

    /** Writes an Ethernet header and the packet from {@code payloadOffset} on into the buffer. */
    private int synthesize(MemorySegment packet, int payloadOffset, short etherType, long sourceMacOffset) {
        long payload = packet.byteSize() - payloadOffset;
        long length = ETHERNET_HEADER_LENGTH + payload;
        if (length > Integer.MAX_VALUE) {
            return tooShort(); // cannot happen for packets from a capture (< 2^31 bytes)
        }
        if (length > buffer.byteSize()) {
            buffer = arena.allocate(Math.max(length, Math.min(Integer.MAX_VALUE, buffer.byteSize() * 2)));
        }
        MemorySegment b = buffer;
        b.set(U32, ETH_DST_OFFSET, 0);
        b.set(U16, ETH_DST_OFFSET + 4, (short) 0);
        if (sourceMacOffset >= 0) {
            MemorySegment.copy(packet, sourceMacOffset, b, ETH_SRC_OFFSET, MAC_LENGTH);
        } else {
            b.set(U32, ETH_SRC_OFFSET, 0);
            b.set(U16, ETH_SRC_OFFSET + 4, (short) 0);
        }
        b.set(U16, ETH_TYPE_OFFSET, etherType);
        MemorySegment.copy(packet, payloadOffset, b, ETHERNET_HEADER_LENGTH, payload);
        frame = b.asSlice(0, length);
        return frameLength = (int) length;
    }
}
