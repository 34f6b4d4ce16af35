package io.xdpml.gen;

/**
 * The TCP/IP stack of a benign client, as real ones send (docs/gen.md, "The benign clients'
 * stacks"): its initial TTL, the SYN's window and options, the window it announces once
 * established (scaled by its window-scale shift) and whether every segment carries timestamps.
 * The layouts are those of the benign captures the models were trained on (Linux 74-byte SYNs
 * with timestamps, macOS 78, Windows without timestamps) in their current versions' values.
 */
enum ClientStack {
    /** Linux 5/6: MSS, SACK permitted, timestamps, NOP, window scale 7; 74-byte SYN. */
    LINUX(64, 64240, 502, true, 20),
    /** Windows 10/11: MSS, NOP, window scale 8, NOP, NOP, SACK permitted; no timestamps; 66-byte SYN. */
    WINDOWS(128, 64240, 1026, false, 12),
    /** macOS: MSS, NOP, window scale 6, NOP, NOP, timestamps, SACK permitted, EOL; 78-byte SYN. */
    MACOS(64, 65535, 2058, true, 24);

    /** Bytes of options on every segment after the SYN of a stack with timestamps: NOP, NOP, TS. */
    static final int TIMESTAMP_OPTION_BYTES = 12;

    final int ttl;
    final int synWindow;
    /** The window field once established (the scale shift applied by the receiver). */
    final int window;
    final boolean timestamps;
    final int synOptionBytes;

    ClientStack(int ttl, int synWindow, int window, boolean timestamps, int synOptionBytes) {
        this.ttl = ttl;
        this.synWindow = synWindow;
        this.window = window;
        this.timestamps = timestamps;
        this.synOptionBytes = synOptionBytes;
    }

    /** The stack of a client address: half Linux, a third Windows, a sixth macOS, fixed per address. */
    static ClientStack of(int client) {
        int r = Integer.remainderUnsigned(client, 6);
        return r < 3 ? LINUX : r < 5 ? WINDOWS : MACOS;
    }

    /** Option bytes of a segment after the SYN. */
    int segmentOptionBytes() {
        return timestamps ? TIMESTAMP_OPTION_BYTES : 0;
    }

    /** Payload of a full-size segment: the MSS less the options every segment carries. */
    int fullSegment(int mss) {
        return mss - segmentOptionBytes();
    }

    /** Writes the SYN's options ({@link #synOptionBytes} of them); {@code tsval} is its timestamp. */
    void synOptions(FrameWriter w, int mss, int tsval) {
        switch (this) {
            case LINUX -> {
                w.u8(2).u8(4).u16(mss).u8(4).u8(2);            // MSS, SACK permitted
                w.u8(8).u8(10).u32(tsval).u32(0);                // timestamps, no echo yet
                w.u8(1).u8(3).u8(3).u8(7);                       // NOP, window scale 7
            }
            case WINDOWS -> {
                w.u8(2).u8(4).u16(mss).u8(1).u8(3).u8(3).u8(8);  // MSS, NOP, window scale 8
                w.u8(1).u8(1).u8(4).u8(2);                       // NOP, NOP, SACK permitted
            }
            case MACOS -> {
                w.u8(2).u8(4).u16(mss).u8(1).u8(3).u8(3).u8(6);  // MSS, NOP, window scale 6
                w.u8(1).u8(1).u8(8).u8(10).u32(tsval).u32(0);    // NOP, NOP, timestamps
                w.u8(4).u8(2).u8(0).u8(0);                       // SACK permitted, EOL, padding
            }
        }
    }

    /** Writes a later segment's options ({@link #segmentOptionBytes} of them). */
    void segmentOptions(FrameWriter w, int tsval, int tsecr) {
        if (timestamps) {
            w.u8(1).u8(1).u8(8).u8(10).u32(tsval).u32(tsecr);
        }
    }
}
