package io.xdpml.firewall;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A firewall in the middle of a wire: a namespace of the test's own with a veth pair
 * ({@code xdpml0} "inside", {@code xdpml1} "outside"), one firewall program (real clock) attached
 * natively to BOTH ends with shared maps, so it sees both directions, as on a gateway. Frames sent
 * on one end are judged by the program on the other end; a packet socket on each end sees what
 * passed. Must be used on the namespace's thread ({@link NetworkNamespace#run}).
 */
final class VethRig implements AutoCloseable {
    static final String INSIDE = "xdpml0";
    static final String OUTSIDE = "xdpml1";
    /** Every test frame carries this in its payload; receivers count only these. */
    static final byte[] MARK = "XDPML-FW-TEST".getBytes();

    final FirewallProgram program;
    private final XdpAttachment inAtt;
    private final XdpAttachment outAtt;
    private final PacketSocket inSock;
    private final PacketSocket outSock;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(9216);

    VethRig(FirewallProgram.Limits limits) {
        program = FirewallProgram.load(limits, 4789, false);
        inAtt = XdpAttachment.attach(program.program(), Interfaces.indexOf(INSIDE), XdpMode.NATIVE);
        outAtt = XdpAttachment.attach(program.program(), Interfaces.indexOf(OUTSIDE), XdpMode.NATIVE);
        inSock = PacketSocket.open(INSIDE);
        outSock = PacketSocket.open(OUTSIDE);
    }

    /** Sent on the inside end: judged when it arrives at the outside end. */
    void fromInside(byte[] frame) {
        send(inSock, frame);
    }

    /** Sent on the outside end: judged when it arrives at the inside end. */
    void fromOutside(byte[] frame) {
        send(outSock, frame);
    }

    private void send(PacketSocket s, byte[] frame) {
        MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
        s.send(buf, frame.length);
    }

    /** Marked frames that arrived at the inside end (sent from outside and passed) since the last call. */
    int arrivedInside() {
        return drain(inSock);
    }

    int arrivedOutside() {
        return drain(outSock);
    }

    /**
     * Counts marked frames on a socket until it is quiet for 200 ms. A socket also sees what its own
     * end sends: callers send from one end at a time and drain the other.
     */
    private int drain(PacketSocket s) {
        int n = 0;
        int len;
        while ((len = s.receive(buf, 200)) >= 0) {
            byte[] f = buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
            if (indexOf(f, MARK) >= 0) {
                n++;
            }
        }
        return n;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static byte[] marked(int extra) {
        return Arrays.copyOf(MARK, MARK.length + extra);
    }

    long counter(FirewallCounter c) {
        return program.maps().counter(c);
    }

    @Override
    public void close() {
        inSock.close();
        outSock.close();
        inAtt.close();
        outAtt.close();
        program.close();
        arena.close();
    }
}
