package io.xdpml.kernel;

import java.lang.foreign.Arena;

/** Network interface lookups (in the calling thread's network namespace). */
public final class Interfaces {
    private Interfaces() {}

    /** The ifindex of {@code name} ({@code if_nametoindex}); throws when there is no such interface. */
    public static int indexOf(String name) {
        try (Arena a = Arena.ofConfined()) {
            int idx = Native.ifNameToIndex(a.allocateFrom(name));
            if (idx == 0) throw new KernelException("if_nametoindex(" + name + ")", Native.errno());
            return idx;
        }
    }
}
