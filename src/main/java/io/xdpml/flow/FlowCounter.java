package io.xdpml.flow;

/** Flow counters ({@code enum xdpml_flow_counter} in flow.h): same ids. */
public enum FlowCounter {
    PACKETS(0, "packets tracked"),
    NOT_IP(1, "packets without an IP header (not tracked)"),
    NEW(2, "flows created"),
    IDLE_RESTART(3, "flows ended by the idle timeout and restarted"),
    INSERT_FAILED(4, "flow inserts that failed"),
    RECORDS(5, "flow records written to the ring buffer"),
    RECORDS_LOST(6, "flow records that found no room in the ring buffer"),
    SAMPLED_RANDOM(7, "packets sampled 1-in-N at random"),
    SAMPLED_FLOW(8, "packets of flows sampled 1-in-N by key hash"),
    PARKED(9, "first packets (and SYNs after a parked SYN) parked in a probation slot"),
    PROMOTED(10, "flows admitted at their second packet"),
    CACHED(11, "packets of flows with a cached class, counted without timing statistics"),
    DEFERRED(12, "second packets over the promotion budget, parked again (also counted parked)");

    /** Slots of the kernel's counter map ({@code XDPML_FC_MAX}). */
    public static final int SLOTS = 16;

    private final int id;
    private final String description;

    FlowCounter(int id, String description) {
        this.id = id;
        this.description = description;
    }

    public int id() {
        return id;
    }

    public String description() {
        return description;
    }
}
