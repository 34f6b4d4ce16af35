package io.xdpml.kernel;

import java.util.Optional;

/**
 * Whether this process can use BPF: root, libbpf.so.1 loadable, a working bpf() syscall (XDP
 * programs loadable), bpffs available (mounted if needed). Tests call
 * {@code assumeTrue(BpfSupport.unavailableReason().isEmpty(), ...)} so they skip with the reason.
 */
public final class BpfSupport {
    private BpfSupport() {}

    /** BPF_PROG_TYPE_XDP. */
    static final int BPF_PROG_TYPE_XDP = 6;
    private static volatile Optional<String> cached;

    /** Empty when BPF is usable, otherwise why not. Computed once. */
    public static Optional<String> unavailableReason() {
        Optional<String> r = cached;
        if (r == null) {
            r = Optional.ofNullable(probe());
            cached = r;
        }
        return r;
    }

    private static String probe() {
        if (!"Linux".equals(System.getProperty("os.name"))) return "not Linux";
        try {
            if (!Native.libbpfAvailable()) return "libbpf.so.1 not loadable: " + Native.libbpfError();
            if (Native.geteuid() != 0) return "not running as root (euid " + Native.geteuid() + ")";
            int rc = Native.probeProgType(BPF_PROG_TYPE_XDP);
            if (rc < 0) return "bpf() syscall does not work: " + KernelException.format("libbpf_probe_bpf_prog_type(XDP)", -rc);
            if (rc == 0) return "kernel does not support XDP programs";
            BpfFs.ensureMounted();
            return null;
        } catch (Throwable t) {
            return "BPF unavailable: " + t;
        }
    }
}
