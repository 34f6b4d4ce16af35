package io.xdpml.model.classify;

/**
 * When packets are classified ({@code enum xdpml_model_mode} in model.h): every packet from its
 * flow's features after the update (as Hara &amp; Sasabe do), or a flow once at its N-th packet
 * with the class cached in the flow entry for the packets after it (packets before the N-th
 * have no class).
 */
public record ClassifyMode(boolean perFlow, int flowPacket) {
    public static final ClassifyMode EVERY_PACKET = new ClassifyMode(false, 0);

    public ClassifyMode {
        if (perFlow && flowPacket < 1) {
            throw new IllegalArgumentException("flow mode needs N >= 1, not " + flowPacket);
        }
    }

    /** Classify each flow at its N-th packet and cache the class. */
    public static ClassifyMode atFlowPacket(int n) {
        return new ClassifyMode(true, n);
    }

    /** "packet" or "flow:N". */
    public static ClassifyMode parse(String s) {
        if (s.equals("packet")) {
            return EVERY_PACKET;
        }
        if (s.startsWith("flow:")) {
            try {
                return atFlowPacket(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("mode must be 'packet' or 'flow:N' (N >= 1), not '" + s + "'");
    }

    @Override
    public String toString() {
        return perFlow ? "flow:" + flowPacket : "packet";
    }
}
