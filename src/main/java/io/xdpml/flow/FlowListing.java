package io.xdpml.flow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every flow of a capture, once ({@code xdpml flows}): the capture replayed through an engine whose
 * records go to a {@link FlowLog}, finished at the capture's last packet time; the ended flows in
 * {@link FlowLog#ORDER}. The sum of their packets is the capture's tracked packets
 * ({@link FlowCounter#PACKETS}) unless the kernel's LRU evicted flows or records were lost.
 *
 * @param flows          every flow, once, in {@link FlowLog#ORDER} (no active reports)
 * @param replay         what the replay read
 * @param trackedPackets {@link FlowCounter#PACKETS}
 * @param notIp          {@link FlowCounter#NOT_IP}
 * @param restarts       {@link FlowCounter#IDLE_RESTART}
 * @param evictions      {@link FlowEngine#evictions()}
 * @param recordsLost    {@link FlowCounter#RECORDS_LOST}
 * @param activeReports  active-timeout reports of flows that went on (not in {@code flows})
 * @param tailFlows      closed flows that absorbed packets after their tcp_close record
 * @param tailPackets    the packets they absorbed
 */
public record FlowListing(List<EndedFlow> flows, FlowReplay.Result replay, long trackedPackets, long notIp, long restarts,
        long evictions, long recordsLost, long activeReports, long tailFlows, long tailPackets) {

    /**
     * Replays {@code capture} through {@code engine.apply(listener)} (an engine made with the given
     * record listener) and lists its flows. {@code alsoRecords} sees the raw records too.
     */
    public static FlowListing of(Path capture, Function<FlowRecordListener, FlowEngine> engine, FlowRecordListener alsoRecords)
            throws IOException {
        List<EndedFlow> flows = new ArrayList<>();
        FlowLog log = new FlowLog(f -> {
            if (f.ended()) {
                flows.add(f);
            }
        });
        FlowRecordListener both = alsoRecords == FlowRecordListener.NONE ? log : (t, r, k, s) -> {
            alsoRecords.onRecord(t, r, k, s);
            log.onRecord(t, r, k, s);
        };
        try (FlowEngine e = engine.apply(both)) {
            FlowReplay.Result result = FlowReplay.replay(capture, e);
            long[] end = {0};
            e.forEachFlow((k, v) -> end[0] = Math.max(end[0], FlowLayout.u64(v, FlowLayout.LAST_NS)));
            log.finish(e::forEachFlow, end[0]);
            flows.sort(FlowLog.ORDER);
            return new FlowListing(List.copyOf(flows), result, e.counter(FlowCounter.PACKETS), e.counter(FlowCounter.NOT_IP),
                    e.counter(FlowCounter.IDLE_RESTART), e.evictions(), e.counter(FlowCounter.RECORDS_LOST),
                    log.reported(FlowReason.ACTIVE), log.tailFlows(), log.tailPackets());
        }
    }

    /** Packets over all listed flows. */
    public long packets() {
        return flows.stream().mapToLong(EndedFlow::packets).sum();
    }

    /** Listed flows per end reason, in {@link FlowReason} order, reasons with none left out. */
    public Map<FlowReason, Long> byReason() {
        Map<FlowReason, Long> m = new EnumMap<>(FlowReason.class);
        for (EndedFlow f : flows) {
            m.merge(f.reason(), 1L, Long::sum);
        }
        return m;
    }
}
