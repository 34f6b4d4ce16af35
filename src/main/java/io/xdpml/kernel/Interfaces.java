package io.xdpml.kernel;

import java.lang.foreign.Arena;

/** Network interface lookups (in the calling thread's network namespace). */
public final class Interfaces {
    private Interfaces() {}

    /** The name of interface {@code ifindex}, or "ifindex N" when there is none. */
    public static String nameOf(int ifindex) {
        try {
            java.net.NetworkInterface n = java.net.NetworkInterface.getByIndex(ifindex);
            return n != null ? n.getName() : "ifindex " + ifindex;
        } catch (java.net.SocketException e) {
            return "ifindex " + ifindex;
        }
    }

    /** The ifindex of {@code name}, 0 when there is no such interface (now). */
    public static int indexOrZero(String name) {
        try (Arena a = Arena.ofConfined()) {
            return Native.ifNameToIndex(a.allocateFrom(name));
        }
    }

    /** The ifindex of {@code name} ({@code if_nametoindex}); throws when there is no such interface. */
    public static int indexOf(String name) {
        try (Arena a = Arena.ofConfined()) {
            int idx = Native.ifNameToIndex(a.allocateFrom(name));
            if (idx == 0) throw new KernelException("if_nametoindex(" + name + ")", Native.errno());
            return idx;
        }
    }
}
