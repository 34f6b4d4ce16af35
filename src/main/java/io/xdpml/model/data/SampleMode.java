package io.xdpml.model.data;

/**
 * Which packets of a capture become samples: every packet (the model classifies each packet,
 * as Hara &amp; Sasabe do), or one per flow at its N-th packet (the model classifies a flow once
 * and the kernel caches the verdict in the flow entry).
 *
 * @param flowPacket 0 for every packet, else N
 */
public record SampleMode(int flowPacket) {
    public static final SampleMode EVERY_PACKET = new SampleMode(0);

    public SampleMode {
        if (flowPacket < 0) {
            throw new IllegalArgumentException("flow packet must be >= 1: " + flowPacket);
        }
    }

    public boolean everyPacket() {
        return flowPacket == 0;
    }

    /** "packet" or "flow:N". */
    public static SampleMode parse(String s) {
        if (s.equals("packet")) {
            return EVERY_PACKET;
        }
        if (s.startsWith("flow:")) {
            try {
                int n = Integer.parseInt(s.substring(5));
                if (n >= 1) {
                    return new SampleMode(n);
                }
            } catch (NumberFormatException e) {
                // fall through to the message
            }
        }
        throw new IllegalArgumentException("mode must be 'packet' or 'flow:N' with N >= 1, not '" + s + "'");
    }

    @Override
    public String toString() {
        return everyPacket() ? "packet" : "flow:" + flowPacket;
    }
}
