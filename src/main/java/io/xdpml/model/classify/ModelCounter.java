package io.xdpml.model.classify;

/** The classify pipeline's counters ({@code enum xdpml_model_counter} in model.h). */
public enum ModelCounter {
    NO_MODEL("tracked packets while no model was deployed, and packets not tracked"),
    CLASSIFIED("packets that ran the model"),
    CACHED("packets given their flow's cached class"),
    UNCLASSIFIED("flow mode: packets before the flow's N-th"),
    RETRIES("classifications redone because their model slot was rewritten meanwhile"),
    GAVE_UP("classifications left undone because the slot kept changing"),
    XSK("packets redirected to an AF_XDP socket"),
    TAIL_CALL_FAILED("MLP layer programs missing"),
    LOW_CONFIDENCE("classified below their class's confidence threshold: to Java instead of the class's action");

    public static final int SLOTS = 16;
    private final String description;

    ModelCounter(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
