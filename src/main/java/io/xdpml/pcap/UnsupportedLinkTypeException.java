package io.xdpml.pcap;

/**
 * A link type that {@link EthernetFramer} cannot turn into Ethernet frames. From
 * {@link EthernetFramer#frame(CaptureReader)} it names the capture, the packet's offset and (pcapng)
 * its interface, so that a run over many files says which one it stopped at.
 */
public final class UnsupportedLinkTypeException extends IllegalArgumentException {
    /** What {@link EthernetFramer#supports} accepts, for the message. */
    static final String SUPPORTED = "supported: ETHERNET (1), NULL (0), LOOP (108), RAW (101, 12, 14), IPV4 (228), IPV6 (229),"
            + " LINUX_SLL (113), LINUX_SLL2 (276)";

    private final int linkType;
    private final String source;

    public UnsupportedLinkTypeException(int linkType) {
        super(what(linkType));
        this.linkType = linkType;
        this.source = null;
    }

    /** The current packet of {@code reader} has the unsupported link type {@code linkType}. */
    UnsupportedLinkTypeException(CaptureReader reader, int linkType) {
        super(reader.name() + ": packet at offset " + reader.recordOffset()
                + (reader.format() == CaptureFormat.PCAPNG ? " (interface " + reader.interfaceId() + ")" : "")
                + ": " + what(linkType));
        this.linkType = linkType;
        this.source = reader.name();
    }

    private static String what(int linkType) {
        return "link type " + linkType + " (" + LinkType.name(linkType) + ") cannot be turned into Ethernet frames; " + SUPPORTED;
    }

    /** The link type number that was refused. */
    public int linkType() {
        return linkType;
    }

    /** The capture's name (its path), or null when the framer was given a bare link type. */
    public String source() {
        return source;
    }
}
