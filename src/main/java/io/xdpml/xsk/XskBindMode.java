package io.xdpml.xsk;

/** How a socket binds to its queue. */
public enum XskBindMode {
    /** Zero-copy when the driver supports it, else copy mode (the reason is kept). */
    AUTO,
    /** Zero-copy or fail (veth: EOPNOTSUPP). */
    ZERO_COPY,
    /** Copy mode: the kernel copies each frame into the UMEM. */
    COPY
}
