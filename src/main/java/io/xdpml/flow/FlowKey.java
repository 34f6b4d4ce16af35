package io.xdpml.flow;

import java.util.Arrays;

/** A flow key's 44 bytes as a hash-map key (one per flow; lookups reuse a probe). */
final class FlowKey {
    byte[] bytes;
    private int hash;

    FlowKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Points this probe at key bytes owned by someone else (no copy: {@link #copy()} to keep them). */
    FlowKey wrap(byte[] key) {
        bytes = key;
        hash = Arrays.hashCode(key);
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
