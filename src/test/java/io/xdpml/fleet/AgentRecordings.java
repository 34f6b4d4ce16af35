package io.xdpml.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.detect.Addresses;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.detect.PacketObservation;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowListing;
import io.xdpml.flow.FlowRecord;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.output.EveWriter;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recorded agent output for the fleet tests: the flows of real captures as the agents publish
 * them (EVE flow events written by {@link EveWriter}, with the host that saw them), the captures'
 * flows split over several "hosts", and what each host's own detectors see of its share.
 */
final class AgentRecordings {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One record of {@code xdpml.flows}: key (the flow_id), EVE JSON, and its event time (flow.end, epoch ms). */
    record Line(String key, String value, long timeMs, String host) {}

    /** A capture's flows (xdpml flows' listing, Java engine, default timeouts) with the host each one goes to. */
    record Split(List<EndedFlow> flows, List<Integer> hostOf, List<String> hosts, Map<String, Integer> tupleHost) {
        /** The flows' EVE records, in order of their end (as agents publish flows when they end), host by host interleaved. */
        List<Line> lines() {
            List<Line> out = new ArrayList<>();
            for (int i = 0; i < flows.size(); i++) {
                out.add(line(flows.get(i), hosts.get(hostOf.get(i)), true));
            }
            out.sort(Comparator.comparingLong(Line::timeMs));
            return out;
        }

        /** Flows per host. */
        long[] perHost() {
            long[] n = new long[hosts.size()];
            hostOf.forEach(h -> n[h]++);
            return n;
        }
    }

    private AgentRecordings() {}

    /** The capture's flows, split round-robin (in the listing's order: by first packet) over {@code hosts}. */
    static Split roundRobin(Path capture, List<String> hosts) {
        FlowListing l;
        try {
            l = FlowListing.of(capture, r -> new JavaFlowEngine(FlowConfig.defaults(), 1 << 18, r), FlowRecordListener.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Integer> hostOf = new ArrayList<>();
        Map<String, Integer> tupleHost = new HashMap<>();
        for (int i = 0; i < l.flows().size(); i++) {
            String t = tuple(l.flows().get(i).view());
            Integer h = tupleHost.get(t);
            if (h == null) { // a 5-tuple listed again (idle, reused) stays on its host
                h = tupleHost.size() % hosts.size();
                tupleHost.put(t, h);
            }
            hostOf.add(h);
        }
        return new Split(l.flows(), hostOf, hosts, tupleHost);
    }

    /** The flows of several captures, each capture on one host. */
    static List<Line> onHost(Path capture, String host) {
        Split s = roundRobin(capture, List.of(host));
        return s.lines();
    }

    /** The EVE flow event of a flow, with {@code host} at the top level (or without it: the agent's host then travels in a header). */
    static Line line(EndedFlow f, String host, boolean hostField) {
        StringWriter w = new StringWriter();
        try (EveWriter eve = new EveWriter(w, EveWriter.Options.defaults())) {
            eve.flow(f, "eth0");
        }
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(w.toString());
            if (hostField) {
                o.put("host", host);
            }
            return new Line(o.get("flow_id").asText(), o.toString(), Math.floorDiv(f.lastNanos(), 1_000_000L), host);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The EVE alert lines of a detection (one per named source), as {@code host}'s agent publishes them. */
    static List<String> alerts(Detection d, String host) {
        StringWriter w = new StringWriter();
        try (EveWriter eve = new EveWriter(w, EveWriter.Options.defaults().withInIface("eth0"))) {
            eve.alert(d, true);
        }
        List<String> out = new ArrayList<>();
        for (String s : w.toString().split("\n")) {
            try {
                ObjectNode o = (ObjectNode) JSON.readTree(s);
                o.put("host", host);
                out.add(o.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /**
     * What each host's own detectors ({@code names}, default configurations) find in its share of
     * the capture's packets: every packet goes to the host its 5-tuple's flow went to.
     */
    static List<List<Detection>> localDetections(Path capture, Split split, String names) {
        int n = split.hosts().size();
        List<DetectorSet> sets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sets.add(new DetectorSet(Detectors.create(names)));
        }
        ObservationBuilder builder = new ObservationBuilder(false);
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                int length = framer.frame(r);
                if (length < EthernetFramer.ETHERNET_HEADER_LENGTH) {
                    continue;
                }
                PacketObservation p = builder.observe(framer.frameSegment(), length, r.timestampNanos());
                if (!p.isIp()) {
                    continue;
                }
                boolean ports = p.protocol() == 6 || p.protocol() == 17;
                String t = tuple(p.protocol(), Addresses.text(p.sourceHi(), p.sourceLo()), ports ? p.sourcePort() : 0,
                        Addresses.text(p.destinationHi(), p.destinationLo()), ports ? p.destinationPort() : 0);
                Integer h = split.tupleHost().get(t);
                if (h != null) {
                    sets.get(h).observe(p);
                }
            }
        } catch (PcapFormatException e) {
            // damage: what came before it counts
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<List<Detection>> out = new ArrayList<>();
        for (DetectorSet s : sets) {
            s.finish();
            out.add(s.detections());
        }
        return out;
    }

    private static String tuple(FlowRecord r) {
        boolean ports = r.protocol() == 6 || r.protocol() == 17;
        return tuple(r.protocol(), text(r.sourceAddress()), ports ? r.sourcePort() : 0, text(r.destinationAddress()),
                ports ? r.destinationPort() : 0);
    }

    private static String text(InetAddress a) {
        byte[] m = Addresses.mapped(a);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (m[i] & 0xff);
            lo = (lo << 8) | (m[8 + i] & 0xff);
        }
        return Addresses.text(hi, lo);
    }

    /** Direction-free: the lower endpoint first. */
    private static String tuple(int proto, String a, int pa, String b, int pb) {
        String x = a + "#" + pa;
        String y = b + "#" + pb;
        return proto + "|" + (x.compareTo(y) <= 0 ? x + "|" + y : y + "|" + x);
    }
}
