package io.xdpml.dataplane;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The composed program's own counters (struct xdpml_pipeline_stats, summed over CPUs): packets in,
 * the packets each stage dropped, the actions packets left with, and the packets a model class
 * sent to Java past the sample stage. Per stage "in" and "passed" follow: a stage sees what the
 * stages before it did not drop.
 *
 * <pre>
 *   0 u64 packets   8 u64 to_java_forced   16 u64 tail_call_failed   24 u64 dropped[8] (by enum xdpml_stage)
 *   88 u64 action[8]                                                                          (152 bytes)
 * </pre>
 */
public record PipelineCounters(long packets, long toJavaForced, long tailCallFailed, long[] dropped, long[] actions) {
    public static final int SIZE = 152;
    public static final int LONGS = SIZE / 8;

    public PipelineCounters {
        dropped = dropped.clone();
        actions = actions.clone();
    }

    /** From the value's 19 longs (summed over CPUs). */
    public static PipelineCounters of(long[] v) {
        return new PipelineCounters(v[0], v[1], v[2], Arrays.copyOfRange(v, 3, 11), Arrays.copyOfRange(v, 11, 19));
    }

    public long dropped(Stage s) {
        return dropped[s.ordinal()];
    }

    /** Packets that reached stage {@code s} (when it is on). */
    public long in(Stage s) {
        long n = packets;
        for (int i = 0; i < s.ordinal(); i++) {
            n -= dropped[i];
        }
        return n;
    }

    public long action(int xdpAction) {
        return actions[xdpAction];
    }

    /** Stage name -> {in, passed, dropped} for the stages that are on. */
    public Map<String, long[]> byStage(Stages on) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Stage s : on.list()) {
            long in = in(s);
            long d = dropped(s);
            m.put(s.key(), new long[] {in, in - d, d});
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PipelineCounters p && packets == p.packets && toJavaForced == p.toJavaForced
                && tailCallFailed == p.tailCallFailed
                && Arrays.equals(dropped, p.dropped) && Arrays.equals(actions, p.actions);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(packets) * 31 + Arrays.hashCode(dropped);
    }

    @Override
    public String toString() {
        return "packets=" + packets + " toJavaForced=" + toJavaForced + " tailCallFailed=" + tailCallFailed + " dropped=" + Arrays.toString(dropped) + " actions="
                + Arrays.toString(actions);
    }
}
