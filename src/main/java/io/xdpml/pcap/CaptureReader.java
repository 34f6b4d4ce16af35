package io.xdpml.pcap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A cursor over the packets of a pcap or pcapng capture, told apart by magic number only (never by
 * file name).
 *
 * <p>The file is mapped read-only; packets are never copied and {@link #next()} allocates nothing.
 * The accessors describe the current packet, the one the last successful {@code next()} moved to:
 *
 * <pre>{@code
 * try (CaptureReader r = CaptureReader.open(path)) {
 *     while (r.next()) {
 *         process(r.timestampNanos(), r.linkType(), r.data());
 *     }
 * }
 * }</pre>
 *
 * <p>Errors: a truncated or corrupt file yields every good packet before the damage; then
 * {@code next()} throws {@link PcapFormatException} naming the byte offset of the damaged record or
 * block and the reason, and keeps throwing that same exception on every later call. A file that is
 * not a capture at all, or whose file header / first section header is damaged, fails in
 * {@code open}. No other exception type comes out of a damaged file.
 *
 * <p>A file that shrinks while it is mapped (another process truncates it: a capture rotated by
 * copy-and-truncate, say) makes reads of the lost pages fault; the JVM reports that as an
 * {@link InternalError}, at the read or somewhat later (as {@code MappedByteBuffer} documents).
 * {@code next()} turns it into a {@link PcapFormatException} ("the file shrank while being read");
 * a caller that reads {@link #data()} catches {@code InternalError} around its loop and hands it to
 * {@link #shrinkDamage(InternalError)}. The file's size is looked at only then, never per packet.
 *
 * <p>Not thread-safe: one thread at a time. {@link #close()} unmaps the file; slices returned by
 * {@link #data()} must not be used after it.
 */
public abstract sealed class CaptureReader implements AutoCloseable permits PcapReader, PcapngReader {
    /** The whole capture. */
    final MemorySegment file;
    final long size;
    final String name;
    private final Arena arena;
    /** The mapped file's channel, kept open to look at its size when a read faults; null for a capture in memory. */
    private final FileChannel channel;

    /** Offset of the next unread byte. */
    long position;

    // The current packet.
    long timestampNanos;
    int capturedLength;
    long originalLength;
    int fcsLength;
    int linkType;
    int interfaceId;
    int snapLength;
    long dataOffset;
    long recordOffset = -1;
    private long packetIndex = -1;
    private boolean onPacket;
    private MemorySegment dataSlice;

    private PcapFormatException failure;
    private boolean closed;

    CaptureReader(MemorySegment file, String name, Arena arena, FileChannel channel) {
        this.file = file.isReadOnly() ? file : file.asReadOnly();
        this.size = file.byteSize();
        this.name = name;
        this.arena = arena;
        this.channel = channel;
    }

    /**
     * Maps {@code path} read-only and opens it as pcap or pcapng, whatever its name says.
     *
     * @throws PcapFormatException if the file is not a capture (the message tells the magic number
     *     found) or its file header or first section header is damaged, or the file shrank while
     *     its header was read
     * @throws IOException if the file cannot be opened or mapped
     */
    public static CaptureReader open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        Arena arena = Arena.ofShared();
        long mapped = 0;
        try {
            mapped = channel.size();
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, mapped, arena);
            return create(file, path.toString(), arena, channel);
        } catch (IOException | RuntimeException | Error e) {
            // a fault, or a header read as garbage by a faulted read, while the file shrank (see next())
            String shrank = e instanceof InternalError || e instanceof PcapFormatException ? shrinkReason(channel, mapped) : null;
            release(arena, channel);
            if (shrank != null) {
                throw (PcapFormatException) new PcapFormatException(path.toString(), 0, "file header", shrank).initCause(e);
            }
            throw e;
        }
    }

    private static void release(Arena arena, FileChannel channel) {
        arena.close();
        try {
            channel.close();
        } catch (IOException e) {
            // a read-only channel: nothing written, nothing to lose
        }
    }

    /**
     * Opens a capture held in memory. The caller keeps ownership of {@code capture}: closing the
     * reader does not free it, and it must stay alive while the reader is used.
     *
     * @param name used in error messages
     * @throws PcapFormatException as {@link #open(Path)}
     */
    public static CaptureReader open(MemorySegment capture, String name) throws PcapFormatException {
        return create(capture, name, null, null);
    }

    private static CaptureReader create(MemorySegment file, String name, Arena arena, FileChannel channel)
            throws PcapFormatException {
        if (file.byteSize() < 4) {
            throw new PcapFormatException(name, 0, "file header",
                    "file is " + file.byteSize() + " bytes long, too short for a magic number");
        }
        int magic = file.get(ByteOrders.INT_BE, 0);
        return switch (magic) {
            case PcapLayout.MAGIC_MICROS -> new PcapReader(file, name, arena, channel, ByteOrder.BIG_ENDIAN, false);
            case PcapLayout.MAGIC_MICROS_SWAPPED -> new PcapReader(file, name, arena, channel, ByteOrder.LITTLE_ENDIAN, false);
            case PcapLayout.MAGIC_NANOS -> new PcapReader(file, name, arena, channel, ByteOrder.BIG_ENDIAN, true);
            case PcapLayout.MAGIC_NANOS_SWAPPED -> new PcapReader(file, name, arena, channel, ByteOrder.LITTLE_ENDIAN, true);
            case PcapngLayout.SHB_TYPE -> new PcapngReader(file, name, arena, channel);
            default -> throw new PcapFormatException(name, 0, "file header", String.format(
                    "unknown magic number %02x %02x %02x %02x: neither pcap (a1b2c3d4, a1b23c4d, either byte order)"
                            + " nor pcapng (0a0d0d0a)",
                    magic >>> 24, (magic >>> 16) & 0xff, (magic >>> 8) & 0xff, magic & 0xff));
        };
    }

    /**
     * Moves to the next packet.
     *
     * @return {@code false} at a clean end of file (the last record ends exactly at the end)
     * @throws PcapFormatException if the next record or block is truncated or corrupt
     * @throws IllegalStateException if the reader is closed
     */
    public final boolean next() throws PcapFormatException {
        if (closed) {
            throw new IllegalStateException(name + ": reader is closed");
        }
        if (failure != null) {
            throw failure;
        }
        onPacket = false;
        dataSlice = null;
        long at = position;
        boolean found;
        try {
            found = advance();
        } catch (PcapFormatException e) {
            // A faulted read returns garbage before its error surfaces: if the file shrank, that is the cause.
            PcapFormatException shrank = shrunkAt(at, e);
            failure = shrank != null ? shrank : e;
            throw failure;
        } catch (InternalError e) {
            PcapFormatException shrank = shrunkAt(at, e);
            if (shrank == null) {
                throw e;
            }
            failure = shrank;
            throw shrank;
        }
        if (found) {
            onPacket = true;
            packetIndex++;
        }
        return found;
    }

    /** Reads the next packet's header into the fields; {@code false} at a clean end of file. */
    abstract boolean advance() throws PcapFormatException;

    /** The container format. */
    public abstract CaptureFormat format();

    /** Timestamp of the current packet in nanoseconds since the Unix epoch (0 for a pcapng simple packet block, which carries none). */
    public final long timestampNanos() {
        requirePacket();
        return timestampNanos;
    }

    /**
     * Number of bytes of the packet present in the file ({@code data().byteSize()}), without the
     * frame check sequence the file may say ends every packet (see {@link #fcsLength()}).
     */
    public final int capturedLength() {
        requirePacket();
        return capturedLength;
    }

    /** Length of the packet on the wire (unsigned 32-bit value; may be smaller than the captured length if the file says so). */
    public final long originalLength() {
        requirePacket();
        return originalLength;
    }

    /**
     * Length in bytes of the frame check sequence that ends the current packet on the wire, as the
     * pcap header's link type field tells (libpcap's FCS bits: bit 26 set, bits 28-31 the length in
     * 16-bit words) or the pcapng interface's if_fcslen option (read as Wireshark reads it, see
     * {@code PcapngLayout.fcsBytes}); 0 if none or not told. The captured FCS bytes are left out of
     * {@link #data()} and {@link #capturedLength()}; {@link #originalLength()} includes it.
     */
    public final int fcsLength() {
        requirePacket();
        return fcsLength;
    }

    /** Link type of the current packet: the file's (pcap) or its interface's (pcapng); see {@link LinkType}. */
    public final int linkType() {
        requirePacket();
        return linkType;
    }

    /** Interface id of the current packet within its pcapng section; always 0 for pcap. */
    public final int interfaceId() {
        requirePacket();
        return interfaceId;
    }

    /** Snap length of the current packet's file (pcap) or interface (pcapng); 0 means none given. Values above {@code Integer.MAX_VALUE} are clamped. */
    public final int snapLength() {
        requirePacket();
        return snapLength;
    }

    /**
     * The captured bytes of the current packet: a read-only slice of the mapped file, no copy,
     * valid until the next {@link #next()} or {@link #close()}. The slice object is made once per
     * packet, on the first call; use {@link #file()} and {@link #dataOffset()} for strictly
     * allocation-free access.
     */
    public final MemorySegment data() {
        requirePacket();
        MemorySegment slice = dataSlice;
        if (slice == null) {
            slice = file.asSlice(dataOffset, capturedLength);
            dataSlice = slice;
        }
        return slice;
    }

    /** Byte offset of the current packet's data in {@link #file()}. */
    public final long dataOffset() {
        requirePacket();
        return dataOffset;
    }

    /** Byte offset of the current packet's record (pcap) or block (pcapng) in the file. */
    public final long recordOffset() {
        requirePacket();
        return recordOffset;
    }

    /** 0-based index of the current packet in the file. */
    public final long packetIndex() {
        requirePacket();
        return packetIndex;
    }

    /** The whole mapped capture (read-only). */
    public final MemorySegment file() {
        return file;
    }

    /** The name used in error messages (the path for {@link #open(Path)}). */
    public final String name() {
        return name;
    }

    /**
     * What a caller makes of an {@link InternalError} caught around its loop over this reader (see
     * the class comment): the damage, "the file shrank while being read", at the current packet's
     * record or block (or the next unread byte), which {@code next()} then keeps throwing.
     *
     * @throws InternalError {@code fault} itself when the file did not shrink (or is not a mapped
     *     file): then the fault is not the capture's doing and is not hidden as damage
     */
    public final PcapFormatException shrinkDamage(InternalError fault) {
        PcapFormatException shrank = shrunkAt(onPacket ? recordOffset : position, fault);
        if (shrank == null) {
            throw fault;
        }
        failure = shrank;
        onPacket = false;
        dataSlice = null;
        return shrank;
    }

    /** The damage at {@code offset} if the file is now shorter than it was mapped, else null. One fstat, on error paths only. */
    private PcapFormatException shrunkAt(long offset, Throwable fault) {
        String reason = shrinkReason(channel, size);
        if (reason == null) {
            return null;
        }
        PcapFormatException e = new PcapFormatException(name, offset, format() == CaptureFormat.PCAPNG ? "block" : "record", reason);
        e.initCause(fault);
        return e;
    }

    private static String shrinkReason(FileChannel channel, long mappedSize) {
        if (channel == null) {
            return null;
        }
        try {
            long now = channel.size(); // the open file's own size: a file renamed over the path does not count
            return now < mappedSize
                    ? "the file shrank while being read: it is " + now + " bytes now, it was " + mappedSize + " when opened"
                    : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Unmaps the file (if this reader mapped it). Idempotent. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            onPacket = false;
            dataSlice = null;
            if (arena != null) {
                release(arena, channel);
            }
        }
    }

    private void requirePacket() {
        if (!onPacket) {
            throw new IllegalStateException(name + (closed ? ": reader is closed" : ": no current packet; call next() first"));
        }
    }

    /**
     * How many of the captured bytes are frame check sequence: the FCS ends the packet on the wire,
     * so the captured bytes hold as much of it as the snap length left.
     */
    static long capturedFcs(long caplen, long origlen, int fcsLength) {
        return Math.min(caplen, Math.max(0, fcsLength - Math.max(0, origlen - caplen)));
    }

    final PcapFormatException corrupt(long offset, String what, String reason) {
        return new PcapFormatException(name, offset, what, reason);
    }
}
