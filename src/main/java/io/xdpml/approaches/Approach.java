package io.xdpml.approaches;

/** Where the model runs, and how the frames reach it. */
public enum Approach {
    /** The composed pipeline (parse, flow, model) in XDP on the receiving veth. */
    XDP("xdp", "in the kernel: parse, flow table and model in the XDP program"),
    /** XDP redirects every frame to an AF_XDP socket per queue; Java parses, tracks and classifies. */
    AF_XDP("af_xdp", "Java behind AF_XDP (copy mode): XDP redirects every frame, Java parses, tracks, classifies"),
    /** No XDP work (XDP_PASS); a TPACKET_V3 ring per queue, as libpcap reads; Java parses, tracks and classifies. */
    AF_PACKET("af_packet", "Java behind an AF_PACKET TPACKET_V3 ring (what libpcap uses), XDP_PASS");

    private final String key;
    private final String description;

    Approach(String key, String description) {
        this.key = key;
        this.description = description;
    }

    public String key() {
        return key;
    }

    public String description() {
        return description;
    }
}
