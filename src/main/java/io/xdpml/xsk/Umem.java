package io.xdpml.xsk;

import io.xdpml.kernel.KernelException;
import io.xdpml.kernel.Native;
import java.lang.foreign.MemorySegment;

/**
 * The packet buffer area shared by a socket and the kernel: {@code frameCount} chunks of
 * {@code frameSize} bytes in one anonymous mapping. Huge pages when asked: reserved 2 MiB pages
 * ({@code MAP_HUGETLB}) when the system has them, else transparent huge pages
 * ({@code madvise(MADV_HUGEPAGE)} on a 2 MiB-aligned area, faulted in afterwards), the reason
 * kept in {@link #hugePageFallback()}. Fewer pages mean fewer TLB misses when every frame of a
 * batch sits on a page of its own. Chunk {@code i} starts at UMEM address
 * {@code i * frameSize}; descriptors carry UMEM addresses, i.e. offsets into {@link #memory()}.
 */
public final class Umem implements AutoCloseable {
    static final long HUGE_PAGE = 2L << 20;

    static final int MADV_HUGEPAGE = 14;

    private final MemorySegment memory;
    /** The whole mapping (larger than {@link #memory} when it was over-allocated for alignment). */
    private final MemorySegment mapping;
    private final int frameSize;
    private final int frameCount;
    private final boolean hugePages;
    private final String hugePageFallback;
    private boolean closed;

    private Umem(MemorySegment mapping, MemorySegment memory, int frameSize, int frameCount, boolean hugePages,
                 String hugePageFallback) {
        this.mapping = mapping;
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
                MemorySegment m = p.reinterpret(hugeLength);
                return new Umem(m, m, frameSize, frameCount, true, null);
            }
            int err = Native.errno();
            fallback = "mmap(MAP_HUGETLB, " + hugeLength + " bytes): " + Native.strerror(err) + " (errno " + err
                    + "); see /proc/sys/vm/nr_hugepages";
            Umem thp = transparentHugePages(hugeLength, frameSize, frameCount, fallback);
            if (thp != null) return thp;
        }
        MemorySegment p = Native.xskMmap(length, XskAbi.PROT_READ | XskAbi.PROT_WRITE,
                XskAbi.MAP_PRIVATE | XskAbi.MAP_ANONYMOUS | XskAbi.MAP_POPULATE, -1, 0);
        if (p.address() == -1L) {
            throw new KernelException("mmap(UMEM, " + length + " bytes)", Native.errno());
        }
        MemorySegment m = p.reinterpret(length);
        return new Umem(m, m, frameSize, frameCount, false, fallback);
    }

    /** A 2 MiB-aligned area advised MADV_HUGEPAGE, faulted in; null when madvise is refused. */
    private static Umem transparentHugePages(long hugeLength, int frameSize, int frameCount, String why) {
        long mapLength = hugeLength + HUGE_PAGE;
        MemorySegment p = Native.xskMmap(mapLength, XskAbi.PROT_READ | XskAbi.PROT_WRITE,
                XskAbi.MAP_PRIVATE | XskAbi.MAP_ANONYMOUS, -1, 0);
        if (p.address() == -1L) return null;
        MemorySegment mapping = p.reinterpret(mapLength);
        long aligned = (p.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
        MemorySegment m = mapping.asSlice(aligned - p.address(), hugeLength);
        if (Native.madvise(m, hugeLength, MADV_HUGEPAGE) != 0) {
            Native.xskMunmap(mapping, mapLength);
            return null;
        }
        m.fill((byte) 0); // fault the pages in now, as huge pages (MAP_POPULATE would have used small ones)
        return new Umem(mapping, m, frameSize, frameCount, true,
                why + "; using transparent huge pages (madvise) instead");
    }

    /** The whole area; UMEM address {@code a} is byte {@code a} of it. */
    public MemorySegment memory() { return memory; }

    /** Bytes per chunk. */
    public int frameSize() { return frameSize; }

    /** Number of chunks. */
    public int frameCount() { return frameCount; }

    /** Whether the area is on huge pages (reserved, or transparent ones advised). */
    public boolean hugePages() { return hugePages; }

    /** Why reserved huge pages were asked for and not used (and what was used instead), or null. */
    public String hugePageFallback() { return hugePageFallback; }

    /** The UMEM address of chunk {@code i}. */
    long chunkAddress(int i) { return (long) i * frameSize; }

    /** Unmaps the area. Idempotent; only after every socket using it is closed. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Native.xskMunmap(mapping, mapping.byteSize());
    }
}
