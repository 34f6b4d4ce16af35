package io.xdpml.flow;

/** Why a flow record was emitted ({@code enum xdpml_flow_reason} in flow.h). */
public enum FlowReason {
    TCP_CLOSE(1, "tcp_close"),
    IDLE(2, "idle"),
    ACTIVE(3, "active"),
    SWEPT_IDLE(4, "swept_idle");

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
