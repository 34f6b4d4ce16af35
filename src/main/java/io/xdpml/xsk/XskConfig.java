package io.xdpml.xsk;

/**
 * Sizes and choices of one AF_XDP socket. Ring sizes are powers of two. The UMEM holds
 * {@code fillRingSize} receive frames (all of them sit in the FILL ring at start, so returning
 * frames never finds it full) and {@code txFrames} transmit frames.
 *
 * @param frameSize    bytes per UMEM chunk: 2048 or 4096
 * @param rxRingSize   RX ring entries
 * @param fillRingSize FILL ring entries = receive frames
 * @param txRingSize   TX ring entries (0: no TX ring and no transmit frames)
 * @param txFrames     transmit frames (at most the TX and COMPLETION ring sizes)
 * @param batchSize    frames handled per {@link XskSocket#receive} call at most
 * @param bindMode     zero-copy preference
 * @param needWakeup   bind with XDP_USE_NEED_WAKEUP (syscalls only when the kernel asks)
 * @param hugePages    try to put the UMEM on 2 MiB huge pages
 */
public record XskConfig(int frameSize, int rxRingSize, int fillRingSize, int txRingSize, int txFrames,
                        int batchSize, XskBindMode bindMode, boolean needWakeup, boolean hugePages) {
    /** 64 frames per receive call, as the issue asks. */
    public static final int DEFAULT_BATCH = 64;

    public XskConfig {
        requirePowerOfTwo("frameSize", frameSize);
        if (frameSize < 2048 || frameSize > 4096) throw new IllegalArgumentException("frameSize must be 2048 or 4096, got " + frameSize);
        requirePowerOfTwo("rxRingSize", rxRingSize);
        requirePowerOfTwo("fillRingSize", fillRingSize);
        if (txRingSize != 0) requirePowerOfTwo("txRingSize", txRingSize);
        if (txFrames < 0 || txFrames > txRingSize) {
            throw new IllegalArgumentException("txFrames must be between 0 and txRingSize (" + txRingSize + "), got " + txFrames);
        }
        if (batchSize < 1 || batchSize > rxRingSize) {
            throw new IllegalArgumentException("batchSize must be between 1 and rxRingSize (" + rxRingSize + "), got " + batchSize);
        }
        if (bindMode == null) throw new IllegalArgumentException("bindMode is null");
    }

    private static void requirePowerOfTwo(String what, int v) {
        if (v <= 0 || Integer.bitCount(v) != 1) throw new IllegalArgumentException(what + " must be a power of two, got " + v);
    }

    /** Receive and transmit: 4096-byte frames, 2048-entry rings, 1024 TX frames, batch 64, AUTO, need_wakeup. */
    public static XskConfig defaults() {
        return new XskConfig(4096, 2048, 2048, 1024, 1024, DEFAULT_BATCH, XskBindMode.AUTO, true, false);
    }

    /** Receive only (no TX ring). */
    public static XskConfig receiveOnly() {
        return defaults().withTx(0, 0);
    }

    public XskConfig withBatchSize(int n) {
        return new XskConfig(frameSize, rxRingSize, fillRingSize, txRingSize, txFrames, n, bindMode, needWakeup, hugePages);
    }

    public XskConfig withBindMode(XskBindMode m) {
        return new XskConfig(frameSize, rxRingSize, fillRingSize, txRingSize, txFrames, batchSize, m, needWakeup, hugePages);
    }

    public XskConfig withNeedWakeup(boolean on) {
        return new XskConfig(frameSize, rxRingSize, fillRingSize, txRingSize, txFrames, batchSize, bindMode, on, hugePages);
    }

    public XskConfig withHugePages(boolean on) {
        return new XskConfig(frameSize, rxRingSize, fillRingSize, txRingSize, txFrames, batchSize, bindMode, needWakeup, on);
    }

    public XskConfig withRings(int rx, int fill) {
        return new XskConfig(frameSize, rx, fill, txRingSize, txFrames, Math.min(batchSize, rx), bindMode, needWakeup, hugePages);
    }

    public XskConfig withTx(int ringSize, int frames) {
        return new XskConfig(frameSize, rxRingSize, fillRingSize, ringSize, frames, batchSize, bindMode, needWakeup, hugePages);
    }

    /** Frames in the UMEM: receive frames first, then transmit frames. */
    int frameCount() { return fillRingSize + txFrames; }
}
