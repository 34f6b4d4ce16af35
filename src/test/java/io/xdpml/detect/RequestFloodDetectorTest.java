package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * reqflood on a real capture of ApacheBench's keep-alive flood (made here, testdata/README.md) and
 * on connections built frame by frame, through a {@link DetectorSet} with the census of a flow
 * table of every packet, as {@code xdpml detect} runs it: the flooder named whatever the sampling,
 * the web client beside it not; and what it must leave alone: a browser's page load, one busy
 * connection, an upload, a rate under the floor or too short, another service, the other captures
 * of the repository.
 */
class RequestFloodDetectorTest {
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final int SYN = PacketObservation.TCP_SYN;
    private static final int ACK = PacketObservation.TCP_ACK;
    private static final int PSH = PacketObservation.TCP_PSH;
    private static final String VICTIM = "10.0.0.1";
    private static final String ATTACKER = "10.0.0.9";

    @Test
    void apacheBenchsKeepAliveFloodIsNamedAndItsWebClientIsNot() throws IOException {
        // ab -k -c 16 -t 6 from 10.82.1.1: 1,347 GETs in 6 s (224/s) over 16 kept-alive connections; curl every 0.25 s from 10.82.1.2
        Path capture = SlowConnDetectorTest.capture("ab-keepalive-flood.pcap");
        List<Detection> all = SlowConnDetectorTest.detect(capture, "all", 1);
        assertThat(all).isNotEmpty().allSatisfy(d -> {
            assertThat(d.detector()).isEqualTo("reqflood");
            assertThat(d.subject()).isEqualTo("10.82.1.1");
            assertThat(d.sources()).containsExactly("10.82.1.1");
            assertThat(d.score()).isGreaterThanOrEqualTo(1.5);
            assertThat(d.reasons().getFirst()).containsPattern("^[\\d,]+ requests \\(the client's data segments\\) to 10\\.82\\.0\\.1:80 in the last"
                    + " (1|1\\.0\\d+|0\\.9\\d+) s \\([\\d,]+ requests/s\\) over 16 connections, \\d+ B of payload each on average");
        });
        // the census every second: the third census in a row at 100/s or more is 3 s after the flood's first second began
        long firstRequest = firstSynFrom(capture, "10.82.1.1");
        assertThat(all.getFirst().timeNanos() - firstRequest).isBetween(2 * S, 4 * S);
        // as the agent samples (1 in 100 to the detectors): the census reads the flow table of every packet, so the same
        assertThat(SlowConnDetectorTest.detect(capture, "reqflood", 100)).extracting(Detection::subject).containsOnly("10.82.1.1").isNotEmpty();
    }

    @Test
    void quietOnEveryOtherCaptureOfTheRepository() throws IOException {
        // http-flood.pcap: 800 connections of one GET each in 0.37 s (connflood's), under three censuses
        for (String name : List.of("http-flood.pcap", "slowhttptest-slowloris.pcap", "slowhttptest-slowpost.pcap", "slowhttptest-slowread.pcap",
                "iperf3-tcp.pcap", "hping3-ack-flood.pcap", "masscan-tcp-0-1000.pcap", "ssh-bruteforce.pcap", "nmap-syn-sweep.pcap")) {
            assertThat(SlowConnDetectorTest.detect(SlowConnDetectorTest.capture(name), "reqflood", 1)).as(name).isEmpty();
        }
        for (String name : List.of("benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap", "benign/ndpi-ftp.pcap", "benign/ndpi-teams.pcap",
                "benign/ndpi-tor.pcap", "attack/cicddos2019-synflood.pcap", "attack/synflood-spoofed.pcap", "attack/portscan-1-10000.pcapng")) {
            assertThat(SlowConnDetectorTest.detect(TestData.capture(name), "reqflood", 1)).as(name).isEmpty();
        }
    }

    @Test
    void aFloodOverKeptAliveConnectionsIsReportedAtItsThirdSecond() {
        requests(ATTACKER, 80, 8, 150, S, 11 * S, 300);
        List<Detection> found = run("reqflood");
        assertThat(found).isNotEmpty().extracting(Detection::subject).containsOnly(ATTACKER);
        Detection first = found.getFirst();
        assertThat(first.sources()).containsExactly(ATTACKER);
        assertThat(first.score()).isBetween(1.4, 1.6);
        // (the reasons are the last report's: the census at the input's end, 0.997 s after the one before)
        assertThat(first.reasons().getFirst()).containsPattern("^150 requests \\(the client's data segments\\) to 10\\.0\\.0\\.1:80 in the last"
                + " (1|0\\.99\\d) s \\(15[01] requests/s\\) over 8 connections, 300 B of payload each on average");
        assertThat(first.reasons().get(1)).isEqualTo("at 100 requests/s or more for 10 censuses in a row"); // those at 2 to 10 s, and the end's
        // its first second is counted at the census at 2 s, the third in a row at 4 s
        assertThat(first.timeNanos()).isEqualTo(4 * S);
    }

    @Test
    void tooShortTooSlowOneConnectionAnUploadOrAnotherServiceIsNot() {
        requests("10.0.0.21", 80, 8, 150, S, S + 2500 * MS, 300); // 2.5 s: two censuses at the floor
        requests("10.0.0.22", 80, 8, 90, S, 11 * S, 300); // under 100/s
        requests("10.0.0.23", 443, 1, 400, S, 11 * S, 300); // one connection (a VPN over TCP 443, a video call's fallback)
        requests("10.0.0.24", 80, 4, 300, S, 11 * S, 1400); // full segments: an upload
        requests("10.0.0.25", 22, 8, 300, S, 11 * S, 100); // not a web service
        requests("10.0.0.26", 80, 6, 200, S, 2 * S, 500); // a browser's page load: 200 requests in a second over 6 connections
        assertThat(run("reqflood")).isEmpty();
    }

    @Test
    void itsParametersWiden() {
        requests("10.0.0.23", 443, 1, 400, S, 11 * S, 300);
        requests("10.0.0.25", 22, 8, 300, S, 11 * S, 100);
        set = new DetectorSet(Detectors.create("reqflood", List.of("reqflood.minConnections=1", "reqflood.ports=22,443")));
        assertThat(run("reqflood")).extracting(Detection::subject).containsOnly("10.0.0.23", "10.0.0.25");
        assertThatThrownBy(() -> Detectors.create("reqflood", List.of("reqflood.ports=80,http"))).hasMessageContaining("reqflood.ports: 'http' is not a port");
        assertThatThrownBy(() -> Detectors.create("reqflood", List.of("reqflood.minRate=0"))).hasMessageContaining("bad request flood config");
    }

    @Test
    void aConnectionOpenBeforeTheFirstCensusCountsFromIt() {
        // 8 connections that sent 20,000 requests before the detector's first census (the agent started on a busy server),
        // then 10 a second each: only the requests after the first census count
        RequestFloodDetector detector = new RequestFloodDetector();
        BuiltFlows flows = new BuiltFlows(8);
        flows.add(20_000, 0);
        List<Detection> reported = new java.util.ArrayList<>();
        for (long t = 100 * S; t <= 110 * S; t += S) {
            detector.census(t, t, flows, reported::add);
            flows.add(10, t);
        }
        assertThat(reported).isEmpty();
        // then 40 a second each (320 a second): reported at the third census of it
        for (long t = 111 * S; t <= 114 * S; t += S) {
            flows.add(40, t);
            detector.census(t, t, flows, reported::add);
        }
        assertThat(reported).extracting(Detection::timeNanos).containsExactly(113 * S, 114 * S);
    }

    @Test
    void aCensusOfASteadyTableAllocatesNothing() {
        // 2,000 requests a second over 2,000 connections of one source: reported, each report a text; a floor above it
        // for the measured censuses, so that only the census is measured
        BuiltFlows flows = new BuiltFlows(2000);
        RequestFloodDetector reporting = new RequestFloodDetector();
        RequestFloodDetector detector = new RequestFloodDetector(new RequestFloodDetector.Config(S, 1e6, 3, 2, 1000, "80", 65_536));
        List<Detection> reported = new java.util.ArrayList<>();
        DetectionSink none = d -> {};
        for (long t = S; t <= 4 * S; t += S) {
            flows.add(1, t);
            reporting.census(t, t, flows, reported::add);
            detector.census(t, t, flows, none);
        }
        assertThat(reported).isNotEmpty();
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            flows.add(1, (5 + i) * S);
            long before = bean.getCurrentThreadAllocatedBytes();
            detector.census((5 + i) * S, (5 + i) * S, flows, none);
            allocated = Math.min(allocated, bean.getCurrentThreadAllocatedBytes() - before);
        }
        // the walk's method reference at most (a Mark or Pair per flow would be 32 kB and more)
        assertThat(allocated).as("bytes allocated by a census of 2,000 flows").isLessThan(1024);
    }

    // built traffic -------------------------------------------------------------------------------------------------

    private final CensusTraffic traffic = new CensusTraffic();
    private DetectorSet set = new DetectorSet(Detectors.create("all"));

    private void at(long t, String src, int sport, int dport, int flags, int payload) {
        traffic.at(t, new FrameBuilder().ethernet().ipv4(src, VICTIM).tcp(sport, dport, flags).payload(payload).build());
    }

    /**
     * {@code connections} connections from {@code src} to {@code port}, opened at {@code from}, then {@code perSecond}
     * requests of {@code payload} bytes a second in turn over them until {@code to}, each request's answer acknowledged.
     */
    private void requests(String src, int port, int connections, int perSecond, long from, long to, int payload) {
        for (int c = 0; c < connections; c++) {
            at(from, src, 40_000 + c, port, SYN, 0);
            at(from + MS, src, 40_000 + c, port, ACK, 0);
        }
        long step = S / perSecond;
        int c = 0;
        for (long t = from + 2 * MS; t < to; t += step, c = (c + 1) % connections) {
            at(t, src, 40_000 + c, port, ACK | PSH, payload);
            at(t + MS / 2, src, 40_000 + c, port, ACK, 0);
        }
    }

    private List<Detection> run(String detector) {
        return traffic.run(set, detector);
    }

    /** The time of the first SYN from {@code source} in a capture. */
    private static long firstSynFrom(Path capture, String source) throws IOException {
        ObservationBuilder b = new ObservationBuilder(false);
        try (io.xdpml.pcap.CaptureReader r = io.xdpml.pcap.CaptureReader.open(capture)) {
            while (r.next()) {
                PacketObservation p = b.observe(r.file(), r.dataOffset(), r.capturedLength(), r.timestampNanos(), 1);
                if (p.protocol() == 6 && (p.tcpFlags() & SYN) != 0 && source.equals(p.sourceText())) {
                    return r.timestampNanos();
                }
            }
        }
        throw new AssertionError("no SYN from " + source);
    }

    /**
     * A table of {@code n} open TCP connections from 10.0.0.9 to 10.0.0.1:80, built state by state: each
     * {@link #add} gives every connection more requests of 100 bytes.
     */
    private static final class BuiltFlows implements FlowWalk {
        private final MemorySegment[] keys;
        private final MemorySegment[] states;

        BuiltFlows(int n) {
            keys = new MemorySegment[n];
            states = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                MemorySegment key = MemorySegment.ofArray(new byte[io.xdpml.flow.FlowLayout.KEY_SIZE]);
                key.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), io.xdpml.flow.FlowLayout.KEY_ADDR_A + 8, 0xffff);
                key.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), io.xdpml.flow.FlowLayout.KEY_ADDR_A + 12, 0x0a000009);
                key.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), io.xdpml.flow.FlowLayout.KEY_ADDR_B + 8, 0xffff);
                key.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), io.xdpml.flow.FlowLayout.KEY_ADDR_B + 12, 0x0a000001);
                key.set(io.xdpml.flow.FlowLayout.U16, io.xdpml.flow.FlowLayout.KEY_PORT_A, (short) (30_000 + i));
                key.set(io.xdpml.flow.FlowLayout.U16, io.xdpml.flow.FlowLayout.KEY_PORT_B, (short) 80);
                key.set(java.lang.foreign.ValueLayout.JAVA_BYTE, io.xdpml.flow.FlowLayout.KEY_PROTOCOL, (byte) 6);
                MemorySegment state = MemorySegment.ofArray(new byte[io.xdpml.flow.FlowLayout.FLOW_SIZE]);
                state.set(java.lang.foreign.ValueLayout.JAVA_BYTE, io.xdpml.flow.FlowLayout.INITIATOR_IS_A, (byte) 1);
                keys[i] = key;
                states[i] = state;
            }
        }

        /** {@code requests} more requests on every connection, the last at {@code t}. */
        void add(int requests, long t) {
            long fwd = io.xdpml.flow.FlowLayout.dirOffset(io.xdpml.flow.FlowLayout.FWD);
            for (MemorySegment s : states) {
                long packets = io.xdpml.flow.FlowLayout.u64(s, fwd + io.xdpml.flow.FlowLayout.D_PACKETS) + requests;
                s.set(io.xdpml.flow.FlowLayout.U64, fwd + io.xdpml.flow.FlowLayout.D_PACKETS, packets);
                s.set(io.xdpml.flow.FlowLayout.U64, fwd + io.xdpml.flow.FlowLayout.D_HEADER_BYTES, packets * 40);
                s.set(io.xdpml.flow.FlowLayout.U64, fwd + io.xdpml.flow.FlowLayout.D_BYTES, packets * 154);
                int data = Math.min(0xffff, io.xdpml.flow.FlowLayout.u16(s, fwd + io.xdpml.flow.FlowLayout.D_DATA_PACKETS) + requests);
                s.set(io.xdpml.flow.FlowLayout.U16, fwd + io.xdpml.flow.FlowLayout.D_DATA_PACKETS, (short) data);
                s.set(io.xdpml.flow.FlowLayout.U64, fwd + io.xdpml.flow.FlowLayout.D_LAST_NS, t);
            }
        }

        @Override
        public void forEach(java.util.function.BiConsumer<MemorySegment, MemorySegment> each) {
            for (int i = 0; i < keys.length; i++) {
                each.accept(keys[i], states[i]);
            }
        }
    }
}
