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
 * <p>Of these, the SYN cookies answered from XDP ({@code syncookie.h}) answer a SYN only to an address that is
 * one of the host's own unicast addresses, not a broadcast or a loopback one: the value's bit
 * {@link #DESTINATION} (since 2026-12-06; before, the value was unused).
 *
 * <pre>
 *   key   (16 bytes): address (IPv4 as ::ffff:a.b.c.d)
 *   value ( 4 bytes): DESTINATION (1) for an address a SYN may be answered for, else 0
 * </pre>
 */
public final class OwnAddresses {
    /** The map's name in the program. */
    public static final String MAP = "xdpml_fw_own";
    /** The index of the lookup flag in {@link FirewallMeasures#STATE}. */
    static final int FLAG = 1;
    /** The value's bit of an address a SYN cookie may be answered for (XDPML_FW_OWN_DESTINATION). */
    public static final int DESTINATION = 1;

    private final BpfMap map;
    private final BpfMap state;
    /** What the map holds (this class is its only writer): 16-byte keys and their values. */
    private final java.util.Map<ByteBuffer, Integer> held = new java.util.HashMap<>();

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
     * Makes the map hold exactly {@code addresses}, every one also a destination a SYN cookie may be
     * answered for, but a loopback, multicast or the all-ones broadcast address ({@link #set(Collection, Collection)}).
     */
    public boolean set(Collection<InetAddress> addresses) {
        return set(addresses, addresses.stream().filter(OwnAddresses::mayBeADestination).toList());
    }

    /**
     * Makes the map hold exactly {@code addresses} (at most the map's size: more is an error, and
     * the map is left as it was), those also in {@code destinations} marked {@link #DESTINATION}.
     * Removes before it adds, so a full map takes a change. Returns whether anything changed.
     */
    public synchronized boolean set(Collection<InetAddress> addresses, Collection<InetAddress> destinations) {
        java.util.Map<ByteBuffer, Integer> wanted = new java.util.HashMap<>();
        for (InetAddress a : addresses) {
            wanted.put(ByteBuffer.wrap(Addresses.mapped(a)), 0);
        }
        for (InetAddress a : destinations) {
            wanted.replace(ByteBuffer.wrap(Addresses.mapped(a)), DESTINATION);
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
                for (ByteBuffer h : held.keySet()) {
                    if (!wanted.containsKey(h)) {
                        MemorySegment.copy(h.array(), 0, k, ValueLayout.JAVA_BYTE, 0, 16);
                        map.delete(k);
                    }
                }
                if (!wanted.isEmpty()) {
                    setFlag(a, true); // before the entries: the program must look them up
                }
                for (var w : wanted.entrySet()) {
                    if (!w.getValue().equals(held.get(w.getKey()))) {
                        MemorySegment.copy(w.getKey().array(), 0, k, ValueLayout.JAVA_BYTE, 0, 16);
                        v.set(ValueLayout.JAVA_INT, 0, w.getValue());
                        map.update(k, v, BpfMap.BPF_ANY);
                    }
                }
                if (wanted.isEmpty()) {
                    setFlag(a, false);
                }
            } finally {
                held.clear(); // what the map holds now, whatever failed
                for (byte[] kb : map.keys()) {
                    MemorySegment.copy(kb, 0, k, ValueLayout.JAVA_BYTE, 0, 16);
                    held.put(ByteBuffer.wrap(kb), map.lookup(k, v) ? v.get(ValueLayout.JAVA_INT, 0) : -1);
                }
            }
        }
        return true;
    }

    /** Whether a SYN to {@code a} may be one for this host: not loopback, multicast, 0.0.0.0/:: or 255.255.255.255. */
    static boolean mayBeADestination(InetAddress a) {
        byte[] b = a.getAddress();
        boolean allOnes = b.length == 4 && (b[0] & b[1] & b[2] & b[3]) == -1;
        return !a.isLoopbackAddress() && !a.isMulticastAddress() && !a.isAnyLocalAddress() && !allOnes;
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
        return scan(iface, false);
    }

    /**
     * Of {@link #ofThisHost(String)}, the destinations a SYN cookie may be answered for: the
     * addresses of this namespace's interfaces, not loopback ones, no broadcast address.
     */
    public static Set<InetAddress> destinationsOfThisHost(String iface) {
        return scan(iface, true);
    }

    private static Set<InetAddress> scan(String iface, boolean destinations) {
        Set<InetAddress> out = new HashSet<>();
        try {
            if (!destinations) {
                out.add(InetAddress.getByAddress(new byte[] {-1, -1, -1, -1}));
            }
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                NetworkInterface n = all.nextElement();
                boolean here = n.getName().equals(iface);
                for (java.net.InterfaceAddress ia : n.getInterfaceAddresses()) {
                    InetAddress a = ia.getAddress();
                    if (a.isLinkLocalAddress() && !here) {
                        continue;
                    }
                    if (destinations) {
                        if (mayBeADestination(a)) {
                            out.add(InetAddress.getByAddress(a.getAddress()));
                        }
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
