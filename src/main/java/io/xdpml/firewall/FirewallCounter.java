package io.xdpml.firewall;

/**
 * The firewall's counters, with the ids of {@code enum xdpml_fw_counter} in
 * {@code bpf/include/xdpml/firewall.h} (FirewallHeaderTest holds the two together). Every packet
 * is counted in {@link #PACKETS} and in exactly one verdict reason; the events (conntrack entries
 * created, failed inserts) come on top.
 */
public enum FirewallCounter {
    PACKETS(0, "packets", "XDPML_FWC_PACKETS", Kind.TOTAL),
    PASS_NOT_IP(1, "pass_not_ip", "XDPML_FWC_PASS_NOT_IP", Kind.PASS),
    PASS_MALFORMED(2, "pass_malformed", "XDPML_FWC_PASS_MALFORMED", Kind.PASS),
    PASS_CONNTRACK(3, "pass_conntrack", "XDPML_FWC_PASS_CONNTRACK", Kind.PASS),
    PASS_ALLOW_LIST(4, "pass_allow_list", "XDPML_FWC_PASS_ALLOW_LIST", Kind.PASS),
    PASS_RULE(5, "pass_rule", "XDPML_FWC_PASS_RULE", Kind.PASS),
    PASS_DEFAULT(6, "pass_default", "XDPML_FWC_PASS_DEFAULT", Kind.PASS),
    DROP_MALFORMED(7, "drop_malformed", "XDPML_FWC_DROP_MALFORMED", Kind.DROP),
    DROP_DENY_LIST(8, "drop_deny_list", "XDPML_FWC_DROP_DENY_LIST", Kind.DROP),
    DROP_RATE_LIMIT(9, "drop_rate_limit", "XDPML_FWC_DROP_RATE_LIMIT", Kind.DROP),
    DROP_SYN_FLOOD(10, "drop_syn_flood", "XDPML_FWC_DROP_SYN_FLOOD", Kind.DROP),
    DROP_CT_INVALID(11, "drop_ct_invalid", "XDPML_FWC_DROP_CT_INVALID", Kind.DROP),
    DROP_CT_STRAY(12, "drop_ct_stray", "XDPML_FWC_DROP_CT_STRAY", Kind.DROP),
    DROP_RULE(13, "drop_rule", "XDPML_FWC_DROP_RULE", Kind.DROP),
    DROP_DEFAULT(14, "drop_default", "XDPML_FWC_DROP_DEFAULT", Kind.DROP),
    DROP_SYN_GLOBAL(15, "drop_syn_global", "XDPML_FWC_DROP_SYN_GLOBAL", Kind.DROP),
    CT_NEW(16, "ct_new", "XDPML_FWC_CT_NEW", Kind.EVENT),
    CT_INSERT_FAILED(17, "ct_insert_failed", "XDPML_FWC_CT_INSERT_FAILED", Kind.EVENT),
    DROP_MEASURE_PORT(18, "drop_measure_port", "XDPML_FWC_DROP_MEASURE_PORT", Kind.DROP),
    DROP_MEASURE_SYN(19, "drop_measure_syn", "XDPML_FWC_DROP_MEASURE_SYN", Kind.DROP),
    SYN_COOKIE(20, "syn_cookie", "XDPML_FWC_SYN_COOKIE", Kind.ANSWER),
    PASS_SYN_COOKIE(21, "pass_syn_cookie", "XDPML_FWC_PASS_SYN_COOKIE", Kind.PASS),
    SYN_COOKIE_UNANSWERED(22, "syn_cookie_unanswered", "XDPML_FWC_SYN_COOKIE_UNANSWERED", Kind.EVENT),
    DROP_OWN_SOURCE(23, "drop_own_source", "XDPML_FWC_DROP_OWN_SOURCE", Kind.DROP),
    DROP_MAPPED_SOURCE(24, "drop_mapped_source", "XDPML_FWC_DROP_MAPPED_SOURCE", Kind.DROP),
    DROP_TUNNEL(25, "drop_tunnel", "XDPML_FWC_DROP_TUNNEL", Kind.DROP),
    /** A RST whose sequence lies far from what its sender sent (since 2026-12-06): not believed, dropped. */
    DROP_CT_RST_WINDOW(26, "drop_ct_rst_window", "XDPML_FWC_DROP_CT_RST_WINDOW", Kind.DROP),
    /** A later fragment dropped with its datagram's first fragment (since 2026-12-07), also counted under that one's drop reason. */
    FRAG_FOLLOWED(27, "frag_followed", "XDPML_FWC_FRAG_FOLLOWED", Kind.EVENT),
    /** A UDP datagram over a udp-limit measure's rate (since 2026-12-07). */
    DROP_MEASURE_UDP(28, "drop_measure_udp", "XDPML_FWC_DROP_MEASURE_UDP", Kind.DROP),
    /** A SYN without TCP options under a bare-syn-drop measure (since 2026-12-07). */
    DROP_MEASURE_BARE(29, "drop_measure_bare", "XDPML_FWC_DROP_MEASURE_BARE", Kind.DROP),
    /** A SYN without TCP options over the bucket of such SYNs of all sources ({@code bare-syn-flood}, since 2026-12-07). */
    DROP_BARE_GLOBAL(30, "drop_bare_global", "XDPML_FWC_DROP_BARE_GLOBAL", Kind.DROP),
    /** ICMP (ICMPv6 but neighbour discovery and multicast listeners) over the bucket of all sources' ({@code icmp-flood}, since 2026-12-07). */
    DROP_ICMP_GLOBAL(31, "drop_icmp_global", "XDPML_FWC_DROP_ICMP_GLOBAL", Kind.DROP);

    /** What a counter counts. ANSWER: the packet went back out as the firewall's answer (XDP_TX). */
    public enum Kind { TOTAL, PASS, DROP, ANSWER, EVENT }

    /** Slots in the kernel's per-CPU counter value ({@code XDPML_FWC_MAX}). */
    public static final int SLOTS = 32;

    private static final FirewallCounter[] BY_ID = new FirewallCounter[SLOTS];

    static {
        for (FirewallCounter c : values()) {
            BY_ID[c.id] = c;
        }
    }

    private final int id;
    private final String jsonName;
    private final String cName;
    private final Kind kind;

    FirewallCounter(int id, String jsonName, String cName, Kind kind) {
        this.id = id;
        this.jsonName = jsonName;
        this.cName = cName;
        this.kind = kind;
    }

    public int id() { return id; }

    public String jsonName() { return jsonName; }

    public String cName() { return cName; }

    public Kind kind() { return kind; }

    public boolean passes() { return kind == Kind.PASS; }

    /** Whether this verdict drops the packet (xdpml_fw_drops, for the ids that are verdicts). */
    public boolean drops() { return kind == Kind.DROP; }

    /**
     * Whether this drop is a limit's, a token bucket's (xdpml_fw_limit_drop): sampled to Java with
     * the rest under mirror delivery and sampling.dropped, as the model's drops are (since 2026-12-07).
     */
    public boolean limitDrop() {
        return this == DROP_RATE_LIMIT || this == DROP_SYN_FLOOD || this == DROP_SYN_GLOBAL || this == DROP_BARE_GLOBAL
                || this == DROP_ICMP_GLOBAL;
    }

    /** The counter with this id, or null. */
    public static FirewallCounter of(int id) {
        return id >= 0 && id < SLOTS ? BY_ID[id] : null;
    }

    /** The counters of {@code values} (indexed by id) that {@code which} takes and that are not 0, by JSON name, in id order. */
    public static java.util.Map<String, Long> nonZero(long[] values, java.util.function.Predicate<FirewallCounter> which) {
        java.util.Map<String, Long> named = new java.util.LinkedHashMap<>();
        for (FirewallCounter f : values()) {
            if (which.test(f) && values[f.id()] != 0) {
                named.put(f.jsonName(), values[f.id()]);
            }
        }
        return named;
    }
}
