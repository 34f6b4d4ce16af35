package io.xdpml.pcap;

/**
 * Classic pcap layout (draft-ietf-opsawg-pcap). All fields are in the byte order told by the magic
 * number.
 *
 * <pre>
 * File header (24 bytes)                 Record header (16 bytes), then captured bytes
 *  0  u32 magic                           0  u32 timestamp seconds (unsigned)
 *  4  u16 version major (2)               4  u32 timestamp fraction (us or ns)
 *  6  u16 version minor (4)               8  u32 captured length
 *  8  i32 thiszone (ignored)             12  u32 original length
 * 12  u32 sigfigs (ignored)
 * 16  u32 snap length
 * 20  u32 link type (low 16 bits); bit 26 set: bits 28-31 are the FCS length in 16-bit words
 * </pre>
 */
final class PcapLayout {
    static final int MAGIC_MICROS = 0xa1b2c3d4;
    static final int MAGIC_NANOS = 0xa1b23c4d;
    static final int MAGIC_MICROS_SWAPPED = 0xd4c3b2a1;
    static final int MAGIC_NANOS_SWAPPED = 0x4d3cb2a1;

    static final int VERSION_MAJOR = 2;
    static final int VERSION_MINOR = 4;

    static final int FILE_HEADER_LENGTH = 24;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_MAJOR_OFFSET = 4;
    static final int VERSION_MINOR_OFFSET = 6;
    static final int THISZONE_OFFSET = 8;
    static final int SIGFIGS_OFFSET = 12;
    static final int SNAPLEN_OFFSET = 16;
    static final int LINKTYPE_OFFSET = 20;
    static final int LINKTYPE_MASK = 0xFFFF;
    /** libpcap's LT_FCS_LENGTH_PRESENT: the upper 4 bits of the link type field give the FCS length. */
    static final int FCS_LENGTH_PRESENT = 0x0400_0000;

    static final int RECORD_HEADER_LENGTH = 16;
    static final int TS_SEC_OFFSET = 0;
    static final int TS_FRAC_OFFSET = 4;
    static final int CAPLEN_OFFSET = 8;
    static final int ORIGLEN_OFFSET = 12;

    /** Largest captured length accepted when the file states no snap length (libpcap's maximum). */
    static final int MAX_SNAPLEN = 262_144;

    private PcapLayout() {}
}
