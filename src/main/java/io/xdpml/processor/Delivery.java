package io.xdpml.processor;

/**
 * How sampled packets travel from XDP to Java.
 *
 * <ul>
 *   <li>{@link #AF_XDP}: redirected to an AF_XDP socket per queue, zero-copy where the driver can
 *       (else copy): Java reads them in place in the UMEM. The kernel's stack does not get those
 *       packets: for a port that mirrors traffic to this host, or an inline box, or sampling.</li>
 *   <li>{@link #MIRROR}: copied (up to 1536 bytes, with the same metadata) into a BPF ring buffer
 *       and passed on to the stack: the server keeps every packet and Java sees a copy. One copy
 *       per sampled packet in XDP; one Java thread drains the ring for all queues.</li>
 * </ul>
 */
public enum Delivery {
    AF_XDP,
    MIRROR
}
