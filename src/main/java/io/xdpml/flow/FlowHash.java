package io.xdpml.flow;

import io.xdpml.kernel.BpfObject;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;

/**
 * {@code xdpml_flow_hash} of flow.h (probation slots, sampling by flow), keyed by a secret: Thorup's
 * pair-multiply-shift over the key's 11 32-bit words x ({@code x[11] = 0}) with 13 64-bit words a,
 * {@code a[12] + sum (a[2i] + x[2i+1]) * (a[2i+1] + x[2i])} mod 2^64, the top 32 bits. The words come
 * from a 64-bit seed (splitmix64); the kernel gets them as {@code cfg_flow_hash_key} before load
 * ({@link #install}). The agent draws the seed at random at every load ({@link #randomSeed}), so that
 * nobody can find offline a key sharing a known flow's probation slot; tests fix it
 * ({@link FlowConfig#hashSeed}), and the Java twin with the same seed hashes as the kernel does.
 * The hash in the metadata Java receives ({@link #metadata}) is not keyed.
 */
public final class FlowHash {
    /** Words of the secret: {@code XDPML_FLOW_HASH_WORDS}. */
    public static final int WORDS = 13;

    private final long[] a;

    private FlowHash(long[] a) {
        this.a = a;
    }

    /** The hash keyed by the words {@code seed} expands to. */
    public static FlowHash seeded(long seed) {
        return new FlowHash(words(seed));
    }

    /** A seed from the system's secure random source (the agent's, at every load). */
    public static long randomSeed() {
        return new SecureRandom().nextLong();
    }

    /** The 13 words of the secret: splitmix64's outputs from {@code seed}. */
    static long[] words(long seed) {
        long[] w = new long[WORDS];
        long z = seed;
        for (int i = 0; i < WORDS; i++) {
            z += 0x9e3779b97f4a7c15L;
            long x = z;
            x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
            x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
            w[i] = x ^ (x >>> 31);
        }
        return w;
    }

    /** Sets {@code cfg_flow_hash_key} of an object with a flow stage (before load) to the words of {@code seed}. */
    public static void install(BpfObject obj, long seed) {
        ByteBuffer b = ByteBuffer.allocate(8 * WORDS).order(ByteOrder.nativeOrder());
        for (long w : words(seed)) {
            b.putLong(w);
        }
        obj.setConstant("cfg_flow_hash_key", b.array());
    }

    public int of(MemorySegment key) {
        long h = a[12];
        for (int i = 0; i < 5; i++) {
            long w = key.get(FlowLayout.U64, 8L * i); // x[2i] its low half, x[2i+1] its high half (little-endian)
            h += (a[2 * i] + (w >>> 32)) * (a[2 * i + 1] + (w & 0xffffffffL));
        }
        h += a[10] * (a[11] + (key.get(FlowLayout.U32, FlowLayout.KEY_VNI) & 0xffffffffL));
        return (int) (h >>> 32);
    }

    /** Whether a flow with this key is sampled 1-in-n (n = 0: never). */
    public boolean sampled(MemorySegment key, int n) {
        return n != 0 && Integer.remainderUnsigned(of(key), n) == 0;
    }

    /**
     * {@code xdpml_flow_meta_hash} of flow.h: the hash in the metadata of a packet handed to Java
     * (AF_XDP metadata, mirror records): FNV-style over the key's 11 words, murmur3's finaliser.
     * Not keyed: Java's consumers compute it from the packets they get.
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
}
