package io.xdpml.agent;

import io.xdpml.detect.Addresses;
import io.xdpml.detect.LongObjectMap;
import io.xdpml.detect.PacketObservation;
import io.xdpml.processor.Mitigation;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.PacketView;
import io.xdpml.processor.Verdict;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code xdpml run --onnx}: the flows a user's model flagged. The callback thread adds a flow the
 * first time one of its packets is flagged, and again once its block has expired (keyed by the XDP
 * metadata's flow hash: an allocation per new flagged flow, none per packet); the main loop prints
 * them and, when asked, blocks them in XDP (both directions). A flow block keys the flow as the
 * flow table does (the innermost packet's addresses and ports, the outermost VLAN, the VXLAN VNI); a
 * flow inside VXLAN VNI 0 is not blocked: a flow block cannot name it apart from the native flow of
 * its 5-tuple, which a block of it would hit.
 * At most {@value #MAX_FLOWS} flows are remembered.
 */
final class FlaggedFlows implements AutoCloseable {
    static final int MAX_FLOWS = 100_000;

    /** A flagged flow as its first flagged packet showed it. */
    record Flow(int protocol, String src, int srcPort, String dst, int dstPort, int vlan, int vni, boolean tunnelled, boolean parsed, String label,
                double score) {
        /** Whether a flow block names this flow alone: parsed (else the kernel keys it by its outer header), not inside VXLAN VNI 0. */
        boolean blockable() {
            return parsed && (vni != 0 || !tunnelled);
        }
    }

    private final LongObjectMap<long[]> blockedUntil = new LongObjectMap<>(1024); // flow key -> {block end}; callback thread only
    private final long blockNanos;
    private final ConcurrentLinkedQueue<Flow> fresh = new ConcurrentLinkedQueue<>();
    private volatile int flows;

    /** {@code blockSeconds}: how long the main loop blocks a flow (0: not at all). */
    FlaggedFlows(long blockSeconds) {
        this.blockNanos = blockSeconds * 1_000_000_000L;
    }

    /** Called on the callback thread for a flagged packet. */
    void add(PacketObservation o, PacketView view, Verdict v) {
        if (!o.isIp()) {
            return;
        }
        int vni = view.summary().vni();
        long key = view.metadata() != null && view.metadata().present() ? view.metadata().flowHash() & 0xffffffffL
                : Addresses.pair(Addresses.pair(o.sourceKey(), o.destinationKey()),
                        ((long) vni << 32) | ((long) o.sourcePort() << 16) | o.destinationPort());
        long now = System.nanoTime();
        long[] until = blockedUntil.get(key);
        if (until != null && (blockNanos == 0 || now <= until[0])) {
            return; // reported already; blocked flows reach Java again only after their block expired
        }
        if (until == null) {
            if (blockedUntil.size() >= MAX_FLOWS) {
                return;
            }
            until = new long[1];
            blockedUntil.putNew(key, until);
            flows = blockedUntil.size();
        }
        until[0] = now + blockNanos;
        // a packet the parse refused is keyed by the kernel from its outer header (the narrow key), not as its flow
        fresh.add(new Flow(o.protocol(), Addresses.text(o.sourceHi(), o.sourceLo()), o.sourcePort(),
                Addresses.text(o.destinationHi(), o.destinationLo()), o.destinationPort(), outerVlan(view), vni,
                (view.summary().flags() & io.xdpml.packet.ParseFlags.VXLAN) != 0, view.summary().error() == 0, v.label(), v.score()));
    }

    /** The outermost VLAN ID of the frame, 0 when untagged: as the flow table keys it (FlowPacket). */
    private static int outerVlan(PacketView view) {
        if (view.summary().vlanDepth() == 0) {
            return 0;
        }
        var m = view.memory();
        long at = view.offset();
        return (((m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 14) & 0xff) << 8) | (m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 15) & 0xff)) & 0x0fff;
    }

    /** Flows flagged so far. */
    int flows() {
        return flows;
    }

    /** Prints the flows flagged since the last call; blocks them for {@code blockSeconds} when > 0. */
    void report(PrintWriter out, MlPacketProcessor p, long blockSeconds) {
        for (Flow f; (f = fresh.poll()) != null; ) {
            // a longer flow block there (the operator's, the fleet's) is never shortened
            String failed = null;
            boolean kept = false;
            if (blockSeconds > 0 && f.blockable()) {
                try {
                    kept = !p.mitigation().blockFlowAtLeastUntil(new Mitigation.Flow(InetAddress.ofLiteral(f.src()), f.srcPort(),
                            InetAddress.ofLiteral(f.dst()), f.dstPort(), f.protocol(), f.vlan(), f.vni()),
                            System.nanoTime() + Duration.ofSeconds(blockSeconds).toNanos());
                } catch (RuntimeException e) { // the flow blocks map full, say: said, and the loop goes on
                    failed = e.getMessage();
                }
            }
            String action = blockSeconds <= 0 ? ""
                    : !f.parsed() ? " (not blocked: the parse refused its headers, so its flow cannot be keyed)"
                    : !f.blockable() ? " (not blocked: a flow block cannot name a flow inside VXLAN VNI 0 apart from the native flow of its 5-tuple)"
                    : failed != null ? " (not blocked: " + failed + ")"
                    : kept ? " (a longer block of the flow is there and stays)" : " (flow blocked for " + blockSeconds + " s)";
            out.printf(Locale.ROOT, "FLAGGED %s %s:%d -> %s:%d%s class %s score %.3f%s%n", Mitigation.protocolName(f.protocol()), f.src(), f.srcPort(), f.dst(),
                    f.dstPort(), (f.vlan() != 0 ? " vlan " + f.vlan() : "") + (f.tunnelled() ? " vni " + f.vni() : ""), f.label(), f.score(), action);
        }
        out.flush();
    }

    @Override
    public void close() {
        fresh.clear();
    }
}
