package io.xdpml.pcap;

import static io.xdpml.pcap.PcapLayout.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Classic pcap. Versions 2.0 to 2.2 wrote captured and original length swapped; 2.3 did either
 * (the larger one is taken as the original length), like libpcap reads them.
 */
final class PcapReader extends CaptureReader {
    private static final int LENGTHS_NORMAL = 0;
    private static final int LENGTHS_SWAPPED = 1;
    private static final int LENGTHS_MAYBE_SWAPPED = 2;

    private final ValueLayout.OfInt intLayout;
    private final boolean nanos;
    private final int fileLinkType;
    private final int fileSnapLength;
    /** Bytes of frame check sequence ending every packet on the wire (0: none). */
    private final int fileFcsLength;
    /** Largest captured length accepted: the snap length, or {@link PcapLayout#MAX_SNAPLEN} when none is given. */
    private final long maxCapturedLength;
    private final int lengthOrder;

    PcapReader(MemorySegment file, String name, Arena arena, FileChannel channel, ByteOrder order, boolean nanos)
            throws PcapFormatException {
        super(file, name, arena, channel);
        this.nanos = nanos;
        this.intLayout = ByteOrders.intLayout(order);
        if (size < FILE_HEADER_LENGTH) {
            throw corrupt(0, "file header", "truncated pcap file header: " + size + " of " + FILE_HEADER_LENGTH + " bytes");
        }
        ValueLayout.OfShort shortLayout = ByteOrders.shortLayout(order);
        int major = Short.toUnsignedInt(file.get(shortLayout, VERSION_MAJOR_OFFSET));
        int minor = Short.toUnsignedInt(file.get(shortLayout, VERSION_MINOR_OFFSET));
        if (major != VERSION_MAJOR) {
            throw corrupt(0, "file header", "unsupported pcap version " + major + "." + minor);
        }
        lengthOrder = minor <= 2 ? LENGTHS_SWAPPED : minor == 3 ? LENGTHS_MAYBE_SWAPPED : LENGTHS_NORMAL;
        long snap = Integer.toUnsignedLong(file.get(intLayout, SNAPLEN_OFFSET));
        fileSnapLength = (int) Math.min(snap, Integer.MAX_VALUE);
        maxCapturedLength = snap == 0 || snap > Integer.MAX_VALUE ? MAX_SNAPLEN : snap;
        int linkTypeField = file.get(intLayout, LINKTYPE_OFFSET);
        fileLinkType = linkTypeField & LINKTYPE_MASK;
        fileFcsLength = (linkTypeField & FCS_LENGTH_PRESENT) != 0 ? (linkTypeField >>> 28) * 2 : 0;
        position = FILE_HEADER_LENGTH;
    }

    @Override
    public CaptureFormat format() {
        return nanos ? CaptureFormat.PCAP_NANOS : CaptureFormat.PCAP_MICROS;
    }

    @Override
    boolean advance() throws PcapFormatException {
        long offset = position;
        long remaining = size - offset;
        if (remaining == 0) {
            return false;
        }
        if (remaining < RECORD_HEADER_LENGTH) {
            throw corrupt(offset, "record", "truncated record header: " + remaining + " of " + RECORD_HEADER_LENGTH + " bytes");
        }
        long seconds = Integer.toUnsignedLong(file.get(intLayout, offset + TS_SEC_OFFSET));
        long fraction = Integer.toUnsignedLong(file.get(intLayout, offset + TS_FRAC_OFFSET));
        long caplen = Integer.toUnsignedLong(file.get(intLayout, offset + CAPLEN_OFFSET));
        long origlen = Integer.toUnsignedLong(file.get(intLayout, offset + ORIGLEN_OFFSET));
        if (lengthOrder == LENGTHS_SWAPPED || (lengthOrder == LENGTHS_MAYBE_SWAPPED && caplen > origlen)) {
            long t = caplen;
            caplen = origlen;
            origlen = t;
        }
        if (caplen > maxCapturedLength) {
            throw corrupt(offset, "record", "captured length " + caplen + " exceeds the "
                    + (fileSnapLength == 0 ? "maximum " + MAX_SNAPLEN + " (the file gives no snap length)"
                            : "snap length " + maxCapturedLength));
        }
        long available = remaining - RECORD_HEADER_LENGTH;
        if (caplen > available) {
            throw corrupt(offset, "record", "truncated packet data: captured length " + caplen + " but only "
                    + available + " bytes left in the file");
        }
        // Fractions are not range-checked: fuzzed files have ns fractions above 10^9 and tools still read them.
        timestampNanos = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1_000L);
        capturedLength = (int) (caplen - capturedFcs(caplen, origlen, fileFcsLength));
        originalLength = origlen;
        fcsLength = fileFcsLength;
        linkType = fileLinkType;
        interfaceId = 0;
        snapLength = fileSnapLength;
        recordOffset = offset;
        dataOffset = offset + RECORD_HEADER_LENGTH;
        position = dataOffset + caplen;
        return true;
    }
}
