package io.xdpml.model.kernel;

/**
 * Byte layout of {@code struct xdpml_model} (bpf/include/xdpml/model.h), one model slot; checked
 * against the object's BTF by ModelSlotLayoutTest.
 * <pre>
 *   0 hdr (128)
 *       0 seq u32          sequence lock: odd while Java writes the slot
 *       4 generation u32   per deployment; cached classes of other generations are stale
 *       8 kind u8  9 mode u8  10 n_classes u8  11 n_trees u8
 *      12 flow_n u32
 *      16 action u8[16]    per class
 *      32 root u16[16]     first node of each tree
 *      64 inputs_used u64  bit i: the model reads input i (the kernel computes only those)
 *      72 min_conf u16[16] per class: below this confidence (thousandths) the packet goes to Java
 *     104 pad[24]
 * 128 nodes[8192] (16 each): 0 threshold u64 (a leaf: its confidence), 8 feature u16 (0xffff leaf),
 *                            10 leaf_class u16, 12 right u32
 * 131200 mlp:
 *       0 n_in u8  1 n_layers u8  2 width u8[4]  6 pad[2]
 *       8 in_index u8[32]  40 in_min u64[32]  296 in_range u64[32]
 *     552 wp s64[3][16][32] (three neurons' int8 weights per word in 21-bit lanes, see model.h; groups 11..15 unused)
 *   12840 bias s32[3][32]  13224 mult s32[3][32]
 *   13608 conf_margin s64[16]  13736 conf_level u16[16]  13768 conf_n u8  13769 pad[7]
 *  144976 end
 * </pre>
 */
public final class ModelSlotLayout {
    private ModelSlotLayout() {}

    public static final int SIZE = 144976;

    public static final int HDR_SEQ = 0;
    public static final int HDR_GENERATION = 4;
    public static final int HDR_KIND = 8;
    public static final int HDR_MODE = 9;
    public static final int HDR_N_CLASSES = 10;
    public static final int HDR_N_TREES = 11;
    public static final int HDR_FLOW_N = 12;
    public static final int HDR_ACTION = 16;
    public static final int HDR_ROOT = 32;
    public static final int HDR_INPUTS_USED = 64;
    public static final int HDR_MIN_CONF = 72;
    public static final int HDR_SIZE = 128;

    public static final int NODES = 128;
    public static final int NODE_SIZE = 16;
    public static final int NODE_THRESHOLD = 0;
    public static final int NODE_FEATURE = 8;
    public static final int NODE_LEAF_CLASS = 10;
    public static final int NODE_RIGHT = 12;
    public static final int MAX_NODES = 8192;
    public static final int LEAF = 0xffff;

    public static final int MLP = NODES + MAX_NODES * NODE_SIZE;
    public static final int MLP_N_IN = 0;
    public static final int MLP_N_LAYERS = 1;
    public static final int MLP_WIDTH = 2;
    public static final int MLP_IN_INDEX = 8;
    public static final int MLP_IN_MIN = 40;
    public static final int MLP_IN_RANGE = 296;
    public static final int MLP_W = 552;
    public static final int MLP_BIAS = 12840;
    public static final int MLP_MULT = 13224;
    public static final int MLP_CONF_MARGIN = 13608;
    public static final int MLP_CONF_LEVEL = 13736;
    public static final int MLP_CONF_N = 13768;
    public static final int MLP_SIZE = 13776;
    public static final int MLP_MAX_WIDTH = 32;

    public static final int KIND_NONE = 0;
    public static final int KIND_TREES = 1;
    public static final int KIND_MLP = 2;
    public static final int MODE_PACKET = 0;
    public static final int MODE_FLOW = 1;

    /** Neurons per weight word. */
    public static final int LANES = 3;
    public static final int LANE_BITS = 21;
    private static final int GROUP_SLOTS = 16;

    /** Offset of wp[l][g][j] within the slot: the weights of neurons 3g, 3g + 1, 3g + 2 from input j. */
    public static long weightGroup(int l, int g, int j) {
        return MLP + MLP_W + 8L * ((l * GROUP_SLOTS + g) * MLP_MAX_WIDTH + j);
    }

    /** wp's word for the weights of three neurons: w0 + w1 * 2^21 + w2 * 2^42. */
    public static long pack(int w0, int w1, int w2) {
        return w0 + ((long) w1 << LANE_BITS) + ((long) w2 << (2 * LANE_BITS));
    }

    public static long bias(int l, int k) {
        return MLP + MLP_BIAS + 4L * (l * MLP_MAX_WIDTH + k);
    }

    public static long mult(int l, int k) {
        return MLP + MLP_MULT + 4L * (l * MLP_MAX_WIDTH + k);
    }
}
