package io.xdpml.xsk;

import io.xdpml.kernel.KernelException;
import io.xdpml.kernel.Native;
import java.lang.foreign.MemorySegment;

/**
 * The packet buffer area shared by a socket and the kernel: {@code frameCount} chunks of
 * {@code frameSize} bytes in one anonymous mapping, on 2 MiB huge pages when asked and available
 * (falling back to normal pages, with the reason kept). Chunk {@code i} starts at UMEM address
 * {@code i * frameSize}; descriptors carry UMEM addresses, i.e. offsets into {@link #memory()}.
 */
public final class Umem implements AutoCloseable {
    static final long HUGE_PAGE = 2L << 20;

    private final MemorySegment memory;
    private final int frameSize;
    private final int frameCount;
    private final boolean hugePages;
    private final String hugePageFallback;
    private boolean closed;

    private Umem(MemorySegment memory, int frameSize, int frameCount, boolean hugePages, String hugePageFallback) {
        this.memory = memory;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.hugePages = hugePages;
        this.hugePageFallback = hugePageFallback;
    }

    /** Maps {@code frameCount * frameSize} bytes; {@code frameSize} a power of two, 2048 to page size. */
    static Umem allocate(int frameSize, int frameCount, boolean wantHugePages) {
        long length = (long) frameSize * frameCount;
        String fallback = null;
        if (wantHugePages) {
            long hugeLength = (length + HUGE_PAGE - 1) & -HUGE_PAGE;
            MemorySegment p = Native.xskMmap(hugeLength, XskAbi.PROT_READ | XskAbi.PROT_WRITE,
                    XskAbi.MAP_PRIVATE | XskAbi.MAP_ANONYMOUS | XskAbi.MAP_POPULATE | XskAbi.MAP_HUGETLB, -1, 0);
            if (p.address() != -1L) {
                return new Umem(p.reinterpret(hugeLength), frameSize, frameCount, true, null);
            }
            int err = Native.errno();
            fallback = "mmap(MAP_HUGETLB, " + hugeLength + " bytes): " + Native.strerror(err) + " (errno " + err
                    + "); see /proc/sys/vm/nr_hugepages";
        }
        MemorySegment p = Native.xskMmap(length, XskAbi.PROT_READ | XskAbi.PROT_WRITE,
                XskAbi.MAP_PRIVATE | XskAbi.MAP_ANONYMOUS | XskAbi.MAP_POPULATE, -1, 0);
        if (p.address() == -1L) {
            throw new KernelException("mmap(UMEM, " + length + " bytes)", Native.errno());
        }
        return new Umem(p.reinterpret(length), frameSize, frameCount, false, fallback);
    }

    /** The whole area; UMEM address {@code a} is byte {@code a} of it. */
    public MemorySegment memory() { return memory; }

    /** Bytes per chunk. */
    public int frameSize() { return frameSize; }

    /** Number of chunks. */
    public int frameCount() { return frameCount; }

    /** Whether the area is on huge pages. */
    public boolean hugePages() { return hugePages; }

    /** Why huge pages were asked for and not used, or null. */
    public String hugePageFallback() { return hugePageFallback; }

    /** The UMEM address of chunk {@code i}. */
    long chunkAddress(int i) { return (long) i * frameSize; }

    /** Unmaps the area. Idempotent; only after every socket using it is closed. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Native.xskMunmap(memory, memory.byteSize());
    }
}
