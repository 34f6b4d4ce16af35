package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the sweeper does with a flow at time {@code now}: a flow whose end was already reported
 * (TCP close) is removed once quiet for the linger time (its trailing packets, such as the last
 * ACK, were absorbed meanwhile) and reported once more with its final state
 * ({@link FlowReason#TAIL}); any other flow quiet for longer than the idle timeout is removed and
 * reported ({@link FlowReason#SWEPT_IDLE}). The kernel table and the Java reference are swept by
 * the same rule.
 */
public final class FlowSweeper {
    public enum Action {
        KEEP(null),
        /** an ended (tcp_close) flow, quiet for longer than the linger: removed, reported as tail */
        REMOVE_TAIL(FlowReason.TAIL),
        /** a flow quiet for longer than the idle timeout: removed, reported as swept_idle */
        REMOVE_IDLE(FlowReason.SWEPT_IDLE);

        private final FlowReason reason;

        Action(FlowReason reason) {
            this.reason = reason;
        }

        /** The reason of the record reporting the removed flow (null for KEEP). */
        public FlowReason reason() {
            return reason;
        }
    }

    private FlowSweeper() {}

    public static Action decide(MemorySegment state, long now, long idleTimeoutNanos, long lingerNanos) {
        long last = FlowLayout.u64(state, FlowLayout.LAST_NS);
        if (Long.compareUnsigned(now, last) <= 0) {
            return Action.KEEP;
        }
        long quiet = now - last;
        boolean ended = (state.get(ValueLayout.JAVA_BYTE, FlowLayout.CLOSING) & FlowLayout.CLOSE_ENDED) != 0;
        if (ended) {
            return Long.compareUnsigned(quiet, lingerNanos) > 0 ? Action.REMOVE_TAIL : Action.KEEP;
        }
        return Long.compareUnsigned(quiet, idleTimeoutNanos) > 0 ? Action.REMOVE_IDLE : Action.KEEP;
    }
}
