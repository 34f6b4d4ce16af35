package io.xdpml.demo;

import io.xdpml.demo.KindTally.Series;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketRing;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's independent witness of what reached the victim: a packet socket (AF_PACKET, every
 * protocol) bound to the victim's interface inside its namespace, read on a thread of its own. It
 * gets what the interface hands the network stack, so after XDP: what XDP dropped never shows,
 * and a copy to Java lost on its way does not matter to it. It counts each frame's kind (by its
 * IPv4 source) into {@link Series#REACHED} by the demo's second; frames the victim sends (its
 * resets and replies, from its own address) are no kind and not counted.
 *
 * <p>The socket has a receive ring ({@link PacketRing}): the kernel copies each frame's headers
 * into shared memory and lets the packet go. A plain packet socket would keep every packet queued
 * until read, and with it the memory of its sender: an XDP test run (the demo's default way to
 * send) makes a page pool per frame and can only tear it down once its page is back, which slowed
 * the sender to a third when measured.
 */
final class VictimTap implements AutoCloseable {
    /** Bytes of each frame the ring keeps: Ethernet and IPv4 headers, with room. */
    static final int SNAPLEN = 96;
    /** Ring: 128 blocks of 256 KiB (about 1,600 frames each), a block handed over at least every 10 ms. */
    static final int BLOCK_SIZE = 256 << 10;
    static final int BLOCKS = 128;
    static final int RETIRE_MILLIS = 10;
    private final SourceKinds kinds;
    private final KindTally tally;
    private final AtomicLong clock;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Thread thread;
    private volatile Throwable failure;
    private volatile long frames;
    private volatile long drops;

    /**
     * Opens the socket on {@code iface} of {@code ns} and starts reading; returns once it reads.
     *
     * @param clock the demo's start ({@link System#nanoTime()}); frames before it are not counted
     */
    VictimTap(NetworkNamespace ns, String iface, SourceKinds kinds, KindTally tally, AtomicLong clock) throws InterruptedException {
        this.kinds = kinds;
        this.tally = tally;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("xdpml-demo-tap").daemon().start(() -> {
            try {
                ns.callOnThisThread(() -> {
                    read(PacketRing.open(iface, SNAPLEN, BLOCK_SIZE, BLOCKS, RETIRE_MILLIS));
                    return null;
                });
            } catch (Throwable t) {
                failure = t;
            } finally {
                ready.countDown();
            }
        });
        ready.await();
        if (failure != null) {
            throw new IllegalStateException("the tap on " + iface + " failed: " + failure, failure);
        }
    }

    private void read(PacketRing ring) {
        try (ring) {
            ring.statistics(); // from zero
            ready.countDown();
            int seconds = tally.seconds();
            long[] n = {0};
            PacketRing.FrameHandler count = (MemorySegment m, long offset, int captured, int length) -> {
                n[0]++;
                long since = System.nanoTime() - clock.get();
                if (since >= 0) {
                    // what arrives after the last second was on its way in it
                    int second = (int) Math.min(seconds - 1, since / 1_000_000_000L);
                    tally.add(Series.REACHED, kinds.kindOf(Frames.ipv4Source(m, offset, captured)), second);
                }
            };
            while (!stop.get()) {
                ring.poll(count, 50);
                frames = n[0];
            }
            Thread.sleep(2 * RETIRE_MILLIS); // the last block handed over
            ring.poll(count, 0);
            frames = n[0];
            drops = ring.statistics().drops();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Frames read so far (every frame on the interface, the victim's own included). */
    long frames() {
        return frames;
    }

    /** After {@link #close()}: frames the ring had to drop, no block free (then the counts are low by that many). */
    long drops() {
        return drops;
    }

    /** Stops reading (after what the ring holds) and closes the socket. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join();
        if (failure != null) {
            throw new IllegalStateException("the tap failed: " + failure, failure);
        }
    }
}
