package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * An XDP program attached through a BPF link ({@code bpf_link_create}, attach type BPF_XDP).
 * Unlike a netlink attachment, a link pinned in bpffs keeps the program attached after the
 * process exits, and removing the pin (with no other holder) detaches it: what {@code xdpml fw
 * load} and {@code fw clear} need.
 */
public final class XdpLink implements AutoCloseable {
    /** enum bpf_attach_type BPF_XDP. */
    private static final int BPF_XDP = 37;

    private int fd;
    private final int ifindex;

    private XdpLink(int fd, int ifindex) {
        this.fd = fd;
        this.ifindex = ifindex;
    }

    /** Attaches {@code prog} to {@code ifindex} (native mode where the driver has it, else generic). */
    public static XdpLink attach(BpfProgram prog, int ifindex) {
        return attach(prog, ifindex, XdpMode.AUTO);
    }

    /**
     * Attaches in {@code mode}: AUTO lets the kernel choose (native where the driver has it);
     * NATIVE or GENERIC ask for that mode (XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE in the link's
     * flags), and fail when the driver cannot.
     */
    public static XdpLink attach(BpfProgram prog, int ifindex, XdpMode mode) {
        int rc;
        if (mode == XdpMode.AUTO) {
            rc = Native.linkCreate(prog.fd(), ifindex, BPF_XDP, null);
        } else {
            try (Arena a = Arena.ofConfined()) {
                // struct bpf_link_create_opts: size_t sz, __u32 flags, ...; a smaller sz is an older
                // caller to libbpf, the fields past it read as zero
                MemorySegment opts = a.allocate(64, 8);
                opts.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 16);
                opts.set(java.lang.foreign.ValueLayout.JAVA_INT, 8, mode.flag);
                rc = Native.linkCreate(prog.fd(), ifindex, BPF_XDP, opts);
            }
        }
        String call = "bpf_link_create(prog=" + prog.name() + ", ifindex=" + ifindex + ", BPF_XDP, " + mode + ")";
        if (rc == -EBUSY) {
            throw new KernelException(call, EBUSY, busy(ifindex));
        }
        return new XdpLink(KernelException.check(rc, call), ifindex);
    }

    private static final int EBUSY = 16;

    /** What to tell a user whose attach found the interface taken: who has it and what to do. */
    static String busy(int ifindex) {
        String name = Interfaces.nameOf(ifindex);
        String holder = XdpAttachment.attachedProgramId(ifindex, XdpMode.AUTO).stream()
                .mapToObj(id -> "program id " + id).findFirst().orElse("another program");
        return "  " + name + " already has an XDP program (" + holder + "; 'bpftool net show dev " + name + "' names it)."
                + " An interface takes one XDP program: run the firewall, the model, sampling and blocks as stages of one"
                + " agent ('xdpml run --config FILE'). If it is an xdpml agent, 'xdpml status --iface " + name + "' shows it;"
                + " if it is 'xdpml fw load', 'xdpml fw clear' removes it; otherwise 'ip link set dev " + name + " xdp off'.";
    }

    /** Attaches the program pinned at {@code programPin} (e.g. by an earlier process) to {@code ifindex}. */
    public static XdpLink attachPinned(Path programPin, int ifindex) {
        try (Arena a = Arena.ofConfined()) {
            int prog = KernelException.check(Native.objGet(a.allocateFrom(programPin.toString())), "bpf_obj_get(" + programPin + ")");
            try {
                int rc = Native.linkCreate(prog, ifindex, BPF_XDP, null);
                String call = "bpf_link_create(prog=" + programPin + ", ifindex=" + ifindex + ", BPF_XDP)";
                if (rc == -EBUSY) {
                    throw new KernelException(call, EBUSY, busy(ifindex));
                }
                return new XdpLink(KernelException.check(rc, call), ifindex);
            } finally {
                Native.close(prog);
            }
        }
    }

    public int ifindex() { return ifindex; }

    /** Pins the link: it outlives this process until the pin is removed. */
    public void pin(Path path) {
        try (Arena a = Arena.ofConfined()) {
            KernelException.check(Native.objPin(fd, a.allocateFrom(path.toString())), "bpf_obj_pin(link, " + path + ")");
        }
    }

    /** Closes this process's reference; the program stays attached only if the link is pinned. */
    @Override
    public void close() {
        if (fd >= 0) {
            Native.close(fd);
            fd = -1;
        }
    }
}
