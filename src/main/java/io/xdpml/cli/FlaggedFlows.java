package io.xdpml.cli;

import io.xdpml.detect.Addresses;
import io.xdpml.detect.PacketObservation;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.PacketView;
import io.xdpml.processor.Verdict;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code xdpml run --onnx}: the flows a user's model flagged. The callback thread adds a flow the
 * first time one of its packets is flagged (keyed by the XDP metadata's flow hash: an allocation
 * per new flagged flow, none per packet), the main loop prints them and, when asked, blocks them
 * in XDP (both directions). At most {@value #MAX_FLOWS} flows are remembered.
 */
final class FlaggedFlows implements AutoCloseable {
    static final int MAX_FLOWS = 100_000;

    /** A flagged flow as its first flagged packet showed it. */
    record Flow(int protocol, String src, int srcPort, String dst, int dstPort, String label, double score) {}

    private final Set<Long> seen = new HashSet<>();
    private final ConcurrentLinkedQueue<Flow> fresh = new ConcurrentLinkedQueue<>();
    private volatile int flows;

    /** Called on the callback thread for a flagged packet. */
    void add(PacketObservation o, PacketView view, Verdict v) {
        if (!o.isIp() || flows >= MAX_FLOWS) {
            return;
        }
        long key = view.metadata() != null && view.metadata().present() ? view.metadata().flowHash() & 0xffffffffL
                : Addresses.pair(Addresses.pair(o.sourceKey(), o.destinationKey()), ((long) o.sourcePort() << 16) | o.destinationPort());
        if (seen.add(key)) {
            flows = seen.size();
            fresh.add(new Flow(o.protocol(), Addresses.text(o.sourceHi(), o.sourceLo()), o.sourcePort(),
                    Addresses.text(o.destinationHi(), o.destinationLo()), o.destinationPort(), v.label(), v.score()));
        }
    }

    /** Flows flagged so far. */
    int flows() {
        return flows;
    }

    /** Prints the flows flagged since the last call; blocks them for {@code blockSeconds} when > 0. */
    void report(PrintWriter out, MlPacketProcessor p, long blockSeconds) {
        for (Flow f; (f = fresh.poll()) != null; ) {
            out.printf(Locale.ROOT, "FLAGGED %s %s:%d -> %s:%d class %s score %.3f%s%n", proto(f.protocol()), f.src(), f.srcPort(), f.dst(),
                    f.dstPort(), f.label(), f.score(), blockSeconds > 0 ? " (flow blocked for " + blockSeconds + " s)" : "");
            if (blockSeconds > 0) {
                p.mitigation().blockFlow(InetAddress.ofLiteral(f.src()), f.srcPort(), InetAddress.ofLiteral(f.dst()), f.dstPort(), f.protocol(),
                        0, Duration.ofSeconds(blockSeconds));
            }
        }
        out.flush();
    }

    private static String proto(int p) {
        return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "proto-" + p;
    }

    @Override
    public void close() {
        fresh.clear();
    }
}
