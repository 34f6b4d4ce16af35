package io.xdpml.vxlan;

import java.util.Arrays;

/**
 * One NAT mapping of the inner destination: (address, port) or (any address, port) becomes
 * (newAddress, newPort). Addresses are 4 (IPv4) or 16 bytes; {@code address} is null for "any".
 */
public record NatEntry(int family, byte[] address, int port, byte[] newAddress, int newPort) {
    public NatEntry {
        if (family != 4 && family != 6) {
            throw new IllegalArgumentException("family " + family);
        }
        int n = family == 4 ? 4 : 16;
        if (newAddress.length != n || (address != null && address.length != n)) {
            throw new IllegalArgumentException("address length does not match family " + family);
        }
        if (port < 0 || port > 65535 || newPort < 0 || newPort > 65535) {
            throw new IllegalArgumentException("port out of range");
        }
        address = address == null ? null : address.clone();
        newAddress = newAddress.clone();
    }

    public boolean anyAddress() {
        return address == null;
    }

    /** The 16-byte key address of the kernel map: the address, or zeros for "any". */
    byte[] keyAddress16() {
        byte[] a = new byte[16];
        if (address != null) {
            System.arraycopy(address, 0, a, 0, address.length);
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NatEntry e && e.family == family && Arrays.equals(e.address, address) && e.port == port
                && Arrays.equals(e.newAddress, newAddress) && e.newPort == newPort;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(newAddress) * 31 + port;
    }
}
