package io.xdpml.vxlan;

import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskSocket;
import io.xdpml.xsk.XskStatistics;

/**
 * Guaranteed egress: the packets the gateway program sent to its XSKMAP (checked, NAT-rewritten
 * and decapsulated in XDP already) are received on an AF_XDP socket on the ingress queue and
 * sent unchanged out of an AF_XDP TX socket on the egress interface. Java only forwards. Not
 * thread-safe: one thread calls {@link #poll}.
 */
public final class XskEgress implements AutoCloseable {
    private final XskSocket rx;
    private final XskSocket tx;
    private long forwarded;
    private long dropped;

    private XskEgress(XskSocket rx, XskSocket tx) {
        this.rx = rx;
        this.tx = tx;
    }

    /** Opens both sockets and registers the receiving one in the program's XSKMAP for its queue. */
    public static XskEgress open(VxlanProgram program, int ingressIfindex, int queue, int egressIfindex) {
        XskSocket rx = XskSocket.open(ingressIfindex, queue, XskConfig.receiveOnly());
        try {
            XskSocket tx = XskSocket.open(egressIfindex, 0, XskConfig.defaults());
            program.setXsk(queue, rx.fd());
            return new XskEgress(rx, tx);
        } catch (RuntimeException e) {
            rx.close();
            throw e;
        }
    }

    /** Forwards what is ready, waiting up to timeoutMillis when nothing is; returns frames handled. */
    public int poll(int timeoutMillis) {
        tx.completeTx();
        int n = rx.receive(frame -> {
            if (tx.send(frame.umem(), frame.offset(), frame.length())) {
                forwarded++;
            } else {
                dropped++; // TX full: the egress cannot keep up
            }
        }, timeoutMillis);
        tx.flush();
        return n;
    }

    /** Frames sent out of the egress. */
    public long forwarded() { return forwarded; }

    /** Frames dropped because the TX ring had no room. */
    public long dropped() { return dropped; }

    /**
     * Frames the program handed to the receiving socket (to_xsk) that the kernel could not put in
     * its RX ring, after the program had returned: XDP_STATISTICS rx_dropped (no FILL buffer, a frame
     * too long) + rx_ring_full. Safe to call from another thread than {@link #poll}'s.
     */
    public long receiveLost() {
        XskStatistics st = rx.statistics();
        return st.rxDropped() + st.rxRingFull();
    }

    /** Call after the program is detached from the ingress. */
    @Override
    public void close() {
        rx.close();
        tx.close();
    }
}
