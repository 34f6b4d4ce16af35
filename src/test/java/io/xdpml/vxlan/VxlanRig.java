package io.xdpml.vxlan;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Three namespaces of the test's own, wired as a VXLAN gateway's world:
 * <pre>
 *  tenant (a)                         gateway (g)                         backend (c)
 *  xdpml-vx (vxlan id 42)             gateway XDP on xdpml-gi
 *   10.0.0.1, 10.0.0.9                 redirect to xdpml-go  ──────────►  xdpml-c 172.16.0.2
 *  xdpml-a 192.168.50.1 ◄──veth──►   xdpml-gi 192.168.50.2              (XDP_PASS attached so
 *                                     xdpml-go                             veth accepts redirects)
 * </pre>
 * The Linux VXLAN device in the tenant namespace encapsulates; the gateway decapsulates, checks
 * the inner source, NATs and sends the inner frame to the backend, whose kernel stack receives
 * it. Static neighbours everywhere: no ARP or IPv6 traffic leaves any interface by itself.
 */
final class VxlanRig implements AutoCloseable {
    static final String TENANT_IF = "xdpml-a";
    static final String VX_IF = "xdpml-vx";
    static final String IN_IF = "xdpml-gi";
    static final String OUT_IF = "xdpml-go";
    static final String BACKEND_IF = "xdpml-c";

    final NetworkNamespace tenant;
    final NetworkNamespace gateway;
    final NetworkNamespace backend;
    private BpfObject passObject;
    private XdpAttachment passAttachment;

    VxlanRig() {
        this(true);
    }

    /**
     * @param backendXdp attach the XDP_PASS program to the backend end; without it veth cannot take
     *                   redirected frames, and the kernel drops them after the gateway returned
     */
    VxlanRig(boolean backendXdp) {
        tenant = NetworkNamespace.create("xdpml-vxa");
        gateway = NetworkNamespace.create("xdpml-vxg");
        backend = NetworkNamespace.create("xdpml-vxc");
        try {
            for (NetworkNamespace ns : new NetworkNamespace[] {tenant, gateway, backend}) {
                ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                        "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
            }
            gateway.exec("ip", "link", "add", IN_IF, "type", "veth", "peer", "name", TENANT_IF, "netns", tenant.name());
            gateway.exec("ip", "link", "add", OUT_IF, "type", "veth", "peer", "name", BACKEND_IF, "netns", backend.name());
            gateway.exec("ip", "addr", "add", "192.168.50.2/24", "dev", IN_IF);
            gateway.exec("ip", "link", "set", IN_IF, "up");
            gateway.exec("ip", "link", "set", OUT_IF, "up");
            tenant.exec("ip", "addr", "add", "192.168.50.1/24", "dev", TENANT_IF);
            tenant.exec("ip", "link", "set", TENANT_IF, "up");
            tenant.exec("ip", "neigh", "replace", "192.168.50.2", "lladdr", mac(gateway, IN_IF), "dev", TENANT_IF);
            gateway.exec("ip", "neigh", "replace", "192.168.50.1", "lladdr", mac(tenant, TENANT_IF), "dev", IN_IF);
            tenant.exec("ip", "link", "add", VX_IF, "type", "vxlan", "id", "42", "remote", "192.168.50.2", "local",
                    "192.168.50.1", "dstport", "4789", "dev", TENANT_IF);
            tenant.exec("ip", "addr", "add", "10.0.0.1/24", "dev", VX_IF);
            tenant.exec("ip", "addr", "add", "10.0.0.9/24", "dev", VX_IF);
            tenant.exec("ip", "link", "set", VX_IF, "up");
            tenant.exec("ip", "neigh", "replace", "10.0.0.2", "lladdr", "02:00:00:00:00:22", "dev", VX_IF);
            backend.exec("ip", "addr", "add", "172.16.0.2/24", "dev", BACKEND_IF);
            backend.exec("ip", "link", "set", BACKEND_IF, "up");
            backend.exec("ip", "route", "add", "default", "dev", BACKEND_IF);
            if (backendXdp) {
                attachBackendPass();
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void attachBackendPass() {
        backend.run(() -> {
            passObject = BpfObject.open(Path.of("target/test-classes/bpf/test_pass.bpf.o"));
            passObject.load();
            passAttachment = XdpAttachment.attach(passObject.program("test_pass"), Interfaces.indexOf(BACKEND_IF),
                    XdpMode.NATIVE);
            return null;
        });
    }

    static String mac(NetworkNamespace ns, String ifname) {
        return ns.exec("cat", "/sys/class/net/" + ifname + "/address").strip();
    }

    static byte[] macBytes(NetworkNamespace ns, String ifname) {
        return HexFormat.ofDelimiter(":").parseHex(mac(ns, ifname));
    }

    /** A statistic of /sys/class/net/IF/statistics in the gateway's namespace. */
    long gatewayStatistic(String ifname, String name) {
        return Long.parseLong(gateway.exec("cat", "/sys/class/net/" + ifname + "/statistics/" + name).strip());
    }

    /** Packets the gateway's ingress interface has transmitted (must stay 0: nothing goes back out). */
    long ingressTxPackets() {
        return gatewayStatistic(IN_IF, "tx_packets");
    }

    @Override
    public void close() {
        if (passAttachment != null) {
            backend.run(() -> {
                passAttachment.close();
                passObject.close();
                return null;
            });
        }
        backend.close();
        gateway.close();
        tenant.close();
    }
}
