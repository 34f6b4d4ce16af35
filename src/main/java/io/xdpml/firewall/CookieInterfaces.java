package io.xdpml.firewall;

import io.xdpml.kernel.BpfMap;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * The MACs a frame for this host arrives with on each interface the firewall is on ({@code
 * xdpml_cookie_if}, syncookie.h): its own, and its master's (the bridge or bond it is a port of).
 * A SYN over a limit is answered with a cookie only when sent to one of them: on a promiscuous
 * interface (a bridge port, a capture, a switch flooding unknown unicast) a SYN to another MAC is
 * another host's. An interface without an entry answers nothing.
 *
 * <pre>
 *   key   ( 4 bytes): ifindex
 *   value (12 bytes): the interface's MAC, its master's (else the interface's again)
 * </pre>
 *
 * The agent sets its interface's entry (and its slaves', for a bond) when it attaches and again every second (a MAC can change:
 * {@code ip link set dev IF address ...}, a bond's failover); {@code xdpml fw load --iface} once, at
 * its load.
 */
public final class CookieInterfaces {
    /** The map's name in the program. */
    public static final String MAP = "xdpml_cookie_if";
    private static final int VALUE = 12;

    private final BpfMap map;

    /** Over the maps of a loaded object ({@code object::map}). */
    public CookieInterfaces(Function<String, BpfMap> byName) {
        this.map = byName.apply(MAP);
        if (map.keySize() != 4 || map.valueSize() != VALUE) {
            throw new IllegalStateException(MAP + " has key " + map.keySize() + " and value " + map.valueSize() + " bytes, not 4 and "
                    + VALUE);
        }
    }

    /** Sets the MACs of interface {@code ifindex}: its own and its master's (6 bytes each). */
    public void set(int ifindex, byte[] mac, byte[] master) {
        check(mac, master);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(VALUE);
            MemorySegment.copy(mac, 0, v, ValueLayout.JAVA_BYTE, 0, 6);
            MemorySegment.copy(master, 0, v, ValueLayout.JAVA_BYTE, 6, 6);
            map.update(ifindex, v, BpfMap.BPF_ANY);
        }
    }

    /**
     * Sets interface {@code iface}'s entry to its MACs now ({@link #macsOf}), and the same entry
     * under each of its lower devices' ifindexes: native XDP attached to a bond runs on the bond's
     * slaves, so a frame's ingress ifindex is a slave's, while it is sent to the bond's MAC.
     */
    public void keep(String iface, int ifindex) {
        byte[][] m = macsOf(iface);
        set(ifindex, m[0], m[1]);
        for (int lower : lowerIndexes(iface)) {
            set(lower, m[0], m[1]);
        }
    }

    /** The ifindexes of {@code iface}'s lower devices ({@code /sys/class/net/IF/lower_*}: a bond's slaves), none where /sys does not show them. */
    static int[] lowerIndexes(String iface) {
        Path dir = Path.of("/sys/class/net", iface);
        try (var entries = Files.newDirectoryStream(dir, "lower_*")) {
            java.util.List<Integer> found = new java.util.ArrayList<>();
            for (Path lower : entries) {
                try {
                    found.add(Integer.parseInt(Files.readString(lower.resolve("ifindex")).strip()));
                } catch (IOException | NumberFormatException e) {
                    // a lower device gone meanwhile
                }
            }
            return found.stream().mapToInt(Integer::intValue).toArray();
        } catch (IOException e) {
            return new int[0];
        }
    }

    /** Refuses MACs that are not 6 bytes each. */
    static void check(byte[] mac, byte[] master) {
        if (mac == null || mac.length != 6 || master == null || master.length != 6) {
            throw new IllegalArgumentException("an interface's MACs are 6 bytes each");
        }
    }

    /**
     * The MACs of {@code iface} now, from /sys/class/net (the agent's network namespace's, as
     * {@code ip netns exec} mounts it): its own, and its master's (the bridge or bond it is a port
     * of), else its own again. Where /sys shows another namespace's interfaces (its ifindex is not
     * {@code iface}'s here), the kernel's list of interfaces with an address gives the MAC.
     */
    public static byte[][] macsOf(String iface) {
        Path dir = Path.of("/sys/class/net", iface);
        int index = io.xdpml.kernel.Interfaces.indexOf(iface);
        try {
            if (Integer.parseInt(Files.readString(dir.resolve("ifindex")).strip()) == index) {
                byte[] own = read(dir.resolve("address"));
                Path master = dir.resolve("master/address");
                return new byte[][] {own, Files.exists(master) ? read(master) : own};
            }
        } catch (IOException | NumberFormatException e) {
            // not this namespace's /sys
        }
        try {
            java.net.NetworkInterface n = java.net.NetworkInterface.getByIndex(index);
            byte[] own = n == null ? null : n.getHardwareAddress();
            if (own == null || own.length != 6) {
                throw new IllegalStateException("cannot read the MAC of " + iface + " (not in /sys/class/net of this namespace)");
            }
            return new byte[][] {own, own};
        } catch (java.net.SocketException e) {
            throw new IllegalStateException("cannot read the MAC of " + iface + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path p) {
        String s;
        try {
            s = Files.readString(p).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
        }
        byte[] b = s.length() == 17 ? HexFormat.ofDelimiter(":").parseHex(s) : new byte[0];
        if (b.length != 6) {
            throw new IllegalStateException(p + " holds " + s + ", not a 6-byte MAC (an interface without one cannot answer SYN cookies)");
        }
        return b;
    }
}
