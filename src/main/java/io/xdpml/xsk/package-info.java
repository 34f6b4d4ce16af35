/**
 * AF_XDP in Java over raw syscalls and mmap'ed rings: {@link io.xdpml.xsk.XskSocket} (UMEM,
 * FILL/RX/TX/COMPLETION rings, zero-copy with copy fallback, need_wakeup, batch receive, TX),
 * {@link io.xdpml.xsk.XskFrame} and {@link io.xdpml.xsk.XskMetadata} (flyweights over the UMEM),
 * {@link io.xdpml.xsk.XskProgram} (the XDP program that redirects to the XSKMAP, 1-in-N sampling,
 * metadata) and {@link io.xdpml.xsk.XskReceiver} (one socket per queue, one thread each,
 * optional CPU affinity). Design and measurements: docs/xsk.md.
 */
package io.xdpml.xsk;
