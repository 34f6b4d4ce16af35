package io.xdpml.vxlan;

import io.xdpml.firewall.Prefix;
import io.xdpml.pipeline.DropFloor;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.ParseCounter;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.PipelineLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gateway's speed: ns per packet in BPF_PROG_TEST_RUN, and Mpps end to end through veth for
 * both egress paths (live frames into the ingress veth, the gateway, the egress veth, a counting
 * XDP_DROP sink behind it).
 */
public final class VxlanBench {
    private VxlanBench() {}

    /** A VXLAN frame: outer IPv4/UDP 4789, inner IPv4/UDP 10.0.0.1 -> 10.0.0.2:5000, DF set; 96 bytes. */
    public static byte[] frame() {
        try {
            return new FrameBuilder().ethernet().ipv4("192.168.50.1", "192.168.50.2").udp(40000, 4789).vxlan(42)
                    .ethernet().ipv4(InetAddress.getByName("10.0.0.1").getAddress(),
                            InetAddress.getByName("10.0.0.2").getAddress(), 0x4000, 64)
                    .udp(40001, 5000).payload(4).build();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Allowlist 10.0.0.0/24 (plus count - 1 other /32s), NAT * 5000 -> 172.16.0.2:6000, DF cleared, MACs set. */
    public static VxlanOptions options(boolean decap, boolean xsk, int allowEntries) {
        List<Prefix> allow = new ArrayList<>();
        allow.add(Prefix.parse("10.0.0.0/24"));
        for (int i = 1; i < allowEntries; i++) {
            allow.add(Prefix.parse("100." + (i >>> 16 & 0xff) + "." + (i >>> 8 & 0xff) + "." + (i & 0xff) + "/32"));
        }
        try {
            return VxlanOptions.defaults().withAllowlist(allow)
                    .withNat(List.of(new NatEntry(4, null, 5000, InetAddress.getByName("172.16.0.2").getAddress(), 6000)))
                    .withMode(false, decap, true).withEthernet(new byte[] {2, 0, 0, 0, 0, 3}, new byte[] {2, 0, 0, 0, 0, 4})
                    .withEgress(xsk, false);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Median ns per packet of runs test runs of repeat packets each (redirect to lo: the action is
     * not performed). BPF_PROG_TEST_RUN does not restore the packet between repetitions, so the
     * options must leave it as they found it: forward mode (no adjust_head) and an identity NAT
     * (10.0.0.2:5000 to itself: rewritten, checksums updated, same bytes). The counters prove
     * every repetition took the whole path (allowlist, NAT, redirect), or this throws. A bare
     * XDP_DROP is called with the same packet and repeat after every timed call: its median is
     * the run's drop floor, for ratios.
     */
    public static TestRunResult testRun(int allowEntries, int repeat, int runs) {
        VxlanOptions o;
        try {
            o = options(false, false, allowEntries).withNat(List.of(new NatEntry(4, null, 5000,
                    InetAddress.getByName("10.0.0.2").getAddress(), 5000)));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        byte[] f = frame();
        try (VxlanProgram p = VxlanProgram.load(o, false); DropFloor drop = new DropFloor(); Arena a = Arena.ofConfined()) {
            p.setEgress(1);
            MemorySegment pkt = a.allocate(f.length);
            pkt.copyFrom(MemorySegment.ofArray(f));
            try (TestRun run = p.program().testRun()) {
                int action = run.run(pkt, f.length);
                if (action != VxlanResult.XDP_REDIRECT || p.counter(VxlanCounter.NAT_APPLIED) != 1) {
                    throw new IllegalStateException("bench frame not forwarded: action " + action + ", counters "
                            + Arrays.toString(p.counters()));
                }
                double[] ns = new double[runs];
                for (int i = 0; i < runs; i++) {
                    run.run(pkt, f.length, repeat);
                    ns[i] = run.durationNanos();
                    drop.time(pkt, f.length, repeat);
                }
                long expected = 1 + (long) runs * repeat;
                if (p.counter(VxlanCounter.NAT_APPLIED) != expected || p.counter(VxlanCounter.TO_DEVMAP) != expected) {
                    throw new IllegalStateException("not every repetition took the whole path: " + Arrays.toString(p.counters()));
                }
                Arrays.sort(ns);
                return new TestRunResult(ns[runs / 2], drop.medianNanos());
            }
        }
    }

    /** The gateway's and the bare XDP_DROP's median ns per packet, of the same run. */
    public record TestRunResult(double gatewayNanos, double dropNanos) {
        public double ratioToDrop() {
            return gatewayNanos / dropNanos;
        }
    }

    /** One end-to-end result. */
    public record VethResult(String path, long sent, long received, long nanos) {
        public double mpps() {
            return received * 1e3 / nanos;
        }
    }

    /**
     * Live frames into the gateway through veth; the rate is what the sink behind the egress
     * counted, over the time from the start until its count stopped growing.
     */
    public static VethResult veth(boolean xsk, int frames) {
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-vxbench")) {
            ns.createVethPair("xdpml-vb0", "xdpml-vb1");
            ns.createVethPair("xdpml-vb2", "xdpml-vb3");
            return ns.run(() -> {
                int gen = Interfaces.indexOf("xdpml-vb0");
                int in = Interfaces.indexOf("xdpml-vb1");
                int out = Interfaces.indexOf("xdpml-vb2");
                int sink = Interfaces.indexOf("xdpml-vb3");
                byte[] f = frame();
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofConfined();
                     PipelineLoader.Loaded counter = PipelineLoader.load("parse", ParserProgram.XDP_DROP);
                     XdpAttachment sinkAtt = XdpAttachment.attach(counter.program(), sink, XdpMode.NATIVE);
                     VxlanProgram gw = VxlanProgram.load(options(true, xsk, 1), false)) {
                    tx.load();
                    MemorySegment pkt = arena.allocate(f.length);
                    pkt.copyFrom(MemorySegment.ofArray(f));
                    XskEgress egress = xsk ? XskEgress.open(gw, in, 0, out) : null;
                    if (!xsk) {
                        gw.setEgress(out);
                    }
                    AtomicBoolean stop = new AtomicBoolean();
                    Thread fwd = egress == null ? null : Thread.ofPlatform().name("xdpml-vxbench-xsk").start(() -> {
                        while (!stop.get()) {
                            egress.poll(10);
                        }
                    });
                    try (XdpAttachment gwAtt = XdpAttachment.attach(gw.program(), in, XdpMode.NATIVE);
                         TestRun run = tx.program("xdpml_tx").testRun().withIngress(gen, 0).withLiveFrames(64)) {
                        long base = received(counter);
                        long t0 = System.nanoTime();
                        run.run(pkt, f.length, frames);
                        long last = base;
                        long lastChange = System.nanoTime();
                        while (System.nanoTime() - lastChange < 200_000_000L) {
                            Thread.sleep(5);
                            long now = received(counter);
                            if (now != last) {
                                last = now;
                                lastChange = System.nanoTime();
                            }
                        }
                        return new VethResult(xsk ? "xsk" : "redirect", frames, last - base, lastChange - t0);
                    } finally {
                        stop.set(true);
                        if (fwd != null) {
                            fwd.join();
                            egress.close();
                        }
                    }
                }
            });
        }
    }

    private static long received(PipelineLoader.Loaded counter) {
        return ParserProgram.readCounters(counter.object().map("xdpml_parse_counters")).get(ParseCounter.PACKETS);
    }
}
