package io.xdpml.dataplane;

import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The configuration word of the composed program (pipeline.h): the value of {@code xdpml_fw_gen},
 * read once per packet, whose bits pick the active half of every double-buffered stage.
 *
 * <pre>
 *   bit 0  firewall generation   bit 1  model slot   bit 2  delivery settings slot
 *   bits 16..31  the configuration's generation (counts reloads)
 * </pre>
 *
 * A switch fills nothing itself: callers fill the inactive halves first, then {@link #flip}
 * changes the bits they name (one 4-byte map update: the next packet sees all of them at once)
 * and returns after an RCU grace period, when no packet that began under the old word is still
 * running, so the old halves may be cleared. Changes are serialised within the process (one lock
 * for every instance: the firewall and the model of one program may hold separate instances).
 */
public final class ConfigWord {
    public static final int FIREWALL = 0x1;
    public static final int MODEL = 0x2;
    public static final int DELIVER = 0x4;
    private static final int GENERATION_SHIFT = 16;
    private static final Object LOCK = new Object();

    private final BpfMap word;
    private final BpfMap sync;

    /**
     * @param word {@code xdpml_fw_gen}
     * @param sync {@code xdpml_fw_sync}, a map-of-maps the program never reads: its update returns
     *             only after a grace period (the kernel's maybe_wait_bpf_programs)
     */
    public ConfigWord(BpfMap word, BpfMap sync) {
        this.word = word;
        this.sync = sync;
    }

    /** The word as packets read it now. */
    public int read() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(4, 4);
            return word.lookup(0, v) ? v.get(ValueLayout.JAVA_INT, 0) : 0;
        }
    }

    /** Whether the half named by {@code bit} is half 1 now. */
    public int active(int bit) {
        return (read() & bit) != 0 ? 1 : 0;
    }

    /** The configuration's generation: how many switches counted as reloads. */
    public int generation() {
        return read() >>> GENERATION_SHIFT;
    }

    /**
     * Sets the bits of {@code mask} to {@code bits} in one update, then awaits the grace period.
     *
     * @param reload count it as a new configuration generation
     * @return the new word
     */
    public int flip(int mask, int bits, boolean reload) {
        synchronized (LOCK) {
            int old = read();
            int next = (old & ~mask) | (bits & mask);
            if (reload) {
                next = (next & 0xffff) | (((old >>> GENERATION_SHIFT) + 1) << GENERATION_SHIFT);
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(4, 4);
                v.set(ValueLayout.JAVA_INT, 0, next);
                word.update(0, v, BpfMap.BPF_ANY);
                awaitPrograms(a);
            }
            return next;
        }
    }

    /** Returns once every program run that began before the call has ended (an RCU grace period). */
    public void awaitPrograms() {
        try (Arena a = Arena.ofConfined()) {
            awaitPrograms(a);
        }
    }

    private void awaitPrograms(Arena a) {
        MemorySegment inner = a.allocate(4, 4);
        inner.set(ValueLayout.JAVA_INT, 0, word.fd());
        sync.update(0, inner, BpfMap.BPF_ANY);
    }
}
