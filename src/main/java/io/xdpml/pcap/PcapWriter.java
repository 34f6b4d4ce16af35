package io.xdpml.pcap;

import static io.xdpml.pcap.PcapLayout.*;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes classic pcap (version 2.4) with micro- or nanosecond timestamps, one link type and snap
 * length, little-endian by default or big-endian on request. Records are gathered in a buffer the
 * writer owns and reuses; {@link #write} allocates nothing (the buffer only grows for a packet larger
 * than any before). Not thread-safe.
 */
public final class PcapWriter implements AutoCloseable {
    /** Snap length used by {@link #open(Path, int)}. */
    public static final int DEFAULT_SNAP_LENGTH = MAX_SNAPLEN;
    private static final int DEFAULT_BUFFER = 1 << 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long MAX_SECONDS = 0xFFFF_FFFFL;

    private final WritableByteChannel channel;
    private final TimestampResolution resolution;
    private final int snapLength;
    private final ValueLayout.OfInt intLayout;
    private byte[] bytes;
    private MemorySegment buffer;
    private ByteBuffer byteBuffer;
    private int used;
    private long packets;
    private boolean closed;
    /** The first write to the channel that failed; the writer then writes nothing more. */
    private IOException failure;

    private PcapWriter(WritableByteChannel channel, int linkType, int snapLength, TimestampResolution resolution,
            ByteOrder order) throws IOException {
        if (snapLength <= 0) {
            throw new IllegalArgumentException("snap length must be positive: " + snapLength);
        }
        if (linkType < 0 || linkType > LINKTYPE_MASK) {
            throw new IllegalArgumentException("link type must be 0..65535: " + linkType);
        }
        this.channel = channel;
        this.resolution = resolution;
        this.snapLength = snapLength;
        this.intLayout = ByteOrders.intLayout(order);
        allocate(DEFAULT_BUFFER);
        ValueLayout.OfShort shortLayout = ByteOrders.shortLayout(order);
        buffer.set(intLayout, MAGIC_OFFSET, resolution.magic);
        buffer.set(shortLayout, VERSION_MAJOR_OFFSET, (short) VERSION_MAJOR);
        buffer.set(shortLayout, VERSION_MINOR_OFFSET, (short) VERSION_MINOR);
        buffer.set(intLayout, THISZONE_OFFSET, 0);
        buffer.set(intLayout, SIGFIGS_OFFSET, 0);
        buffer.set(intLayout, SNAPLEN_OFFSET, snapLength);
        buffer.set(intLayout, LINKTYPE_OFFSET, linkType);
        used = FILE_HEADER_LENGTH;
    }

    /** Creates (or truncates) {@code path}: microsecond, little-endian, snap length {@value #DEFAULT_SNAP_LENGTH}. */
    public static PcapWriter open(Path path, int linkType) throws IOException {
        return open(path, linkType, DEFAULT_SNAP_LENGTH, TimestampResolution.MICROS, ByteOrder.LITTLE_ENDIAN);
    }

    /** Creates (or truncates) {@code path}. */
    public static PcapWriter open(Path path, int linkType, int snapLength, TimestampResolution resolution, ByteOrder order)
            throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            return new PcapWriter(channel, linkType, snapLength, resolution, order);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Writes to {@code channel}, which {@link #close()} closes. */
    public static PcapWriter open(WritableByteChannel channel, int linkType, int snapLength, TimestampResolution resolution,
            ByteOrder order) throws IOException {
        return new PcapWriter(channel, linkType, snapLength, resolution, order);
    }

    /**
     * Appends one record.
     *
     * @param timestampNanos nanoseconds since the epoch, 1970 to 2106 (truncated to microseconds for
     *     {@link TimestampResolution#MICROS})
     * @param data holds at least {@code capturedLength} bytes; the first ones are written
     * @param capturedLength 0 to the snap length
     * @param originalLength the length on the wire, 0 to 2^32-1
     * @throws IllegalArgumentException if a value does not fit the format
     * @throws IOException if the channel failed, now or at an earlier write or flush (the same exception again)
     */
    public void write(long timestampNanos, MemorySegment data, int capturedLength, long originalLength) throws IOException {
        if (closed) {
            throw new IllegalStateException("writer is closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (capturedLength < 0 || capturedLength > snapLength) {
            throw new IllegalArgumentException("captured length " + capturedLength + " outside 0.." + snapLength + " (the snap length)");
        }
        if (capturedLength > data.byteSize()) {
            throw new IllegalArgumentException("captured length " + capturedLength + " exceeds the data's " + data.byteSize() + " bytes");
        }
        if (originalLength < 0 || originalLength > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("original length " + originalLength + " does not fit 32 bits");
        }
        long seconds = Math.floorDiv(timestampNanos, NANOS_PER_SECOND);
        long nanos = Math.floorMod(timestampNanos, NANOS_PER_SECOND);
        if (seconds < 0 || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException("timestamp " + timestampNanos + " ns is outside what pcap holds (1970 to 2106)");
        }
        int recordLength = RECORD_HEADER_LENGTH + capturedLength;
        if (used + recordLength > bytes.length) {
            flush();
            if (recordLength > bytes.length) {
                allocate(Math.max(recordLength, bytes.length * 2));
            }
        }
        MemorySegment b = buffer;
        int at = used;
        b.set(intLayout, at + TS_SEC_OFFSET, (int) seconds);
        b.set(intLayout, at + TS_FRAC_OFFSET, (int) (nanos / resolution.nanosPerUnit));
        b.set(intLayout, at + CAPLEN_OFFSET, capturedLength);
        b.set(intLayout, at + ORIGLEN_OFFSET, (int) originalLength);
        MemorySegment.copy(data, 0, b, at + RECORD_HEADER_LENGTH, capturedLength);
        used = at + recordLength;
        packets++;
    }

    /** Number of records written. */
    public long packetsWritten() {
        return packets;
    }

    /**
     * Writes the buffered records to the channel. If the channel fails (e.g. disk full) part of the
     * buffer may already be out; the writer is then failed: every later {@code flush}, {@code write}
     * and {@code close} throws that first exception again and writes nothing, so the file ends
     * with a cut record (which readers report) rather than a spliced one.
     */
    public void flush() throws IOException {
        if (failure != null) {
            throw failure;
        }
        ByteBuffer bb = byteBuffer.clear().limit(used);
        try {
            while (bb.hasRemaining()) {
                channel.write(bb);
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
        used = 0;
    }

    /** Flushes and closes the channel (closes it also when the flush fails). Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            flush();
        } finally {
            channel.close();
        }
    }

    private void allocate(int capacity) {
        bytes = new byte[capacity];
        buffer = MemorySegment.ofArray(bytes);
        byteBuffer = ByteBuffer.wrap(bytes);
    }
}
