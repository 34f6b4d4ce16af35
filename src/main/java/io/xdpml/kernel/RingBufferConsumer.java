package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Consumes a {@code BPF_MAP_TYPE_RINGBUF} map in pure Java over mmap (no libbpf, no upcall).
 *
 * <pre>
 * mmap(fd, offset 0, 1 page, RW)                 consumer page: u64 consumer_pos @0
 * mmap(fd, offset page, page + 2 * size, RO)     producer page: u64 producer_pos @0,
 *                                                then the data area mapped twice in a row, so
 *                                                a record crossing the end is contiguous
 * record: u32 len | BUSY (1&lt;&lt;31) | DISCARD (1&lt;&lt;30), u32 pg_off, then len bytes;
 *         the next record starts at round_up(8 + len, 8)
 * </pre>
 * The producer index is read with acquire semantics, each header with acquire, and the consumer
 * index is published with release semantics after each record, as libbpf's ring_buffer__consume
 * does. Records are handed over as slices of the mapping, valid only during the callback. Not
 * thread-safe: one consumer per ring.
 */
public final class RingBufferConsumer implements AutoCloseable {
    /** Receives one committed record (a view valid only during the call). */
    @FunctionalInterface
    public interface Handler {
        /** Called for each committed, non-discarded record, in order. */
        void onRecord(MemorySegment record);
    }

    /**
     * Receives one committed record as an offset into the mapped data area: no slice per record,
     * for hot paths. The bytes are valid only during the call.
     */
    @FunctionalInterface
    public interface InPlaceHandler {
        /** The record is {@code length} bytes at {@code offset} in {@code ring}. */
        void onRecord(MemorySegment ring, long offset, int length);
    }

    /** Records handled between releases of the consumer position: the producer gets space back in steps this small. */
    static final int PUBLISH_EVERY = 64;
    static final int BUSY = 1 << 31;
    static final int DISCARD = 1 << 30;
    static final int HEADER_SIZE = 8;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int EINTR = 4;
    static final short POLLIN = 1;

    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final BpfMap map;
    private final Handler handler;
    private final long pageSize;
    private final long size;
    private final long mask;
    private final MemorySegment consumerPage;
    private final MemorySegment producerPage;
    private final MemorySegment data;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd;
    private boolean closed;

    /** Maps the ring buffer {@code map} (type RINGBUF); {@code handler} gets every record. */
    public RingBufferConsumer(BpfMap map, Handler handler) {
        if (map.type() != MapType.RINGBUF) throw new IllegalArgumentException(map + " is not a RINGBUF");
        this.map = map;
        this.handler = handler;
        this.pageSize = Native.pageSize();
        this.size = Integer.toUnsignedLong(map.maxEntries());
        this.mask = size - 1;
        MemorySegment c = Native.mmap(pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd(), 0);
        if (c.address() == -1L) throw new KernelException("mmap(ringbuf " + map.name() + " consumer page)", Native.errno());
        MemorySegment p = Native.mmap(pageSize + 2 * size, PROT_READ, MAP_SHARED, map.fd(), pageSize);
        if (p.address() == -1L) {
            int err = Native.errno();
            Native.munmap(c, pageSize);
            throw new KernelException("mmap(ringbuf " + map.name() + " producer + data, " + (pageSize + 2 * size) + ")", err);
        }
        // Tie the views to our arena: use after close() throws instead of crashing.
        this.consumerPage = c.reinterpret(pageSize, arena, null);
        this.producerPage = p.reinterpret(pageSize + 2 * size, arena, null);
        this.data = producerPage.asSlice(pageSize, 2 * size);
        this.pollfd = arena.allocate(8, 8);
        pollfd.set(JAVA_INT, 0, map.fd());
        pollfd.set(JAVA_SHORT, 4, POLLIN);
    }

    /** The data area size in bytes (the map's max_entries). */
    public long capacity() { return size; }

    /** Hands every committed record to the handler; returns how many (discarded ones not counted). */
    public int drain() {
        return drain(null);
    }

    /**
     * Hands every committed record to {@code inPlace} (or, when null, to the constructor's handler
     * as a slice); returns how many. The consumer position is published (release) every
     * {@value #PUBLISH_EVERY} records and at the end, also when a handler throws (the record it
     * threw on is not passed: it comes again).
     */
    public int drain(InPlaceHandler inPlace) {
        return drain(inPlace, true);
    }

    /**
     * {@link #drain(InPlaceHandler)} of the records committed when it is called, not of those the
     * producer commits meanwhile: it returns under a flood too (after at most a ring's worth), so
     * that a reader's loop sees its stop flag.
     */
    public int drainCommitted(InPlaceHandler inPlace) {
        return drain(inPlace, false);
    }

    /**
     * {@link #drainCommitted(InPlaceHandler)} of at most {@code maxRecords} records: the rest stay
     * in the ring for the next call. A reader whose handler is slow looks at its stop flag after
     * each such step, not after a ring's worth (a 16 MiB ring holds ~130,000 small records).
     */
    public int drainCommitted(InPlaceHandler inPlace, int maxRecords) {
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be positive, got " + maxRecords);
        return drain(inPlace, false, maxRecords);
    }

    /** {@link #drainCommitted(InPlaceHandler)} to the constructor's handler. */
    public int drainCommitted() {
        return drain(null, false);
    }

    private int drain(InPlaceHandler inPlace, boolean untilCaughtUp) {
        return drain(inPlace, untilCaughtUp, Integer.MAX_VALUE);
    }

    private int drain(InPlaceHandler inPlace, boolean untilCaughtUp, int maxRecords) {
        int count = 0;
        long cons = (long) LONG.getAcquire(consumerPage, 0L);
        long prod = (long) LONG.getAcquire(producerPage, 0L);
        int unpublished = 0;
        try {
            while (cons < prod) {
                while (cons < prod && count < maxRecords) {
                    long off = cons & mask;
                    int hdr = (int) INT.getAcquire(data, off);
                    if ((hdr & BUSY) != 0) {
                        return count;
                    }
                    int len = hdr & ~(BUSY | DISCARD);
                    if ((hdr & DISCARD) == 0) {
                        if (inPlace != null) {
                            inPlace.onRecord(data, off + HEADER_SIZE, len);
                        } else {
                            handler.onRecord(data.asSlice(off + HEADER_SIZE, len));
                        }
                        count++;
                    }
                    // past the record only once it is handled: a handler that throws gets it again next time
                    cons += (len + HEADER_SIZE + 7L) & ~7L;
                    if (++unpublished == PUBLISH_EVERY) {
                        LONG.setRelease(consumerPage, 0L, cons);
                        unpublished = 0;
                    }
                }
                if (!untilCaughtUp || count >= maxRecords) {
                    break;
                }
                prod = (long) LONG.getAcquire(producerPage, 0L);
            }
            return count;
        } finally {
            LONG.setRelease(consumerPage, 0L, cons);
        }
    }

    /**
     * Drains; if nothing was there, blocks in {@code poll()} on the map fd up to
     * {@code timeoutMillis} (-1 forever) and drains again. Returns the number of records handled.
     */
    public int poll(int timeoutMillis) {
        return poll(timeoutMillis, null);
    }

    /**
     * {@link #poll(int)} with records handed to {@code inPlace}; drains what is committed at each
     * look ({@link #drainCommitted}), so that it returns under a flood too.
     */
    public int poll(int timeoutMillis, InPlaceHandler inPlace) {
        return poll(timeoutMillis, inPlace, Integer.MAX_VALUE);
    }

    /**
     * {@link #poll(int, InPlaceHandler)} handling at most {@code maxRecords} records
     * ({@link #drainCommitted(InPlaceHandler, int)}): it returns after that many under a flood.
     */
    public int poll(int timeoutMillis, InPlaceHandler inPlace, int maxRecords) {
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be positive, got " + maxRecords);
        int n = drain(inPlace, false, maxRecords);
        if (n > 0) return n;
        int rc = Native.poll(pollfd, 1, timeoutMillis);
        if (rc < 0 && Native.errno() != EINTR) throw new KernelException("poll(ringbuf " + map.name() + ")", Native.errno());
        return drain(inPlace, false, maxRecords);
    }

    /** Unmaps the ring. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        MemorySegment c = consumerPage, p = producerPage;
        long cs = c.byteSize(), ps = p.byteSize();
        MemorySegment cRaw = MemorySegment.ofAddress(c.address()), pRaw = MemorySegment.ofAddress(p.address());
        arena.close();
        Native.munmap(cRaw, cs);
        Native.munmap(pRaw, ps);
    }
}
