package io.xdpml.vxlan;

import io.xdpml.firewall.Prefix;
import java.util.List;
import java.util.Set;

/**
 * How the gateway behaves (fixed at load: the program's read-only constants), and its tables.
 *
 * @param port         the VXLAN UDP port
 * @param matchDestination the allowlist judges the inner destination instead of the source
 * @param decap        remove the outer headers (else forward them with the inner packet)
 * @param clearDf      clear the inner IPv4 DF bit
 * @param egressXsk    every forwarded packet goes to AF_XDP (guaranteed egress) instead of the DEVMAP
 * @param xskFallback  when the DEVMAP redirect fails, go to AF_XDP instead of dropping
 * @param ethDst       destination MAC for the packet as it leaves, or null to keep it
 * @param ethSrc       source MAC, or null (both or neither)
 * @param allowlist    allowed prefixes, or null: everything allowed
 * @param nat          NAT mappings of the inner destination
 * @param vnis         the VNIs served (a packet of another is dropped: other_vni), or null: all
 */
public record VxlanOptions(int port, boolean matchDestination, boolean decap, boolean clearDf, boolean egressXsk,
                           boolean xskFallback, byte[] ethDst, byte[] ethSrc, List<Prefix> allowlist, List<NatEntry> nat,
                           Set<Integer> vnis) {
    public VxlanOptions {
        if ((ethDst == null) != (ethSrc == null)) {
            throw new IllegalArgumentException("give both Ethernet addresses or neither");
        }
        if (ethDst != null && (ethDst.length != 6 || ethSrc.length != 6)) {
            throw new IllegalArgumentException("Ethernet addresses are 6 bytes");
        }
        allowlist = allowlist == null ? null : List.copyOf(allowlist);
        nat = List.copyOf(nat);
        if (vnis != null && vnis.stream().anyMatch(v -> v < 0 || v > MAX_VNI)) {
            throw new IllegalArgumentException("a VNI is 0 to " + MAX_VNI);
        }
        vnis = vnis == null ? null : Set.copyOf(vnis);
    }

    /** VNIs are 24 bits. */
    public static final int MAX_VNI = 0xffffff;

    public static VxlanOptions defaults() {
        return new VxlanOptions(4789, false, true, false, false, false, null, null, null, List.of(), null);
    }

    public VxlanOptions withAllowlist(List<Prefix> list) {
        return new VxlanOptions(port, matchDestination, decap, clearDf, egressXsk, xskFallback, ethDst, ethSrc, list, nat, vnis);
    }

    public VxlanOptions withNat(List<NatEntry> entries) {
        return new VxlanOptions(port, matchDestination, decap, clearDf, egressXsk, xskFallback, ethDst, ethSrc, allowlist,
                entries, vnis);
    }

    public VxlanOptions withEthernet(byte[] dst, byte[] src) {
        return new VxlanOptions(port, matchDestination, decap, clearDf, egressXsk, xskFallback, dst, src, allowlist, nat, vnis);
    }

    public VxlanOptions withMode(boolean matchDst, boolean decapMode, boolean clear) {
        return new VxlanOptions(port, matchDst, decapMode, clear, egressXsk, xskFallback, ethDst, ethSrc, allowlist, nat, vnis);
    }

    public VxlanOptions withEgress(boolean xsk, boolean fallback) {
        return new VxlanOptions(port, matchDestination, decap, clearDf, xsk, fallback, ethDst, ethSrc, allowlist, nat, vnis);
    }

    public VxlanOptions withVnis(Set<Integer> served) {
        return new VxlanOptions(port, matchDestination, decap, clearDf, egressXsk, xskFallback, ethDst, ethSrc, allowlist, nat,
                served);
    }

    public VxlanOptions withPort(int p) {
        return new VxlanOptions(p, matchDestination, decap, clearDf, egressXsk, xskFallback, ethDst, ethSrc, allowlist, nat, vnis);
    }
}
