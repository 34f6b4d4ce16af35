package io.xdpml.flow;

import java.lang.foreign.MemorySegment;

/**
 * {@code xdpml_flow_hash} of flow.h (probation slots, sampling by flow; the metadata Java receives
 * carries {@link #metadata}): the key's five 64-bit words and its VNI in three pairs, each
 * {@code (a ^ c) * (b ^ d) + b}, summed, then a finaliser of shifts and multiplications; the low 32
 * bits. Its constants are 32-bit ints, sign-extended to long as BPF extends its immediates.
 */
public final class FlowHash {
    private FlowHash() {}

    public static int of(MemorySegment key) {
        long w0 = key.get(FlowLayout.U64, 0);
        long w1 = key.get(FlowLayout.U64, 8);
        long w2 = key.get(FlowLayout.U64, 16);
        long w3 = key.get(FlowLayout.U64, 24);
        long w4 = key.get(FlowLayout.U64, 32);
        long v = key.get(FlowLayout.U32, FlowLayout.KEY_VNI) & 0xffffffffL;
        // 32-bit constants sign-extended, as BPF's immediates are (int -> long in Java)
        long h = (w0 ^ 0x9e3779b9) * (w1 ^ 0x7f4a7c15) + w1
                + (w2 ^ 0x85ebca6b) * (w3 ^ 0x27d4eb2f) + w3
                + (w4 ^ 0x165667b1) * (v ^ 0xd3a2646d) + v;
        h ^= h >>> 32;
        h *= 0x85ebca6b;
        h ^= h >>> 29;
        h *= 0xc2b2ae35;
        h ^= h >>> 32;
        return (int) h;
    }

    /**
     * {@code xdpml_flow_meta_hash} of flow.h: the hash in the metadata of a packet handed to Java
     * (AF_XDP metadata, mirror records): FNV-style over the key's 11 words, murmur3's finaliser.
     */
    public static int metadata(MemorySegment key) {
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
