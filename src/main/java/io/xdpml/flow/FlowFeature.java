package io.xdpml.flow;

import static io.xdpml.flow.FlowLayout.*;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The flow features: name, unit, integer scale, and how each is computed from the flow state,
 * in integer arithmetic only. This list is the one definition: the CSV columns, the training
 * data and (with the in-kernel classifier) the kernel's feature vector follow it; docs/flows.md
 * renders it.
 *
 * <p>Integer definitions: {@code mean = floor(sum / count)}; {@code var = max(0, floor(sum_sq /
 * count) - mean^2)} (the floor-based variance the kernel can compute in 64 bits); inter-arrival
 * statistics are over the count - 1 intervals, in whole microseconds (less the packets counted while
 * the flow's class was cached, which add none: {@link FlowLayout#UNTIMED}); the Hara &amp; Sasabe
 * running statistics are kept per packet in Q16.16 (scale 65536).
 */
public enum FlowFeature {
    DURATION_US("duration_us", "us", 1, "last packet time - first packet time",
            f -> Long.divideUnsigned(u64(f, LAST_NS) - u64(f, FIRST_NS), 1000)),

    FWD_PKT_LEN_MIN("fwd_pkt_len_min", "bytes", 1, "smallest frame from the initiator", f -> u32(f, dirOffset(FWD) + D_LEN_MIN)),
    FWD_PKT_LEN_MAX("fwd_pkt_len_max", "bytes", 1, "largest frame from the initiator", f -> u32(f, dirOffset(FWD) + D_LEN_MAX)),
    FWD_PKT_LEN_MEAN("fwd_pkt_len_mean", "bytes", 1, "mean frame length from the initiator", f -> lenMean(f, FWD)),
    FWD_PKT_LEN_VAR("fwd_pkt_len_var", "bytes^2", 1, "variance of frame length from the initiator", f -> lenVar(f, FWD)),
    BWD_PKT_LEN_MIN("bwd_pkt_len_min", "bytes", 1, "smallest frame to the initiator", f -> u32(f, dirOffset(BWD) + D_LEN_MIN)),
    BWD_PKT_LEN_MAX("bwd_pkt_len_max", "bytes", 1, "largest frame to the initiator", f -> u32(f, dirOffset(BWD) + D_LEN_MAX)),
    BWD_PKT_LEN_MEAN("bwd_pkt_len_mean", "bytes", 1, "mean frame length to the initiator", f -> lenMean(f, BWD)),
    BWD_PKT_LEN_VAR("bwd_pkt_len_var", "bytes^2", 1, "variance of frame length to the initiator", f -> lenVar(f, BWD)),

    FLOW_IAT_MIN("flow_iat_min_us", "us", 1, "shortest interval between packets", f -> u32(f, IAT_MIN_US)),
    FLOW_IAT_MAX("flow_iat_max_us", "us", 1, "longest interval between packets", f -> u32(f, IAT_MAX_US)),
    FLOW_IAT_MEAN("flow_iat_mean_us", "us", 1, "mean interval between packets", f -> mean(u64(f, IAT_SUM_US), intervals(total(f), u64(f, UNTIMED)))),
    FLOW_IAT_VAR("flow_iat_var_us2", "us^2", 1, "variance of the intervals",
            f -> var(u64(f, IAT_SUM_US), u64(f, IAT_SUM_SQ), intervals(total(f), u64(f, UNTIMED)))),
    FWD_IAT_MIN("fwd_iat_min_us", "us", 1, "shortest interval between initiator packets", f -> u32(f, dirOffset(FWD) + D_IAT_MIN_US)),
    FWD_IAT_MAX("fwd_iat_max_us", "us", 1, "longest interval between initiator packets", f -> u32(f, dirOffset(FWD) + D_IAT_MAX_US)),
    FWD_IAT_MEAN("fwd_iat_mean_us", "us", 1, "mean interval between initiator packets", f -> iatMean(f, FWD)),
    FWD_IAT_VAR("fwd_iat_var_us2", "us^2", 1, "variance of intervals between initiator packets", f -> iatVar(f, FWD)),
    BWD_IAT_MIN("bwd_iat_min_us", "us", 1, "shortest interval between responder packets", f -> u32(f, dirOffset(BWD) + D_IAT_MIN_US)),
    BWD_IAT_MAX("bwd_iat_max_us", "us", 1, "longest interval between responder packets", f -> u32(f, dirOffset(BWD) + D_IAT_MAX_US)),
    BWD_IAT_MEAN("bwd_iat_mean_us", "us", 1, "mean interval between responder packets", f -> iatMean(f, BWD)),
    BWD_IAT_VAR("bwd_iat_var_us2", "us^2", 1, "variance of intervals between responder packets", f -> iatVar(f, BWD)),

    FIN_COUNT("fin_flag_count", "packets", 1, "TCP packets with FIN", f -> tcpFlagCount(f, FLAG_FIN)),
    SYN_COUNT("syn_flag_count", "packets", 1, "TCP packets with SYN", f -> tcpFlagCount(f, FLAG_SYN)),
    RST_COUNT("rst_flag_count", "packets", 1, "TCP packets with RST", f -> tcpFlagCount(f, FLAG_RST)),
    PSH_COUNT("psh_flag_count", "packets", 1, "TCP packets with PSH", f -> tcpFlagCount(f, FLAG_PSH)),
    ACK_COUNT("ack_flag_count", "packets", 1, "TCP packets with ACK", f -> tcpFlagCount(f, FLAG_ACK)),
    URG_COUNT("urg_flag_count", "packets", 1, "TCP packets with URG", f -> tcpFlagCount(f, FLAG_URG)),
    ECE_COUNT("ece_flag_count", "packets", 1, "TCP packets with ECE", f -> tcpFlagCount(f, FLAG_ECE)),
    CWR_COUNT("cwr_flag_count", "packets", 1, "TCP packets with CWR", f -> tcpFlagCount(f, FLAG_CWR)),
    FWD_INIT_WIN("fwd_init_win_bytes", "bytes", 1, "TCP window of the initiator's first packet",
            f -> u16(f, dirOffset(FWD) + D_INIT_WINDOW)),
    BWD_INIT_WIN("bwd_init_win_bytes", "bytes", 1, "TCP window of the responder's first packet",
            f -> u16(f, dirOffset(BWD) + D_INIT_WINDOW)),
    FWD_HEADER_BYTES("fwd_header_bytes", "bytes", 1, "IP + transport header bytes from the initiator",
            f -> u64(f, dirOffset(FWD) + D_HEADER_BYTES)),
    BWD_HEADER_BYTES("bwd_header_bytes", "bytes", 1, "IP + transport header bytes to the initiator",
            f -> u64(f, dirOffset(BWD) + D_HEADER_BYTES)),

    HS_LEN_MEAN("hs_len_mean", "bytes", 65536, "running mean of normalised length (Hara & Sasabe; docs/flows.md)", f -> u64(f, RUN_LEN + RUN_MEAN)),
    HS_LEN_MAD("hs_len_mad", "bytes", 65536, "running mean absolute deviation of normalised length", f -> u64(f, RUN_LEN + RUN_MAD)),
    HS_IAT_MEAN("hs_iat_mean", "us", 65536, "running mean of the inter-arrival time", f -> u64(f, RUN_IAT + RUN_MEAN)),
    HS_IAT_MAD("hs_iat_mad", "us", 65536, "running mean absolute deviation of the inter-arrival time",
            f -> u64(f, RUN_IAT + RUN_MAD)),
    HS_DIR_MEAN("hs_dir_mean", "fraction forward", 65536, "running mean of direction (1 = from the initiator)",
            f -> u64(f, RUN_DIR + RUN_MEAN)),
    HS_DIR_MAD("hs_dir_mad", "fraction", 65536, "running mean absolute deviation of direction", f -> u64(f, RUN_DIR + RUN_MAD));

    private final String columnName;
    private final String unit;
    private final int scale;
    private final String description;
    private final ToLongFunction<MemorySegment> extractor;

    FlowFeature(String columnName, String unit, int scale, String description, ToLongFunction<MemorySegment> extractor) {
        this.columnName = columnName;
        this.unit = unit;
        this.scale = scale;
        this.description = description;
        this.extractor = extractor;
    }

    /** Name in the CSV, the model file and the docs. */
    public String columnName() {
        return columnName;
    }

    public String unit() {
        return unit;
    }

    /** The value divided by this is in {@link #unit()}. */
    public int scale() {
        return scale;
    }

    public String description() {
        return description;
    }

    /** The feature of a flow state ({@link FlowLayout}). */
    public long of(MemorySegment state) {
        return extractor.applyAsLong(state);
    }

    private static long total(MemorySegment f) {
        return u64(f, dirOffset(FWD) + D_PACKETS) + u64(f, dirOffset(BWD) + D_PACKETS);
    }

    static long mean(long sum, long count) {
        return count <= 0 ? 0 : Long.divideUnsigned(sum, count);
    }

    static long var(long sum, long sumSq, long count) {
        if (count <= 0) {
            return 0;
        }
        long m = Long.divideUnsigned(sum, count);
        long e2 = Long.divideUnsigned(sumSq, count);
        long m2 = Long.compareUnsigned(m, 0xffff_ffffL) > 0 ? -1L : m * m; // saturating, as flow.h
        return Long.compareUnsigned(e2, m2) > 0 ? e2 - m2 : 0;
    }

    private static long lenMean(MemorySegment f, int d) {
        return mean(u64(f, dirOffset(d) + D_BYTES), u64(f, dirOffset(d) + D_PACKETS));
    }

    private static long lenVar(MemorySegment f, int d) {
        return var(u64(f, dirOffset(d) + D_BYTES), u64(f, dirOffset(d) + D_LEN_SUM_SQ), u64(f, dirOffset(d) + D_PACKETS));
    }

    private static long iatMean(MemorySegment f, int d) {
        return mean(u64(f, dirOffset(d) + D_IAT_SUM_US), dirIntervals(f, d));
    }

    private static long iatVar(MemorySegment f, int d) {
        return var(u64(f, dirOffset(d) + D_IAT_SUM_US), u64(f, dirOffset(d) + D_IAT_SUM_SQ), dirIntervals(f, d));
    }

    private static long dirIntervals(MemorySegment f, int d) {
        return intervals(u64(f, dirOffset(d) + D_PACKETS), u32(f, dirOffset(d) + D_UNTIMED));
    }

    /**
     * The intervals in the timing statistics of {@code packets} packets, {@code untimed} of them
     * counted while the flow's class was cached ({@link FlowLayout#UNTIMED}): packets - 1 - untimed,
     * none below two packets.
     */
    static long intervals(long packets, long untimed) {
        return Long.compareUnsigned(packets, 1 + untimed) > 0 ? packets - 1 - untimed : 0;
    }

    /**
     * Whether the feature is a time (duration, inter-arrival times and their statistics): it needs
     * the precise clock, not the coarse one (docs/flows.md, "Clock").
     */
    public boolean needsPreciseClock() {
        return unit().startsWith("us");
    }

    /** Those of a model's {@code inputs} (names) that are features needing the precise clock, in their order. */
    public static List<String> needingPreciseClock(List<String> inputs) {
        return inputs.stream()
                .filter(n -> Arrays.stream(values()).anyMatch(f -> f.columnName().equals(n) && f.needsPreciseClock()))
                .toList();
    }
}
