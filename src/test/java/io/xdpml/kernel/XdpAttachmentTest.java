package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * XDP attach/replace/detach on a veth pair inside a namespace the test creates (and always
 * deletes); frames sent with an AF_PACKET socket from the peer are counted by the program.
 */
class XdpAttachmentTest {
    NetworkNamespace ns;
    BpfObject obj;
    Arena arena;

    @BeforeEach
    void setUp() {
        KernelAssumptions.assumeBpf();
        arena = Arena.ofShared();
        ns = NetworkNamespace.create("xdpml-test");
        ns.createVethPair("xa", "xb");
        obj = BpfObject.openResource("/bpf/maps.bpf.o");
        obj.load();
    }

    @AfterEach
    void tearDown() {
        String name = ns == null ? null : ns.name();
        try {
            if (obj != null) obj.close();
        } finally {
            if (ns != null) ns.close();
            if (arena != null) arena.close();
        }
        if (name != null) assertThat(NetworkNamespace.command("ip", "netns", "list")).doesNotContain(name);
    }

    private long counter(int slot) {
        return obj.map("arr").lookupLong(slot, arena.allocate(8), 0);
    }

    private void awaitCounter(int slot, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (counter(slot) < expected && System.nanoTime() < deadline) Thread.sleep(5);
        Thread.sleep(20); // nothing more may arrive
        assertThat(counter(slot)).as("arr[%d]", slot).isEqualTo(expected);
    }

    private void sendFrames(int count) {
        ns.run(() -> {
            try (PacketSocket s = PacketSocket.open("xa")) {
                MemorySegment f = KernelAssumptions.frame(arena, 60);
                for (int i = 0; i < count; i++) s.send(f, 60);
            }
            return null;
        });
    }

    @Test
    void nativeOnVethCountsFramesReplacesAtomicallyAndDetaches() throws Exception {
        BpfProgram a = obj.program("count_a"), b = obj.program("count_b");
        int xb = ns.run(() -> Interfaces.indexOf("xb"));
        XdpAttachment att = ns.run(() -> XdpAttachment.attach(a, xb, XdpMode.AUTO));
        assertThat(att.mode()).isEqualTo(XdpMode.NATIVE);
        assertThat(att.fallbackReason()).isNull();
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.NATIVE))).hasValue(a.id());

        // a second attach does not silently replace ours
        assertThatThrownBy(() -> ns.run(() -> XdpAttachment.attach(b, xb, XdpMode.NATIVE)))
                .isInstanceOf(KernelException.class).hasMessageContaining("bpf_xdp_attach(ifindex=" + xb)
                .hasMessageContaining("errno 16"); // EBUSY

        sendFrames(10);
        awaitCounter(0, 10);

        att.replace(b); // called from the test thread: runs in the namespace
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.NATIVE))).hasValue(b.id());
        sendFrames(5);
        awaitCounter(1, 5);
        assertThat(counter(0)).isEqualTo(10);

        att.close();
        att.close(); // idempotent
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.AUTO))).isEmpty();
        sendFrames(3);
        Thread.sleep(50);
        assertThat(counter(0) + counter(1)).isEqualTo(15);
    }

    @Test
    void genericModeWorksAndCloseLeavesAForeignProgramAlone() throws Exception {
        BpfProgram a = obj.program("count_a"), b = obj.program("count_b");
        int xb = ns.run(() -> Interfaces.indexOf("xb"));
        XdpAttachment att = ns.run(() -> XdpAttachment.attach(a, xb, XdpMode.GENERIC));
        assertThat(att.mode()).isEqualTo(XdpMode.GENERIC);
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.GENERIC))).hasValue(a.id());
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.NATIVE))).isEmpty();
        sendFrames(7);
        awaitCounter(0, 7);

        // someone else swaps in their program: our close() must not detach it
        ns.run(() -> {
            try (Arena x = Arena.ofConfined()) {
                MemorySegment opts = x.allocate(16, 8);
                opts.set(JAVA_LONG, 0, 16);
                opts.set(JAVA_INT, 8, a.fd());
                return KernelException.check(Native.xdpAttach(xb, b.fd(),
                        XdpAttachment.XDP_FLAGS_REPLACE | XdpAttachment.XDP_FLAGS_SKB_MODE, opts), "foreign replace");
            }
        });
        att.close();
        OptionalInt still = ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.GENERIC));
        assertThat(still).hasValue(b.id());
        ns.run(() -> Native.xdpDetach(xb, XdpAttachment.XDP_FLAGS_SKB_MODE, null));
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(xb, XdpMode.AUTO))).isEmpty();
    }

    @Test
    void liveFramesFromTestRunReachThePeer() throws Exception {
        int xa = ns.run(() -> Interfaces.indexOf("xa"));
        int xb = ns.run(() -> Interfaces.indexOf("xb"));
        try (XdpAttachment att = ns.run(() -> XdpAttachment.attach(obj.program("count_a"), xb, XdpMode.NATIVE))) {
            int rc = ns.run(() -> {
                try (TestRun tx = obj.program("tx_prog").testRun().withIngress(xa, 0).withLiveFrames(64)) {
                    return tx.run(KernelAssumptions.frame(arena, 64), 64, 1000);
                }
            });
            assertThat(rc).isZero(); // live mode reports no return code
            awaitCounter(0, 1000);
            assertThat(att.mode()).isEqualTo(XdpMode.NATIVE);
        }
    }

    @Test
    void autoFallsBackToGenericWhereNativeIsUnsupportedAndTheHookDetaches() {
        // loopback has no native XDP: AUTO must fall back to generic and say why
        int lo = ns.run(() -> Interfaces.indexOf("lo"));
        XdpAttachment att = ns.run(() -> XdpAttachment.attach(obj.program("count_a"), lo, XdpMode.AUTO));
        assertThat(att.mode()).isEqualTo(XdpMode.GENERIC);
        assertThat(att.fallbackReason()).startsWith("bpf_xdp_attach(ifindex=" + lo + ", prog=count_a, flags=UPDATE_IF_NOEXIST|DRV_MODE): ")
                .contains("errno ");
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(lo, XdpMode.GENERIC))).isPresent();
        XdpAttachment.detachAll(); // what the shutdown hook runs
        assertThat(ns.run(() -> XdpAttachment.attachedProgramId(lo, XdpMode.AUTO))).isEmpty();
        assertThat(att.toString()).contains("closed");
    }

    @Test
    void errorsNameTheCallAndErrno() {
        BpfProgram a = obj.program("count_a");
        assertThatThrownBy(() -> XdpAttachment.attach(a, 999_999, XdpMode.NATIVE))
                .isInstanceOfSatisfying(KernelException.class, e -> {
                    assertThat(e.call()).isEqualTo("bpf_xdp_attach(ifindex=999999, prog=count_a, flags=UPDATE_IF_NOEXIST|DRV_MODE)");
                    assertThat(e.errno()).isEqualTo(19);
                    assertThat(e.getMessage()).endsWith("No such device (errno 19)");
                });
        assertThatThrownBy(() -> ns.run(() -> Interfaces.indexOf("nope0")))
                .isInstanceOf(KernelException.class).hasMessageStartingWith("if_nametoindex(nope0): No such device");
        // the veth exists in the namespace only
        assertThatThrownBy(() -> Interfaces.indexOf("xa")).isInstanceOf(KernelException.class);
    }
}
