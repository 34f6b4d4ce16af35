package io.xdpml.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A {@code BPF_F_MMAPABLE} array map mapped into this process (read-write, shared with the
 * kernel): element i is at {@code i * round_up(value_size, 8)}. Programs see stores at once;
 * ordering between stores is the caller's business (see the writers that use this).
 */
public final class MappedArray implements AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;

    private final BpfMap map;
    private final MemorySegment raw;
    private final MemorySegment segment;
    private final long length;
    private boolean closed;

    private MappedArray(BpfMap map, MemorySegment raw, long length) {
        this.map = map;
        this.raw = raw;
        this.length = length;
        this.segment = raw.reinterpret(length);
    }

    /** Maps all of {@code map} (an ARRAY created with BPF_F_MMAPABLE). */
    public static MappedArray map(BpfMap map) {
        if (map.type() != MapType.ARRAY) {
            throw new IllegalArgumentException(map.name() + " is not an array map");
        }
        long page = 4096;
        long bytes = map.elementStride() * map.maxEntries();
        long length = (bytes + page - 1) / page * page;
        MemorySegment p = Native.mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd(), 0);
        if (p.address() == -1L) {
            throw new KernelException("mmap(" + map.name() + ", " + length + " bytes; needs BPF_F_MMAPABLE)", Native.errno());
        }
        return new MappedArray(map, p, length);
    }

    /** The whole mapping. */
    public MemorySegment segment() {
        return segment;
    }

    /** Element {@code index}'s bytes. */
    public MemorySegment element(int index) {
        return segment.asSlice(index * map.elementStride(), map.valueSize());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.munmap(raw, length);
        }
    }
}
