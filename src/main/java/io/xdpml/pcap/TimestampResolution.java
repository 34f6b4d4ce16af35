package io.xdpml.pcap;

/** Timestamp resolution of a classic pcap file written by {@link PcapWriter}. */
public enum TimestampResolution {
    /** Magic 0xa1b2c3d4; the fraction field counts microseconds. */
    MICROS(PcapLayout.MAGIC_MICROS, 1_000),
    /** Magic 0xa1b23c4d; the fraction field counts nanoseconds. */
    NANOS(PcapLayout.MAGIC_NANOS, 1);

    final int magic;
    final int nanosPerUnit;

    TimestampResolution(int magic, int nanosPerUnit) {
        this.magic = magic;
        this.nanosPerUnit = nanosPerUnit;
    }

    /** Nanoseconds per unit of the fraction field: 1000 for {@link #MICROS}, 1 for {@link #NANOS}. */
    public int nanosPerUnit() {
        return nanosPerUnit;
    }
}
