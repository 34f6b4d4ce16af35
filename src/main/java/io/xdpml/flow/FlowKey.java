package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** A flow key's 44 bytes as a hash-map key (one per flow; lookups reuse a probe). */
final class FlowKey {
    final byte[] bytes;
    private int hash;

    FlowKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Points this probe at new key bytes (copied into its own array). */
    FlowKey set(MemorySegment key) {
        MemorySegment.copy(key, ValueLayout.JAVA_BYTE, 0, bytes, 0, FlowLayout.KEY_SIZE);
        hash = Arrays.hashCode(bytes);
        return this;
    }

    FlowKey copy() {
        return new FlowKey(bytes.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
