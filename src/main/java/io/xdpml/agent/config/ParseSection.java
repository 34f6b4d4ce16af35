package io.xdpml.agent.config;

/**
 * The parse stage (always on).
 *
 * @param vxlanPort UDP destination port whose packets are decoded as VXLAN, inner frame included; 0: none are
 */
public record ParseSection(int vxlanPort) {
    public static final int DEFAULT_VXLAN_PORT = 4789;

    public ParseSection {
        if (vxlanPort < 0 || vxlanPort > 65535) {
            throw new IllegalArgumentException("vxlan-port must be 0 to 65535, not " + vxlanPort);
        }
    }

    public static ParseSection defaults() {
        return new ParseSection(DEFAULT_VXLAN_PORT);
    }

    String describe() {
        return "parse: on (" + (vxlanPort == 0 ? "VXLAN not decoded" : "vxlan-port " + vxlanPort) + ")";
    }
}
