package io.xdpml.dataplane;

/**
 * What the data plane did with one packet (struct xdpml_result in pipeline.h, which the kernel
 * keeps in test mode): the XDP action, the stage that decided and why, and what the stages on the
 * way said. Mutable and reused, one per engine: valid until the next packet.
 */
public final class PacketResult {
    public static final int XDP_ABORTED = 0;
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_TX = 3;
    public static final int XDP_REDIRECT = 4;
    /** fwReason when the firewall did not judge the packet. */
    public static final int NO_FIREWALL = 0xffff;
    /** Blocks stage reasons. */
    public static final int BLOCK_SOURCE = 1;
    public static final int BLOCK_FLOW = 2;
    /** The parse stopped short of what Linux reaches while blocks exist (an IPv6 extension chain, a header past the parser's reach, a fifth VLAN tag): {@link JavaBlocks.Reason#UNREADABLE}. */
    public static final int BLOCK_UNREADABLE = 3;

    int action;
    Stage stage;
    int reason;
    int fwReason;
    int cls;
    int confidence;
    boolean sampled;
    boolean delivered;
    boolean firstPick;

    void reset() {
        fwReason = NO_FIREWALL;
        cls = -1;
        confidence = 0;
        sampled = false;
        delivered = false;
        firstPick = false;
        reason = 0;
    }

    void leave(int action, Stage stage, int reason) {
        this.action = action;
        this.stage = stage;
        this.reason = reason;
    }

    /** The XDP action. */
    public int action() { return action; }

    /** The stage that dropped the packet, {@link Stage#DELIVER} when it was redirected to AF_XDP, else {@link Stage#END}. */
    public Stage stage() { return stage; }

    /** Blocks: {@link #BLOCK_SOURCE}, {@link #BLOCK_FLOW} or {@link #BLOCK_UNREADABLE}; firewall: its verdict reason; model: the class; else 0. */
    public int reason() { return reason; }

    /** The firewall's verdict reason (io.xdpml.firewall.FirewallCounter id), {@link #NO_FIREWALL} when it did not judge. */
    public int fwReason() { return fwReason; }

    /** The model's class, -1 for none. */
    public int cls() { return cls; }

    /** The class's confidence in thousandths, 0 for none. */
    public int confidence() { return confidence; }

    /** The sample stage chose it (or a model class sent it to Java). */
    public boolean sampled() { return sampled; }

    /** It, or its copy, reached Java's ring or socket. */
    public boolean delivered() { return delivered; }

    /** Not sampled, but chosen as the first packet of its direction of its flow (the first-packet pick; {@link #delivered()}: copied). */
    public boolean firstPick() { return firstPick; }

    public boolean sameAs(PacketResult o) {
        return action == o.action && stage == o.stage && reason == o.reason && fwReason == o.fwReason && cls == o.cls
                && confidence == o.confidence && sampled == o.sampled && delivered == o.delivered
                && firstPick == o.firstPick;
    }

    @Override
    public String toString() {
        return "action=" + action + " stage=" + (stage == null ? "?" : stage.key()) + " reason=" + reason + " fw=" + fwReason
                + " class=" + cls + " confidence=" + confidence + " sampled=" + sampled + " delivered=" + delivered
                + " first=" + firstPick;
    }
}
