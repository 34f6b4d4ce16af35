package io.xdpml.model;

import static io.xdpml.flow.FlowLayout.*;

import io.xdpml.flow.FlowFeature;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The model input vector: what a classifier may look at after a packet has updated its flow.
 * Indexes 0..38 are the {@link FlowFeature}s in their order; then the flow's packet and byte
 * counts per direction, fields of the flow key, and two fields of the packet itself (the paper's
 * per-packet features). The kernel fills the same vector ({@code xdpml_model_inputs} in
 * bpf/include/xdpml/model.h, {@code XDPML_MODEL_INPUTS} entries of u64) in this order; models
 * refer to inputs by index in the kernel and by name in model files.
 */
public final class ModelInputs {

    /** Number of inputs; the kernel's {@code XDPML_MODEL_INPUTS}. */
    public static final int COUNT = FlowFeature.values().length + ExtraInput.values().length;
    /** values() clones its array on every call: not per packet. */
    private static final FlowFeature[] FEATURES = FlowFeature.values();

    /**
     * Twelve inputs after Hara &amp; Sasabe's per-packet features: the ports, the protocol, this
     * packet's length and direction, the flow's running means and mean absolute deviations of
     * length, inter-arrival time and direction, and the flow's duration (in place of the
     * packet's own inter-arrival time). None needs a division to compute.
     */
    public static final List<String> PAPER_INPUTS = List.of("initiator_port", "responder_port", "protocol", "packet_length",
            "packet_forward", "hs_len_mean", "hs_len_mad", "hs_iat_mean", "hs_iat_mad", "hs_dir_mean", "hs_dir_mad", "duration_us");

    private ModelInputs() {}

    private static final List<String> NAMES;
    private static final Map<String, Integer> INDEX = new HashMap<>();

    static {
        String[] n = new String[COUNT];
        for (FlowFeature f : FlowFeature.values()) {
            n[f.ordinal()] = f.columnName();
        }
        for (ExtraInput e : ExtraInput.values()) {
            n[e.index()] = e.inputName();
        }
        NAMES = List.of(n);
        for (int i = 0; i < n.length; i++) {
            INDEX.put(n[i], i);
        }
    }

    /** Input names in vector order. */
    public static List<String> names() {
        return NAMES;
    }

    /** Name of input {@code index}. */
    public static String name(int index) {
        return NAMES.get(index);
    }

    /** Index of the input called {@code name}; IllegalArgumentException naming the known ones otherwise. */
    public static int index(String name) {
        Integer i = INDEX.get(name.toLowerCase(Locale.ROOT));
        if (i == null) {
            throw new IllegalArgumentException("unknown model input '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        }
        return i;
    }

    /**
     * Fills {@code out[0..COUNT)} for a packet that has just updated flow state {@code state}
     * (key {@code key}, {@link io.xdpml.flow.FlowLayout} layouts), of normalised length
     * {@code length} ({@link io.xdpml.flow.FlowPacket#normLength()}), sent by endpoint a when
     * {@code fromA}.
     */
    public static void compute(MemorySegment state, MemorySegment key, long length, boolean fromA, long[] out) {
        for (FlowFeature f : FEATURES) {
            out[f.ordinal()] = f.of(state);
        }
        boolean initiatorIsA = state.get(ValueLayout.JAVA_BYTE, INITIATOR_IS_A) != 0;
        int base = FEATURES.length;
        out[base] = u64(state, dirOffset(FWD) + D_PACKETS);
        out[base + 1] = u64(state, dirOffset(BWD) + D_PACKETS);
        out[base + 2] = u64(state, dirOffset(FWD) + D_BYTES);
        out[base + 3] = u64(state, dirOffset(BWD) + D_BYTES);
        out[base + 4] = key.get(ValueLayout.JAVA_BYTE, KEY_PROTOCOL) & 0xff;
        long portA = key.get(U16, KEY_PORT_A) & 0xffff;
        long portB = key.get(U16, KEY_PORT_B) & 0xffff;
        out[base + 5] = initiatorIsA ? portA : portB;
        out[base + 6] = initiatorIsA ? portB : portA;
        out[base + 7] = length;
        out[base + 8] = fromA == initiatorIsA ? 1 : 0;
    }
}
