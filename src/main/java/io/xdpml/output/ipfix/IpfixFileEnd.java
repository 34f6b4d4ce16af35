package io.xdpml.output.ipfix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The end of an IPFIX file (RFC 5655: RFC 7011 messages back to back) that is to be appended to.
 * A run that died while writing (a full disk, a crash in the middle of a write) can leave the last
 * message cut; a message appended after it would then be read as the cut one's rest, and every
 * reader (ipfixDump, nfdump, tshark) stops there, so the appended runs are lost to them. The cut
 * message's own records cannot be read in any case: it is cut off, and what it held is said. The
 * walk also finds where the observation domain's sequence numbers stand, so that an appended run
 * goes on from there (RFC 7011 §3.1: a reader of the file sees one sequence; ipfixDump warns
 * "out of sequence" when a run starts at 0 again).
 *
 * <pre>
 *  0         2         4                      16
 *  | version | length  | export time, sequence, domain | sets ... (length bytes in all)
 * </pre>
 */
final class IpfixFileEnd {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int LENGTH_OFFSET = 2;
    private static final int SEQUENCE_OFFSET = 8;
    private static final int DOMAIN_OFFSET = 12;
    private static final int SET_HEADER = 4;

    /** What the walk found: the bytes cut off the end; the domain's next sequence number (-1: no message of it). */
    record End(long cut, long nextSequence) {}

    private IpfixFileEnd() {}

    /**
     * Walks {@code file}'s messages by their headers and cuts off a last message that ends past the
     * file's end; counts the data records of {@code domain}'s last message by our templates' record
     * sizes (256: IPv4, 257: IPv6) to give the sequence number its next message carries.
     *
     * @throws IOException the file is not IPFIX (a header of another version or a length below a
     *                     header's): appending to it would make neither readable, so it is left as it is
     */
    static End prepareToAppend(Path file, long domain) throws IOException {
        if (!Files.isRegularFile(file)) {
            return new End(0, -1);
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
            long size = c.size();
            if (size == 0) {
                return new End(0, -1);
            }
            MemorySegment m = c.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long at = 0;
            long next = -1;
            while (at + IpfixEncoder.HEADER_SIZE <= size) {
                int version = m.get(U16, at) & 0xffff;
                int length = m.get(U16, at + LENGTH_OFFSET) & 0xffff;
                if (version != IpfixEncoder.VERSION || length < IpfixEncoder.HEADER_SIZE) {
                    throw new IOException(file + " is not an IPFIX file: at byte " + at + " a message header of version " + version
                            + " and length " + length + " (RFC 7011: version 10, at least 16 bytes); it is left as it is: name another file");
                }
                if (at + length > size) {
                    break;
                }
                if ((m.get(U32, at + DOMAIN_OFFSET) & 0xffff_ffffL) == domain) {
                    next = ((m.get(U32, at + SEQUENCE_OFFSET) & 0xffff_ffffL) + dataRecords(m, at, length)) & 0xffff_ffffL;
                }
                at += length;
            }
            if (at < size && size - at >= LENGTH_OFFSET && (m.get(U16, at) & 0xffff) != IpfixEncoder.VERSION) {
                throw new IOException(file + " is not an IPFIX file: its last " + (size - at) + " bytes from byte " + at
                        + " do not begin an IPFIX message (version 10); it is left as it is: name another file");
            }
            long cut = size - at;
            if (cut > 0) {
                c.truncate(at);
            }
            return new End(cut, next);
        }
    }

    /** The data records of the message at {@code at}: its sets of our two templates, by their record sizes. */
    private static long dataRecords(MemorySegment m, long at, int length) {
        long n = 0;
        long set = at + IpfixEncoder.HEADER_SIZE;
        long end = at + length;
        while (set + SET_HEADER <= end) {
            int id = m.get(U16, set) & 0xffff;
            int setLength = m.get(U16, set + LENGTH_OFFSET) & 0xffff;
            if (setLength < SET_HEADER || set + setLength > end) {
                break;
            }
            int size = id == IpfixEncoder.TEMPLATE_V4 ? IpfixEncoder.recordSize(4) : id == IpfixEncoder.TEMPLATE_V6 ? IpfixEncoder.recordSize(6) : 0;
            if (size > 0) {
                n += (setLength - SET_HEADER) / size;
            }
            set += setLength;
        }
        return n;
    }
}
