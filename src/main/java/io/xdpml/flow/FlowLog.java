package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Turns flow records into reported flows ({@link EndedFlow}) for a {@link FlowSink}: every flow
 * exactly once, with its whole counts, plus the flows still going that an active timeout reports.
 * It is the engine's {@link FlowRecordListener} (records from the kernel's ring buffer as they
 * come, from the Java reference, from sweeps); {@link #finish} reports what is still in the table
 * when the run ends.
 *
 * <ul>
 * <li>{@code idle}, {@code swept_idle}: the flow ended; reported as is.</li>
 * <li>{@code active}: the flow goes on; handed to the sink at once with reason {@code active}
 * ({@link EndedFlow#ended()} false), so an exporter can send deltas. A listing counts only the
 * flow's final report.</li>
 * <li>{@code tcp_close}: the flow ended, but stays in the table and absorbs trailing packets
 * (the last ACK, retransmitted FINs). The record is held until the flow leaves the table, when the
 * engine reports its final state ({@code tail}: restarted in place after the idle timeout, or
 * removed by the sweeper after the linger); the flow is then reported as {@code tcp_close} with
 * that state. Still in the table at {@link #finish}: reported with the table's state.</li>
 * <li>at {@link #finish}, every other flow in the table: {@link FlowReason#END}.</li>
 * </ul>
 *
 * A held close whose flow left the table without a tail record (evicted by the kernel's LRU) is
 * reported with the close record's state when the next record of the same key comes, or at
 * {@link #finish}. One thread at a time.
 */
public final class FlowLog implements FlowRecordListener {
    /** The listing order: first packet time, then key bytes, then last packet time, then reason. */
    public static final Comparator<EndedFlow> ORDER = Comparator.comparing(EndedFlow::firstNanos, Long::compareUnsigned)
            .thenComparing(EndedFlow::key, Arrays::compare)
            .thenComparing(EndedFlow::lastNanos, Long::compareUnsigned)
            .thenComparing(e -> e.reason().id());

    private final FlowSink sink;
    private final Map<FlowKey, EndedFlow> closed = new HashMap<>();
    private final FlowKey probe = new FlowKey(new byte[FlowLayout.KEY_SIZE]);
    private final byte[] keyBytes = new byte[FlowLayout.KEY_SIZE];
    private final long[] reported = new long[FlowReason.values().length];
    private long tailPackets;
    private long tailFlows;

    public FlowLog(FlowSink sink) {
        this.sink = sink;
    }

    @Override
    public void onRecord(long timeNanos, FlowReason reason, MemorySegment key, MemorySegment state) {
        MemorySegment.copy(key, ValueLayout.JAVA_BYTE, 0, keyBytes, 0, FlowLayout.KEY_SIZE);
        switch (reason) {
            case ACTIVE -> report(EndedFlow.copyOf(key, state, FlowReason.ACTIVE, timeNanos));
            case TCP_CLOSE -> {
                EndedFlow earlier = closed.put(new FlowKey(keyBytes.clone()), EndedFlow.copyOf(key, state, reason, timeNanos));
                if (earlier != null) { // its flow left the table unreported (evicted): the close record is all we know
                    report(earlier);
                }
            }
            case TAIL -> {
                EndedFlow held = closed.remove(probe.wrap(keyBytes));
                closedFlow(held, EndedFlow.copyOf(key, state, FlowReason.TCP_CLOSE, timeNanos));
            }
            default -> { // IDLE, SWEPT_IDLE (END never comes from an engine, but means the same)
                EndedFlow held = closed.remove(probe.wrap(keyBytes));
                if (held != null) {
                    report(held);
                }
                report(EndedFlow.copyOf(key, state, reason, timeNanos));
            }
        }
    }

    /**
     * The run ends at {@code nowNanos}: reports every flow still in the table ({@code forEachFlow},
     * e.g. {@code engine::forEachFlow}, after the engine's last records were delivered): a closed
     * one as {@code tcp_close} with its state now, any other as {@link FlowReason#END}; then every
     * held close whose flow is gone. Flushes the sink.
     */
    public void finish(Consumer<BiConsumer<MemorySegment, MemorySegment>> forEachFlow, long nowNanos) {
        List<EndedFlow> now = new ArrayList<>();
        forEachFlow.accept((k, s) -> {
            boolean ended = (s.get(ValueLayout.JAVA_BYTE, FlowLayout.CLOSING) & FlowLayout.CLOSE_ENDED) != 0;
            now.add(EndedFlow.copyOf(k, s, ended ? FlowReason.TCP_CLOSE : FlowReason.END, nowNanos));
        });
        for (EndedFlow f : now) { // not inside forEachFlow: a sink may take its time
            EndedFlow held = closed.remove(probe.wrap(f.key()));
            if (f.reason() == FlowReason.TCP_CLOSE) {
                closedFlow(held, f);
            } else {
                if (held != null) {
                    report(held);
                }
                report(f);
            }
        }
        List<EndedFlow> gone = new ArrayList<>(closed.values());
        closed.clear();
        gone.sort(ORDER);
        gone.forEach(this::report);
        sink.flush();
    }

    /** A closed flow's final report; {@code held}: its close record (null if it never came). */
    private void closedFlow(EndedFlow held, EndedFlow last) {
        if (held != null) {
            long tail = last.packets() - held.packets();
            if (tail > 0) {
                tailPackets += tail;
                tailFlows++;
            }
        }
        report(last);
    }

    private void report(EndedFlow f) {
        reported[f.reason().ordinal()]++;
        sink.flow(f);
    }

    /** Flows handed to the sink with this reason ({@code active}: reports of flows going on). */
    public long reported(FlowReason reason) {
        return reported[reason.ordinal()];
    }

    /** Packets closed flows absorbed after their tcp_close record, over the flows reported so far. */
    public long tailPackets() {
        return tailPackets;
    }

    /** Closed flows that absorbed at least one packet after their tcp_close record. */
    public long tailFlows() {
        return tailFlows;
    }

    /** Closes waiting for their flow to leave the table. */
    public int held() {
        return closed.size();
    }
}
