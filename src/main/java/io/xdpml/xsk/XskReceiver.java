package io.xdpml.xsk;

import io.xdpml.util.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Several queues on several threads: one {@link XskSocket} per queue, each registered in an
 * {@link XskProgram}'s XSKMAP and drained by a platform thread of its own, optionally pinned to
 * a CPU. Open it in the interface's namespace; the receive threads need no namespace.
 * {@link #close()} stops the threads, takes the sockets out of the map and closes them.
 */
public final class XskReceiver implements AutoCloseable {
    /** How long a receive thread blocks in poll() before checking whether it should stop. */
    static final int POLL_MILLIS = 50;

    private final XskProgram program;
    private final List<XskSocket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running;
    private boolean closed;

    private XskReceiver(XskProgram program) {
        this.program = program;
    }

    /**
     * Opens one socket per queue of {@code ifindex} (calling thread's namespace) and registers
     * each with {@code program}.
     */
    public static XskReceiver open(XskProgram program, int ifindex, int[] queues, XskConfig config) {
        XskReceiver r = new XskReceiver(program);
        try {
            for (int q : queues) {
                XskSocket s = XskSocket.open(ifindex, q, config);
                r.sockets.add(s);
                program.register(s);
            }
        } catch (RuntimeException | Error e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** The sockets, in the order of the queues given. */
    public List<XskSocket> sockets() { return List.copyOf(sockets); }

    /**
     * Starts one thread per socket calling {@code handlers.apply(queue)}'s handler for every
     * frame. {@code cpus[i]} (when {@code cpus} is not null and the entry is >= 0) pins socket
     * i's thread. {@code busyPoll}: spin on the RX ring instead of sleeping in poll().
     */
    public synchronized void start(IntFunction<XskFrameHandler> handlers, int[] cpus, boolean busyPoll) {
        if (running) throw new IllegalStateException("already started");
        if (closed) throw new IllegalStateException("closed");
        running = true;
        for (int i = 0; i < sockets.size(); i++) {
            XskSocket s = sockets.get(i);
            XskFrameHandler h = handlers.apply(s.queue());
            int cpu = cpus != null && i < cpus.length ? cpus[i] : -1;
            Thread t = Thread.ofPlatform().daemon().name("xsk-rx-q" + s.queue()).unstarted(() -> loop(s, h, cpu, busyPoll));
            threads.add(t);
            t.start();
        }
    }

    private void loop(XskSocket s, XskFrameHandler h, int cpu, boolean busyPoll) {
        try {
            if (cpu >= 0) CpuAffinity.pinCurrentThread(cpu);
            int timeout = busyPoll ? 0 : POLL_MILLIS;
            while (running) {
                s.receive(h, timeout);
            }
            // drain what arrived before the stop: at most a ring's worth, so that a flood that goes
            // on (the program still attached) cannot keep the thread, and stop(), from returning
            for (int left = s.config().rxRingSize(), n; left > 0 && (n = s.receive(h)) > 0; ) {
                left -= n;
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    /** Joins every receive thread; an interrupt is kept for the caller, not a reason to leave one running. */
    private void joinAll() {
        Threads.joinAll(threads);
    }

    /** Frames received over all sockets. */
    public long received() {
        long n = 0;
        for (XskSocket s : sockets) n += s.received();
        return n;
    }

    /** The first exception a receive thread died of (a handler's included), or null. */
    public Throwable failure() { return failure.get(); }

    /**
     * Stops and joins the receive threads, an interrupt notwithstanding (kept for the caller): the
     * sockets must not be closed, their rings unmapped, under a thread still receiving. Rethrows a
     * receive thread's failure.
     */
    public synchronized void stop() {
        running = false;
        joinAll();
        threads.clear();
        Throwable f = failure.get();
        if (f != null) throw new IllegalStateException("AF_XDP receive thread failed: " + f, f);
    }

    /** Stops the threads, removes the sockets from the XSKMAP and closes them. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            running = false;
            joinAll();
        } finally {
            for (XskSocket s : sockets) {
                try {
                    program.unregister(s.queue());
                } catch (RuntimeException ignored) {
                    // the program may be closed already: closing the socket removes it anyway
                }
                s.close();
            }
        }
    }
}
