package io.xdpml.kernel;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Loads bpf/test/maps.bpf.c once per test class (skipping without BPF) and frees it after. */
abstract class MapsObjectFixture {
    static BpfObject obj;
    static Arena arena;

    @BeforeAll
    static void load() {
        KernelAssumptions.assumeBpf();
        arena = Arena.ofShared();
        obj = BpfObject.openResource("/bpf/maps.bpf.o");
        obj.load();
    }

    @AfterAll
    static void close() {
        if (obj != null) {
            obj.close();
            obj = null;
        }
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }
}
