package io.xdpml.flow;

import java.io.PrintWriter;

/**
 * The flow CSV, a stable interface for scripts: the columns {@code src_addr, src_port, dst_addr,
 * dst_port, protocol, first_ns, last_ns, fwd_packets, bwd_packets, fwd_bytes, bwd_bytes} (src =
 * the flow's initiator; bytes = whole frame lengths as captured), then every {@link FlowFeature}
 * by its column name, then {@code ip_version, vlan, vni, end_reason} ({@link FlowReason#label()}:
 * why the flow ended, docs/flows.md).
 */
public final class FlowCsv {
    public static final String[] KEY_COLUMNS = {"src_addr", "src_port", "dst_addr", "dst_port", "protocol", "first_ns",
        "last_ns", "fwd_packets", "bwd_packets", "fwd_bytes", "bwd_bytes"};
    public static final String[] TRAILING_COLUMNS = {"ip_version", "vlan", "vni", "end_reason"};

    private FlowCsv() {}

    public static String header() {
        StringBuilder b = new StringBuilder(String.join(",", KEY_COLUMNS));
        for (FlowFeature f : FlowFeature.values()) {
            b.append(',').append(f.columnName());
        }
        for (String c : TRAILING_COLUMNS) {
            b.append(',').append(c);
        }
        return b.toString();
    }

    /** One listed flow. */
    public static void row(PrintWriter out, EndedFlow f) {
        row(out, f.view(), f.reason());
    }

    public static void row(PrintWriter out, FlowRecord r, FlowReason endReason) {
        out.print(r.sourceAddress().getHostAddress());
        out.print(',');
        out.print(r.sourcePort());
        out.print(',');
        out.print(r.destinationAddress().getHostAddress());
        out.print(',');
        out.print(r.destinationPort());
        out.print(',');
        out.print(r.protocol());
        out.print(',');
        out.print(Long.toUnsignedString(r.firstNanos()));
        out.print(',');
        out.print(Long.toUnsignedString(r.lastNanos()));
        for (int d = 0; d < 2; d++) {
            out.print(',');
            out.print(r.packets(d == 0 ? FlowLayout.FWD : FlowLayout.BWD));
        }
        for (int d = 0; d < 2; d++) {
            out.print(',');
            out.print(r.bytes(d == 0 ? FlowLayout.FWD : FlowLayout.BWD));
        }
        for (FlowFeature f : FlowFeature.values()) {
            out.print(',');
            out.print(Long.toUnsignedString(r.feature(f)));
        }
        out.print(',');
        out.print(r.ipVersion());
        out.print(',');
        out.print(r.vlan());
        out.print(',');
        out.print(r.vni());
        out.print(',');
        out.println(endReason.label());
    }
}
