package io.xdpml.xsk;

import io.xdpml.kernel.KernelException;
import io.xdpml.kernel.Native;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One of a socket's four single-producer/single-consumer rings, shared with the kernel through
 * {@code mmap} of the socket at the ring's page offset. Layout of the mapping (offsets from
 * {@code getsockopt(XDP_MMAP_OFFSETS)}; on kernel 6.x producer@0, consumer@64, flags@128 and the
 * entries from 192, each index on a cache line of its own):
 *
 * <pre>
 *   producer  u32   free-running index of the next entry the producer will write
 *   consumer  u32   free-running index of the next entry the consumer will read
 *   flags     u32   XDP_RING_NEED_WAKEUP: the kernel side needs a syscall to make progress
 *   desc[size]      entries: struct xdp_desc (RX, TX) or a u64 UMEM address (FILL, COMPLETION)
 * </pre>
 *
 * <p>Indexes are u32 and wrap; entry {@code i} lives at {@code desc + (i & (size - 1)) * entrySize}.
 *
 * <p>Memory ordering, as libxdp's {@code xsk.h} and the kernel's {@code xsk_queue.h} pair it:
 * the producer writes entries with plain stores, then publishes them with a <em>release</em>
 * store of the producer index; the consumer reads the producer index with an <em>acquire</em>
 * load, then reads the entries (plain loads, ordered after the acquire). Symmetrically the
 * consumer gives entries back with a release store of the consumer index after it has finished
 * reading them, and the producer learns about free space with an acquire load of it. Each side
 * caches the other side's index and reloads it only when the cache says the ring is empty/full,
 * so a batch costs one acquire and one release.
 */
abstract sealed class XskRing permits XskRing.Producer, XskRing.Consumer {
    /** u32 accessed with acquire/release semantics (plain JAVA_INT: the indexes are 4-aligned). */
    static final VarHandle INDEX = JAVA_INT.varHandle();

    final String name;
    final MemorySegment memory;
    final long mapLength;
    final long producerOffset;
    final long consumerOffset;
    final long flagsOffset;
    final long descOffset;
    final int size;
    final int mask;
    final int entrySize;

    XskRing(String name, int fd, long pgoff, MemorySegment offsets, int base, int size, int entrySize) {
        this.name = name;
        this.size = size;
        this.mask = size - 1;
        this.entrySize = entrySize;
        this.producerOffset = offsets.get(JAVA_LONG, base + XskAbi.RING_OFFSET_PRODUCER);
        this.consumerOffset = offsets.get(JAVA_LONG, base + XskAbi.RING_OFFSET_CONSUMER);
        this.descOffset = offsets.get(JAVA_LONG, base + XskAbi.RING_OFFSET_DESC);
        this.flagsOffset = offsets.get(JAVA_LONG, base + XskAbi.RING_OFFSET_FLAGS);
        this.mapLength = descOffset + (long) size * entrySize;
        MemorySegment p = Native.xskMmap(mapLength, XskAbi.PROT_READ | XskAbi.PROT_WRITE,
                XskAbi.MAP_SHARED | XskAbi.MAP_POPULATE, fd, pgoff);
        if (p.address() == -1L) {
            throw new KernelException("mmap(" + name + " ring, size=" + size + ", offset=0x" + Long.toHexString(pgoff) + ")",
                    Native.errno());
        }
        this.memory = p.reinterpret(mapLength);
    }

    /** Byte offset in {@link #memory} of entry {@code index} (free-running, wrapped here). */
    final long entry(int index) {
        return descOffset + (long) (index & mask) * entrySize;
    }

    /** Whether the kernel asked for a wakeup syscall (XDP_RING_NEED_WAKEUP). */
    final boolean needsWakeup() {
        return ((int) INDEX.getAcquire(memory, flagsOffset) & XskAbi.XDP_RING_NEED_WAKEUP) != 0;
    }

    final int producerIndex() { return (int) INDEX.getAcquire(memory, producerOffset); }

    final int consumerIndex() { return (int) INDEX.getAcquire(memory, consumerOffset); }

    void unmap() {
        Native.xskMunmap(memory, mapLength);
    }

    /** The ring we produce into: FILL and TX. */
    static final class Producer extends XskRing {
        /** Our producer index (published by {@link #submit}). */
        private int producer;
        /** The consumer index last seen, plus the ring size: free = cachedLimit - producer. */
        private int cachedLimit;

        Producer(String name, int fd, long pgoff, MemorySegment offsets, int base, int size, int entrySize) {
            super(name, fd, pgoff, offsets, base, size, entrySize);
            this.producer = producerIndex();
            this.cachedLimit = consumerIndex() + size;
        }

        /** How many entries (up to {@code wanted}) may be written from {@link #next()} on. */
        int free(int wanted) {
            int free = cachedLimit - producer;
            if (free >= wanted) return wanted;
            cachedLimit = consumerIndex() + size; // acquire: the consumer is done with those entries
            free = cachedLimit - producer;
            return Math.min(free, wanted);
        }

        /** The index of the first unpublished entry. */
        int next() { return producer; }

        /** Publishes {@code n} entries written from {@link #next()} on (release store). */
        void submit(int n) {
            producer += n;
            INDEX.setRelease(memory, producerOffset, producer);
        }

        /** Entries published and not yet consumed by the kernel. */
        int outstanding() { return producer - consumerIndex(); }
    }

    /** The ring we consume from: RX and COMPLETION. */
    static final class Consumer extends XskRing {
        /** Our consumer index (published by {@link #release}). */
        private int consumer;
        /** The producer index last seen. */
        private int cachedProducer;

        Consumer(String name, int fd, long pgoff, MemorySegment offsets, int base, int size, int entrySize) {
            super(name, fd, pgoff, offsets, base, size, entrySize);
            this.consumer = consumerIndex();
            this.cachedProducer = producerIndex();
        }

        /** How many entries (up to {@code max}) are ready from {@link #next()} on. */
        int available(int max) {
            int ready = cachedProducer - consumer;
            if (ready == 0) {
                cachedProducer = producerIndex(); // acquire: the entries before it are written
                ready = cachedProducer - consumer;
            }
            return Math.min(ready, max);
        }

        /** The index of the first unread entry. */
        int next() { return consumer; }

        /** Hands {@code n} read entries back to the kernel (release store). */
        void release(int n) {
            consumer += n;
            INDEX.setRelease(memory, consumerOffset, consumer);
        }
    }
}
