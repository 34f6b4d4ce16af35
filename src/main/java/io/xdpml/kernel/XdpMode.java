package io.xdpml.kernel;

/** How an XDP program is attached. */
public enum XdpMode {
    /** Native (driver) mode if the driver supports it, else generic. */
    AUTO(0),
    /** Native/driver mode ({@code XDP_FLAGS_DRV_MODE}). */
    NATIVE(XdpAttachment.XDP_FLAGS_DRV_MODE),
    /** Generic/SKB mode ({@code XDP_FLAGS_SKB_MODE}): works everywhere, slower. */
    GENERIC(XdpAttachment.XDP_FLAGS_SKB_MODE);

    final int flag;

    XdpMode(int flag) { this.flag = flag; }
}
