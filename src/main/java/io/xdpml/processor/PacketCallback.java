package io.xdpml.processor;

/**
 * The user's per-packet code: gets a {@link PacketView} (valid only during the call: the frame is
 * read in place in the AF_XDP memory and goes back to the kernel afterwards) and returns a
 * {@link Verdict}. Called on the processor's receive threads, one per queue: keep state per
 * queue or make it thread-safe. An exception is counted and the packet treated as NORMAL.
 */
@FunctionalInterface
public interface PacketCallback {
    Verdict onPacket(PacketView packet);
}
