package io.xdpml.dataplane;

import io.xdpml.kernel.BpfObject;

/**
 * How a user of the composed program (the processor, the agent) sets up the stages before the
 * sample and deliver stages, which the user owns: which are on, their constants and map sizes
 * before load, and their first configuration after load, before the program is attached (so no
 * packet ever meets an empty firewall or model).
 */
public interface DataPlaneSetup {
    /** The blocks stage alone before sampling: what {@code xdpml run} always had. */
    DataPlaneSetup BLOCKS_ONLY = new DataPlaneSetup() {
        @Override
        public Stages stages() {
            return Stages.none().withBlocks(true);
        }
    };

    /** Blocks, firewall, flow and model flags; sampling and delivery are set by the user. */
    Stages stages();

    /** Before load: constants and map sizes of these stages. */
    default void configure(BpfObject opened) {}

    /** How to attach: AUTO (native where the driver has it, else generic), NATIVE or GENERIC. */
    default io.xdpml.kernel.XdpMode mode() {
        return io.xdpml.kernel.XdpMode.AUTO;
    }

    /**
     * The UDP port the program's parse decodes as VXLAN ({@code configure} sets it; 0: none): Java
     * parses the packets it is handed with the same, so that what it keys (a flow to block, the
     * detectors' addresses) is what the kernel keys.
     */
    default int vxlanPort() {
        return io.xdpml.packet.TransportHeaders.VXLAN_DEFAULT_PORT;
    }

    /** After load, before attach: install the stages' configuration. */
    default void loaded(BpfObject loaded) {}
}
