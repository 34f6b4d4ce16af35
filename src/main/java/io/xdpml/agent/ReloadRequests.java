package io.xdpml.agent;

import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reload requests through the pins ({@code xdpml_agent_req}, pipeline.h): {@code xdpml reload}
 * counts the word up, the agent polls it every {@link Agent#POLL_NANOS} and re-reads its file when
 * it grew. No signal is involved, so an agent started under {@code nohup} (SIGHUP ignored, and the
 * JVM keeps it ignored) is reloaded all the same; SIGHUP still works where it is not ignored.
 * Two shells asking at once may count one request: both are answered by the same reload.
 */
public final class ReloadRequests {
    static final String MAP = "xdpml_agent_req";

    private ReloadRequests() {}

    /** The requests counted so far. */
    static long read(BpfMap m) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8, 8);
            return m.lookup(0, v) ? v.get(ValueLayout.JAVA_LONG, 0) : 0;
        }
    }

    /** Asks the agent whose pins {@code o} are to reload. */
    public static void ask(AgentPins.Opened o) {
        BpfMap m = o.map(MAP);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8, 8);
            v.set(ValueLayout.JAVA_LONG, 0, read(m) + 1);
            m.update(0, v, BpfMap.BPF_ANY);
        }
    }
}
