package io.xdpml.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Passes over a hash map (hash, LRU hash, their per-CPU kinds) with {@code bpf_map_lookup_batch}:
 * keys and values, a batch per system call, into buffers allocated once and reused by every pass.
 *
 * <p>The kernel resumes each batch at a bucket (the batch token is the next bucket's index), not
 * at a key: what is deleted or evicted meanwhile does not disturb the pass, where get_next_key,
 * asked for the key after one that is gone, starts again at the first bucket ({@link
 * BpfMap#forEachKey}). A pass reads each bucket once, whole, under its lock, so it sees a key at
 * most once and ends after the last bucket; what is added meanwhile to a bucket not read yet is
 * seen, to one already read is not. A bucket larger than the buffers makes them grow (to the
 * map's size at most).
 */
public final class BpfMapWalk implements AutoCloseable {
    /** struct bpf_map_batch_opts (24 bytes): sz@0 elem_flags@8 flags@16. */
    private static final int OPTS_SIZE = 24;

    private final BpfMap map;
    private final long valueSize;
    private final Arena tokens = Arena.ofShared();
    private final MemorySegment in;
    private final MemorySegment out;
    private final MemorySegment count;
    private final MemorySegment opts;
    private Arena buffers;
    private MemorySegment keys;
    private MemorySegment values;
    private int capacity;
    private boolean started;
    private boolean ended;

    /** @param batch elements per system call (the buffers' size) */
    public BpfMapWalk(BpfMap map, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch of " + batch + " elements: at least 1");
        }
        if (map.fd() < 0) {
            throw new IllegalStateException("walk of map " + map.name() + ": not loaded (no fd)");
        }
        this.map = map;
        this.valueSize = map.valueBufferSize();
        long token = Math.max(map.keySize(), 8); // the kernel's token for a hash map is a u32 bucket index
        this.in = tokens.allocate(token, 8);
        this.out = tokens.allocate(token, 8);
        this.count = tokens.allocate(JAVA_INT);
        this.opts = tokens.allocate(OPTS_SIZE, 8);
        opts.set(JAVA_LONG, 0, OPTS_SIZE);
        allocate(batch);
    }

    private void allocate(int elements) {
        Arena next = Arena.ofShared();
        keys = next.allocate((long) elements * map.keySize(), 8);
        values = next.allocate(elements * valueSize, 8);
        if (buffers != null) {
            buffers.close();
        }
        buffers = next;
        capacity = elements;
    }

    /** Begins a new pass at the first bucket. */
    public void restart() {
        started = false;
        ended = false;
    }

    /** Whether the pass has read the last bucket. */
    public boolean ended() {
        return ended;
    }

    /**
     * Reads the next buckets, whole: at most {@code limit} elements and the batch size (more than
     * {@code limit}, by less than a bucket, only when the next bucket holds more): returns how many ({@link #key}, {@link #value}
     * until the next call), 0 when the pass has ended.
     */
    public int next(int limit) {
        int ask = Math.max(1, Math.min(limit, capacity));
        while (!ended) {
            count.set(JAVA_INT, 0, ask);
            int rc = Native.mapLookupBatch(map.fd(), started ? in : null, out, keys, values, count, opts);
            int got = count.get(JAVA_INT, 0);
            if (rc == -BpfMap.ENOSPC && got == 0) { // the next bucket holds more than ask
                if (ask < capacity) {
                    ask = Math.min(2 * ask, capacity); // over the limit by less than the bucket
                } else if (capacity < map.maxEntries()) {
                    allocate((int) Math.min(2L * capacity, map.maxEntries()));
                    ask = capacity;
                } else {
                    throw KernelException.of("bpf_map_lookup_batch(map=" + map.name() + ", count=" + ask + ")", rc);
                }
                continue;
            }
            if (rc < 0 && rc != -BpfMap.ENOENT) {
                throw KernelException.of("bpf_map_lookup_batch(map=" + map.name() + ", count=" + ask + ")", rc);
            }
            if (rc == -BpfMap.ENOENT) {
                ended = true; // past the last bucket (got: what the last ones held)
            } else {
                MemorySegment.copy(out, 0, in, 0, in.byteSize());
                started = true;
            }
            if (got > 0) {
                return got;
            }
        }
        return 0;
    }

    /** Key {@code i} of the last batch (the walk's buffer: copy it to keep it). */
    public MemorySegment key(int i) {
        return keys.asSlice((long) i * map.keySize(), map.keySize());
    }

    /** Value {@code i} of the last batch ({@link BpfMap#valueBufferSize()} bytes; the walk's buffer). */
    public MemorySegment value(int i) {
        return values.asSlice(i * valueSize, valueSize);
    }

    @Override
    public void close() {
        buffers.close();
        tokens.close();
    }
}
