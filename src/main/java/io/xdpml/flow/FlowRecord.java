package io.xdpml.flow;

import static io.xdpml.flow.FlowLayout.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * One flow as users see it: the initiator as source, counts per direction, features. A view over
 * key and state bytes in the kernel's layouts ({@link FlowLayout}); rebind with {@link #wrap}.
 */
public final class FlowRecord {
    private MemorySegment key;
    private MemorySegment state;

    public FlowRecord wrap(MemorySegment key, MemorySegment state) {
        this.key = key;
        this.state = state;
        return this;
    }

    public MemorySegment state() {
        return state;
    }

    private boolean initiatorIsA() {
        return state.get(ValueLayout.JAVA_BYTE, INITIATOR_IS_A) != 0;
    }

    public int ipVersion() {
        return key.get(ValueLayout.JAVA_BYTE, KEY_IP_VERSION);
    }

    public int protocol() {
        return key.get(ValueLayout.JAVA_BYTE, KEY_PROTOCOL) & 0xff;
    }

    public int vlan() {
        return u16(key, KEY_VLAN);
    }

    /** The VXLAN VNI, 0 for a flow outside VXLAN ({@link #tunnelled} tells VNI 0 apart). */
    public long vni() {
        return keyVni(key);
    }

    /** Whether the flow is inside VXLAN. */
    public boolean tunnelled() {
        return keyTunnelled(key);
    }

    public InetAddress sourceAddress() {
        return address(initiatorIsA() ? KEY_ADDR_A : KEY_ADDR_B);
    }

    public InetAddress destinationAddress() {
        return address(initiatorIsA() ? KEY_ADDR_B : KEY_ADDR_A);
    }

    public int sourcePort() {
        return u16(key, initiatorIsA() ? KEY_PORT_A : KEY_PORT_B);
    }

    public int destinationPort() {
        return u16(key, initiatorIsA() ? KEY_PORT_B : KEY_PORT_A);
    }

    private InetAddress address(int at) {
        byte[] a = key.asSlice(at, 16).toArray(ValueLayout.JAVA_BYTE);
        try {
            if (ipVersion() == 4) {
                return InetAddress.getByAddress(java.util.Arrays.copyOfRange(a, 12, 16));
            }
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public long firstNanos() {
        return u64(state, FIRST_NS);
    }

    public long lastNanos() {
        return u64(state, LAST_NS);
    }

    public long packets(int direction) {
        return u64(state, dirOffset(direction) + D_PACKETS);
    }

    public long bytes(int direction) {
        return u64(state, dirOffset(direction) + D_BYTES);
    }

    /** Feature value (see {@link FlowFeature}). */
    public long feature(FlowFeature f) {
        return f.of(state);
    }
}
