package io.xdpml.xsk;

/**
 * Called once per received frame by {@link XskSocket#receive}. The frame view is valid only
 * during the call: its buffer goes back to the kernel afterwards. Copy what must outlive it.
 */
@FunctionalInterface
public interface XskFrameHandler {
    void onFrame(XskFrame frame);
}
