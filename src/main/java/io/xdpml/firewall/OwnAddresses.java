package io.xdpml.firewall;

import io.xdpml.detect.Addresses;
import io.xdpml.kernel.BpfMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * This host's own addresses in the kernel ({@code xdpml_fw_own}, firewall.h). With conntrack on,
 * the firewall drops a packet that arrives from one of them ({@code drop_own_source}): the host's
 * own packets leave, they never arrive, so such a packet is forged; conntrack believes the first
 * packet of a connection about who started it, and the forger's later packets would pass as
 * replies to this host, before the measures and the rules.
 *
 * <p>The program looks the map up only while {@code xdpml_fw_mstate[1]} is set: {@link #set} sets
 * it before it adds an entry and clears it after the last one is gone. Each entry is one map
 * update, atomic for the program. The agent calls {@link #set} with {@link #ofThisHost()} at start
 * and every second (addresses come and go: DHCP, SLAAC).
 *
 * <pre>
 *   key   (16 bytes): address (IPv4 as ::ffff:a.b.c.d)
 *   value ( 4 bytes): unused
 * </pre>
 */
public final class OwnAddresses {
    /** The map's name in the program. */
    public static final String MAP = "xdpml_fw_own";
    /** The index of the lookup flag in {@link FirewallMeasures#STATE}. */
    static final int FLAG = 1;

    private final BpfMap map;
    private final BpfMap state;
    /** What the map holds (this class is its only writer), as 16-byte keys. */
    private final Set<ByteBuffer> held = new HashSet<>();

    /** Over the maps of a loaded object ({@code object::map}). */
    public OwnAddresses(Function<String, BpfMap> byName) {
        this.map = byName.apply(MAP);
        this.state = byName.apply(FirewallMeasures.STATE);
        if (map.keySize() != 16 || state.maxEntries() <= FLAG) {
            throw new IllegalStateException(MAP + " has key " + map.keySize() + " bytes, " + FirewallMeasures.STATE + " "
                    + state.maxEntries() + " entries");
        }
    }

    /**
     * Makes the map hold exactly {@code addresses} (at most the map's size: more is an error, and
     * the map is left as it was). Removes before it adds, so a full map takes a change. Returns
     * whether anything changed.
     */
    public synchronized boolean set(Collection<InetAddress> addresses) {
        Set<ByteBuffer> wanted = new HashSet<>();
        for (InetAddress a : addresses) {
            wanted.add(ByteBuffer.wrap(Addresses.mapped(a)));
        }
        if (wanted.size() > map.maxEntries()) {
            throw new IllegalArgumentException(wanted.size() + " own addresses, more than " + MAP + " holds (" + map.maxEntries() + ")");
        }
        if (wanted.equals(held)) {
            return false;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(16, 8);
            MemorySegment v = a.allocate(4, 4);
            try {
                for (ByteBuffer h : held) {
                    if (!wanted.contains(h)) {
                        MemorySegment.copy(h.array(), 0, k, ValueLayout.JAVA_BYTE, 0, 16);
                        map.delete(k);
                    }
                }
                if (!wanted.isEmpty()) {
                    setFlag(a, true); // before the entries: the program must look them up
                }
                for (ByteBuffer w : wanted) {
                    if (!held.contains(w)) {
                        MemorySegment.copy(w.array(), 0, k, ValueLayout.JAVA_BYTE, 0, 16);
                        map.update(k, v, BpfMap.BPF_ANY);
                    }
                }
                if (wanted.isEmpty()) {
                    setFlag(a, false);
                }
            } finally {
                held.clear(); // what the map holds now, whatever failed
                for (byte[] kb : map.keys()) {
                    held.add(ByteBuffer.wrap(kb));
                }
            }
        }
        return true;
    }

    /** How many addresses the map holds. */
    public synchronized int size() {
        return held.size();
    }

    private void setFlag(Arena a, boolean on) {
        MemorySegment flag = a.allocate(4);
        flag.set(ValueLayout.JAVA_INT, 0, on ? 1 : 0);
        state.update(FLAG, flag, BpfMap.BPF_ANY);
    }

    /** Every address of this network namespace now: {@link #ofThisHost(String)} for no interface of its own. */
    public static Set<InetAddress> ofThisHost() {
        return ofThisHost(null);
    }

    /**
     * The sources a packet arriving on {@code iface} cannot truly have, now: every address of
     * every interface of this network namespace (loopback's too: 127.0.0.1 never arrives on a NIC),
     * but a link-local one (fe80::/10, 169.254.0.0/16) only of {@code iface} itself (the same
     * link-local address on another link, fe80::1 on a bridge and on the upstream router, is
     * another host's); each interface's IPv4 broadcast address (as set, and its subnet's all-ones
     * address below a /31) and 255.255.255.255 (a connection
     * "from" a broadcast address would let the forger's packets to it, which Linux delivers to
     * every socket bound to 0.0.0.0, pass as replies). Multicast sources the program refuses by
     * their prefix.
     */
    public static Set<InetAddress> ofThisHost(String iface) {
        Set<InetAddress> out = new HashSet<>();
        try {
            out.add(InetAddress.getByAddress(new byte[] {-1, -1, -1, -1}));
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                NetworkInterface n = all.nextElement();
                boolean here = n.getName().equals(iface);
                for (java.net.InterfaceAddress ia : n.getInterfaceAddresses()) {
                    InetAddress a = ia.getAddress();
                    if (a.isLinkLocalAddress() && !here) {
                        continue;
                    }
                    out.add(InetAddress.getByAddress(a.getAddress())); // without the scope
                    if (ia.getBroadcast() != null) {
                        out.add(InetAddress.getByAddress(ia.getBroadcast().getAddress()));
                    }
                    byte[] b = a.getAddress();
                    if (b.length == 4 && ia.getNetworkPrefixLength() < 31) { // the subnet's all-ones, set as broadcast or not
                        int v = java.nio.ByteBuffer.wrap(b).getInt() | (int) (0xffff_ffffL >>> ia.getNetworkPrefixLength());
                        out.add(InetAddress.getByAddress(java.nio.ByteBuffer.allocate(4).putInt(v).array()));
                    }
                }
            }
        } catch (SocketException | java.net.UnknownHostException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
        return out;
    }
}
