package io.xdpml.gen;

import io.xdpml.xsk.XskBindMode;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskSocket;
import java.lang.foreign.MemorySegment;

/**
 * Frames out of an interface through an AF_XDP socket's TX ring (copy mode on veth): each frame is
 * copied into a free UMEM buffer and queued; {@link #flush()} kicks the kernel until the TX ring is
 * empty (in copy mode one kick sends at most 32 frames) and reaps the COMPLETION ring, so buffers
 * come back for the next frames. No XDP program is needed on the sending interface; into a veth
 * pair, the peer gets the frames (in its XDP program when it has one, else in its stack). Opened
 * in the interface's network namespace.
 */
public final class XskSink implements FrameSink {
    /** 2048-byte chunks (a frame is at most 1514), 2048 TX buffers, a token receive side. */
    static final XskConfig CONFIG = new XskConfig(2048, 64, 64, 2048, 2048, 64, XskBindMode.AUTO, true, false);
    private static final long STALL_NANOS = 2_000_000_000L;

    private final XskSocket socket;

    private XskSink(XskSocket socket) {
        this.socket = socket;
    }

    /** A sink on queue 0 of interface {@code ifindex} of the calling thread's namespace. */
    public static XskSink open(int ifindex) {
        return new XskSink(XskSocket.open(ifindex, 0, CONFIG));
    }

    /** The socket (its mode, its kernel statistics). */
    public XskSocket socket() {
        return socket;
    }

    @Override
    public void send(MemorySegment frame, int length, long timeNanos) {
        if (socket.send(frame, 0, length)) {
            return;
        }
        long deadline = 0;
        while (!socket.send(frame, 0, length)) {
            socket.flush();
            socket.completeTx();
            if (deadline == 0) {
                deadline = System.nanoTime() + STALL_NANOS;
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("AF_XDP TX stalled: no buffer came back in 2 s (" + socket + ")");
            }
        }
    }

    @Override
    public void flush() {
        long deadline = 0;
        while (socket.flush() > 0) {
            socket.completeTx();
            if (deadline == 0) {
                deadline = System.nanoTime() + STALL_NANOS;
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("AF_XDP TX stalled: the TX ring did not drain in 2 s (" + socket + ")");
            }
        }
        socket.completeTx();
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public String way() {
        return "xsk (AF_XDP TX, " + socket.modeName() + " mode)";
    }

    /** Waits (up to 2 s) until every queued frame has completed, then closes the socket. */
    @Override
    public void close() {
        try {
            flush();
            long deadline = System.nanoTime() + STALL_NANOS;
            while (socket.txFreeFrames() < CONFIG.txFrames() && System.nanoTime() < deadline) {
                if (socket.completeTx() == 0) {
                    Thread.onSpinWait();
                }
            }
        } finally {
            socket.close();
        }
    }
}
