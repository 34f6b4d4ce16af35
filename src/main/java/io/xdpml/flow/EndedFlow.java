package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One flow as the outputs see it when it is reported (it ended, or an active timeout reports it
 * while it goes on): copies of its key and state bytes ({@link FlowLayout}), why it was reported,
 * when, and what a model said of it, if anything. Immutable; {@link #view()} reads it through a
 * {@link FlowRecord}. The outputs (CSV, JSON, EVE, IPFIX) all take this one type.
 *
 * @param key         the flow key, {@link FlowLayout#KEY_SIZE} bytes
 * @param state       the flow state, {@link FlowLayout#FLOW_SIZE} bytes
 * @param reason      why it was reported; {@link FlowReason#ACTIVE} means the flow goes on
 * @param reportNanos when it was reported (packet time in the kernel's clock, or the sweep's time)
 * @param modelClass  the class a model gave the flow, or null
 * @param score       that class's score (confidence in [0, 1]), or NaN when unknown
 */
public record EndedFlow(byte[] key, byte[] state, FlowReason reason, long reportNanos, String modelClass, double score) {
    public EndedFlow {
        if (key.length != FlowLayout.KEY_SIZE) {
            throw new IllegalArgumentException("flow key of " + key.length + " bytes, expected " + FlowLayout.KEY_SIZE);
        }
        if (state.length < FlowLayout.FLOW_SIZE) {
            throw new IllegalArgumentException("flow state of " + state.length + " bytes, expected " + FlowLayout.FLOW_SIZE);
        }
    }

    /** Copies key and state out of segments that are valid only now (a ring buffer record, a map lookup). */
    public static EndedFlow copyOf(MemorySegment key, MemorySegment state, FlowReason reason, long reportNanos) {
        return new EndedFlow(key.asSlice(0, FlowLayout.KEY_SIZE).toArray(ValueLayout.JAVA_BYTE),
                state.asSlice(0, FlowLayout.FLOW_SIZE).toArray(ValueLayout.JAVA_BYTE), reason, reportNanos, null, Double.NaN);
    }

    /** The same flow with a model's class and score. */
    public EndedFlow withVerdict(String cls, double confidence) {
        return new EndedFlow(key, state, reason, reportNanos, cls, confidence);
    }

    /** A fresh view over the copies (not shared: each caller gets its own). */
    public FlowRecord view() {
        return new FlowRecord().wrap(MemorySegment.ofArray(key), MemorySegment.ofArray(state));
    }

    public long firstNanos() {
        return FlowLayout.u64(MemorySegment.ofArray(state), FlowLayout.FIRST_NS);
    }

    public long lastNanos() {
        return FlowLayout.u64(MemorySegment.ofArray(state), FlowLayout.LAST_NS);
    }

    /** Packets in both directions. */
    public long packets() {
        MemorySegment s = MemorySegment.ofArray(state);
        return FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.FWD) + FlowLayout.D_PACKETS)
                + FlowLayout.u64(s, FlowLayout.dirOffset(FlowLayout.BWD) + FlowLayout.D_PACKETS);
    }

    /** False for an active-timeout report: the flow goes on and will be reported again. */
    public boolean ended() {
        return reason != FlowReason.ACTIVE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndedFlow e && Arrays.equals(key, e.key) && Arrays.equals(state, e.state) && reason == e.reason
                && reportNanos == e.reportNanos && java.util.Objects.equals(modelClass, e.modelClass)
                && Double.compare(score, e.score) == 0;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key) * 31 + Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        FlowRecord r = view();
        return "EndedFlow[" + r.protocol() + " " + r.sourceAddress().getHostAddress() + ":" + r.sourcePort() + " -> "
                + r.destinationAddress().getHostAddress() + ":" + r.destinationPort() + ", " + packets() + " packets, "
                + reason.label() + (modelClass == null ? "" : ", " + modelClass + " " + score) + "]";
    }
}
