package io.xdpml.flow;

import java.lang.foreign.MemorySegment;

/** {@code xdpml_flow_hash} of flow.h: FNV-style over the key's 11 words, murmur3's finaliser. */
public final class FlowHash {
    private FlowHash() {}

    public static int of(MemorySegment key) {
        int h = 0x811c9dc5;
        for (int i = 0; i < FlowLayout.KEY_SIZE / 4; i++) {
            h ^= key.get(FlowLayout.U32, 4L * i);
            h *= 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** Whether a flow with this key is sampled 1-in-n (n = 0: never). */
    public static boolean sampled(MemorySegment key, int n) {
        return n != 0 && Integer.remainderUnsigned(of(key), n) == 0;
    }
}
