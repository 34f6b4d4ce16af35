package io.xdpml.kernel;

/**
 * A failed kernel, libbpf or libc call. The message names the call with its arguments and the
 * errno text, e.g. {@code bpf_xdp_attach(ifindex=7, flags=DRV_MODE): Operation not supported
 * (errno 95)}.
 */
public class KernelException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int errno;

    /**
     * @param call  the call with its arguments, e.g. {@code bpf_obj_get(/sys/fs/bpf/x)}
     * @param errno the positive errno value (0 when not applicable)
     */
    public KernelException(String call, int errno) {
        this(call, errno, null);
    }

    /** Same, with extra detail appended to the message on a new line. */
    protected KernelException(String call, int errno, String detail) {
        super(format(call, errno) + (detail == null || detail.isEmpty() ? "" : "\n" + detail));
        this.call = call;
        this.errno = errno;
    }

    static String format(String call, int errno) {
        if (errno == 0) return call + ": failed";
        return call + ": " + Native.strerror(errno) + " (errno " + errno + ")";
    }

    /** Builds the exception from a libbpf {@code -errno} return value or a positive errno. */
    static KernelException of(String call, int rcOrErrno) {
        return new KernelException(call, Math.abs(rcOrErrno));
    }

    /** Throws when {@code rc < 0} (libbpf's -errno convention); returns rc otherwise. */
    static int check(int rc, String call) {
        if (rc < 0) throw of(call, rc);
        return rc;
    }

    /** The failing call with its arguments. */
    public String call() { return call; }

    /** The errno (positive), 0 when unknown. */
    public int errno() { return errno; }
}
