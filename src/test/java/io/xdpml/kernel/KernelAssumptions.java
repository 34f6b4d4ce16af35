package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.xdpml.testing.Requirements.require;

/** Shared test helpers: skip (never pass silently) when BPF is unavailable; frame builders. */
final class KernelAssumptions {
    private KernelAssumptions() {}

    static void assumeBpf() {
        var reason = BpfSupport.unavailableReason();
        require(reason.isEmpty(), () -> "kernel tests skipped: " + reason.orElse(""));
    }

    /** A broadcast Ethernet frame of {@code length} bytes, ethertype 0x88b5, payload = index bytes. */
    static MemorySegment frame(Arena arena, int length) {
        MemorySegment f = arena.allocate(Math.max(length, 64), 8);
        for (int i = 0; i < 6; i++) f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) 0xff);
        byte[] src = {0x02, 0, 0, 0, 0, 1};
        for (int i = 0; i < 6; i++) f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 6 + i, src[i]);
        f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 12, (byte) 0x88);
        f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 13, (byte) 0xb5);
        for (int i = 14; i < length; i++) f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) i);
        return f;
    }
}
