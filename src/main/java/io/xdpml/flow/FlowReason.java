package io.xdpml.flow;

/** Why a flow record was emitted ({@code enum xdpml_flow_reason} in flow.h), or a flow reported ({@link #END}, Java only). */
public enum FlowReason {
    TCP_CLOSE(1, "tcp_close"),
    IDLE(2, "idle"),
    ACTIVE(3, "active"),
    SWEPT_IDLE(4, "swept_idle"),
    /**
     * Java only (never in a kernel record): the flow was still in the table when the listing ended
     * (the end of a capture, the agent stopping). IPFIX calls it a forced end.
     */
    END(5, "end"),
    /**
     * A flow reported at {@link #TCP_CLOSE} leaves the table: its final state, with the packets it
     * absorbed after the close (the last ACK, retransmitted FINs). Emitted when a packet after the
     * idle timeout restarts it in place (kernel and Java), and by the sweeper when it removes it
     * after the linger. {@link FlowLog} reports the flow once, as tcp_close, with this state.
     */
    TAIL(6, "tail");

    private final int id;
    private final String label;

    FlowReason(int id, String label) {
        this.id = id;
        this.label = label;
    }

    public int id() {
        return id;
    }

    public String label() {
        return label;
    }

    public static FlowReason of(int id) {
        for (FlowReason r : values()) {
            if (r.id == id) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown flow record reason " + id);
    }
}
