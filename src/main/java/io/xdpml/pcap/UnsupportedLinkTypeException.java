package io.xdpml.pcap;

/** A link type that {@link EthernetFramer} cannot turn into Ethernet frames. */
public final class UnsupportedLinkTypeException extends IllegalArgumentException {
    private final int linkType;

    public UnsupportedLinkTypeException(int linkType) {
        super("link type " + linkType + " (" + LinkType.name(linkType) + ") cannot be turned into Ethernet frames;"
                + " supported: ETHERNET (1), NULL (0), LOOP (108), RAW (101, 12, 14), IPV4 (228), IPV6 (229),"
                + " LINUX_SLL (113), LINUX_SLL2 (276)");
        this.linkType = linkType;
    }

    /** The link type number that was refused. */
    public int linkType() {
        return linkType;
    }
}
