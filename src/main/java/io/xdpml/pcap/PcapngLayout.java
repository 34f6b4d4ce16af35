package io.xdpml.pcap;

/**
 * pcapng layout (draft-ietf-opsawg-pcapng). Every block is
 * {@code u32 type, u32 total length, body, u32 total length}; lengths are multiples of 4 and count
 * the whole block. All fields are in the byte order of the enclosing section.
 *
 * <pre>
 * Section Header Block (type 0x0a0d0d0a, >= 28 bytes)   Interface Description Block (type 1, >= 20)
 *  8 u32 byte-order magic 0x1a2b3c4d                     8 u16 link type
 * 12 u16 major version (1)                              10 u16 reserved
 * 14 u16 minor version                                  12 u32 snap length (0: unlimited)
 * 16 i64 section length (ignored)                       16 options
 * 24 options
 *
 * Enhanced Packet Block (type 6, >= 32)                  Simple Packet Block (type 3, >= 16)
 *  8 u32 interface id                                    8 u32 original length
 * 12 u32 timestamp high                                 12 data (min(original length, snaplen of
 * 16 u32 timestamp low                                     interface 0) bytes), padded to 4
 * 20 u32 captured length
 * 24 u32 original length                                Packet Block (obsolete, type 2, >= 32)
 * 28 data, padded to 4; options                          8 u16 interface id, 10 u16 drops count,
 *                                                       12.. as in the Enhanced Packet Block
 * Option: u16 code, u16 length, value padded to 4; code 0 ends the list.
 * </pre>
 */
final class PcapngLayout {
    static final int SHB_TYPE = 0x0A0D0D0A;
    static final int IDB_TYPE = 1;
    static final int PB_TYPE = 2;
    static final int SPB_TYPE = 3;
    static final int EPB_TYPE = 6;

    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    static final int BLOCK_TYPE_OFFSET = 0;
    static final int BLOCK_LENGTH_OFFSET = 4;
    static final int BLOCK_BODY_OFFSET = 8;
    /** type + leading length + trailing length. */
    static final int BLOCK_OVERHEAD = 12;

    static final int SHB_BYTE_ORDER_OFFSET = 8;
    static final int SHB_MAJOR_OFFSET = 12;
    static final int SHB_MINOR_OFFSET = 14;
    static final int SHB_MIN_LENGTH = 28;
    static final int SHB_MAJOR_VERSION = 1;

    static final int IDB_LINKTYPE_OFFSET = 8;
    static final int IDB_SNAPLEN_OFFSET = 12;
    static final int IDB_OPTIONS_OFFSET = 16;
    static final int IDB_MIN_LENGTH = 20;

    static final int EPB_INTERFACE_OFFSET = 8;
    static final int EPB_TS_HIGH_OFFSET = 12;
    static final int EPB_TS_LOW_OFFSET = 16;
    static final int EPB_CAPLEN_OFFSET = 20;
    static final int EPB_ORIGLEN_OFFSET = 24;
    static final int EPB_DATA_OFFSET = 28;
    static final int EPB_MIN_LENGTH = 32;

    static final int PB_INTERFACE_OFFSET = 8;
    static final int PB_MIN_LENGTH = 32;

    static final int SPB_ORIGLEN_OFFSET = 8;
    static final int SPB_DATA_OFFSET = 12;
    static final int SPB_MIN_LENGTH = 16;

    static final int OPTION_HEADER_LENGTH = 4;
    static final int OPT_ENDOFOPT = 0;
    static final int IF_TSRESOL = 9;
    /** if_fcslen: u8, the length of the FCS ending every packet of the interface; see {@link #fcsBytes}. */
    static final int IF_FCSLEN = 13;
    static final int IF_TSOFFSET = 14;
    /** Default if_tsresol: 10^-6 s. */
    static final int DEFAULT_TSRESOL = 6;

    private PcapngLayout() {}

    /**
     * The FCS length in bytes an if_fcslen value means. The spec's text (every draft up to
     * draft-ietf-opsawg-pcapng as of 2026) says bits, but its example is '4', an Ethernet FCS in
     * bytes, and the question is open (IETF-OPSAWG-WG/draft-ietf-opsawg-pcap issue #60). Wireshark's
     * reader (wiretap/pcapng.c) keeps it in bits, converting the EPB flags' octets and the pcap
     * header's 16-bit words to bits to match, so a multiple of 8 is read as bits, as Wireshark does.
     * Any other value cannot be a whole number of bytes in bits and is taken as bytes, the example's
     * reading, rather than refusing the file.
     */
    static int fcsBytes(int ifFcslen) {
        return ifFcslen % 8 == 0 ? ifFcslen / 8 : ifFcslen;
    }

    static String blockName(int type) {
        return switch (type) {
            case SHB_TYPE -> "section header block";
            case IDB_TYPE -> "interface description block";
            case PB_TYPE -> "packet block";
            case SPB_TYPE -> "simple packet block";
            case EPB_TYPE -> "enhanced packet block";
            default -> "block of type 0x" + Integer.toHexString(type);
        };
    }
}
