package io.xdpml.pcap;

/** The container format of a capture file, as told by its magic number. */
public enum CaptureFormat {
    /** Classic pcap, magic 0xa1b2c3d4: microsecond timestamps. */
    PCAP_MICROS,
    /** Classic pcap, magic 0xa1b23c4d: nanosecond timestamps. */
    PCAP_NANOS,
    /** pcapng: section header block 0x0a0d0d0a with byte-order magic 0x1a2b3c4d. */
    PCAPNG
}
