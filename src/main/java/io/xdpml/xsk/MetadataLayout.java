package io.xdpml.xsk;

import io.xdpml.kernel.XdpFeatures;

/**
 * Where the composed program's deliver stage puts {@code struct xdpml_xsk_meta} (16 bytes,
 * {@link XskMetadata}) for a frame it redirects to an AF_XDP socket (deliver.h, docs/xsk.md).
 * The loader decides ({@link XskProgram}, from {@link #forThisKernel()}), and tells its sockets at
 * {@link XskProgram#register}; {@link XskFrame} then points the metadata and the packet.
 */
public enum MetadataLayout {
    /**
     * {@code bpf_xdp_adjust_meta}: the metadata in the headroom, ending where the frame begins; the
     * RX descriptor points at the packet.
     */
    BEFORE_FRAME,
    /**
     * {@code bpf_xdp_adjust_head(-16)}, for kernels that refuse bpf_xdp_adjust_meta: the RX
     * descriptor's frame begins with the metadata and the packet follows it ({@code cfg_meta_in_head}).
     */
    IN_FRAME;

    /** {@link #BEFORE_FRAME} when the kernel lets XDP programs call bpf_xdp_adjust_meta, else {@link #IN_FRAME}. */
    public static MetadataLayout forThisKernel() {
        return XdpFeatures.adjustMetaAllowed() ? BEFORE_FRAME : IN_FRAME;
    }

    /** The value of the program's {@code cfg_meta_in_head}. */
    public int constant() {
        return this == IN_FRAME ? 1 : 0;
    }
}
