package io.xdpml.output.ipfix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReason;
import io.xdpml.flow.FlowRecord;
import io.xdpml.output.Endpoint;
import io.xdpml.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The encoder's bytes: header, templates, sets, sequence numbers, template refresh; the exporter's deltas. */
class IpfixEncoderTest {
    /** The Template Set as RFC 7011 writes it, by hand: 256 (IPv4) and 257 (IPv6), 15 fields each. */
    private static final String TEMPLATE_SET = "0002" + "0094" // set id 2, length 148
            + "0100" + "000f" // template 256, 15 fields
            + "0008 0004" + "000c 0004" // sourceIPv4Address, destinationIPv4Address
            + "0007 0002" + "000b 0002" + "0004 0001" + "0006 0002" + "003a 0002" // ports, protocol, tcpControlBits, vlanId
            + "0098 0008" + "0099 0008" // flowStart/EndMilliseconds
            + "0001 0008" + "0002 0008" // octetDeltaCount, packetDeltaCount
            + "8001 0008 00007279" + "8002 0008 00007279" // reverse (PEN 29305) octets, packets
            + "0088 0001" + "00ef 0001" // flowEndReason, biflowDirection
            + "0101" + "000f" // template 257
            + "001b 0010" + "001c 0010" // sourceIPv6Address, destinationIPv6Address
            + "0007 0002" + "000b 0002" + "0004 0001" + "0006 0002" + "003a 0002" + "0098 0008" + "0099 0008" + "0001 0008" + "0002 0008"
            + "8001 0008 00007279" + "8002 0008 00007279" + "0088 0001" + "00ef 0001";

    record Sent(byte[] bytes, int records, boolean templates) {}

    @TempDir
    Path dir;

    private static List<EndedFlow> firefox() {
        return IpfixTestFlows.endedFlows(TestData.capture("benign/ndpi-firefox.pcap"));
    }

    @Test
    void headerAndTemplateSet() {
        List<Sent> sent = new ArrayList<>();
        IpfixEncoder e = new IpfixEncoder(0xffff_fffeL, 512, Duration.ofMinutes(1), () -> 1_700_000_000_999L,
                (m, n, t) -> sent.add(new Sent(bytes(m), n, t)));
        e.sendTemplates();
        assertEquals(1, sent.size());
        byte[] hex = HexFormat.of().parseHex(("000a" + "00a4" + "6553f100" + "00000000" + "fffffffe" + TEMPLATE_SET).replace(" ", ""));
        assertEquals(HexFormat.of().formatHex(hex), HexFormat.of().formatHex(sent.getFirst().bytes()));
        assertEquals(67, IpfixEncoder.recordSize(4));
        assertEquals(91, IpfixEncoder.recordSize(6));
    }

    @Test
    void oneRecordByteForByte() {
        EndedFlow f = firefox().getFirst();
        List<Sent> sent = new ArrayList<>();
        IpfixEncoder e = new IpfixEncoder(7, 512, null, () -> 1_000L, (m, n, t) -> sent.add(new Sent(bytes(m), n, t)));
        e.record(f, 0x0102030405060708L, 0x1112131415161718L, 0x21, 0x22, 0x23, 0x24);
        e.flush();
        FlowRecord r = f.view();
        String expected = "000a" + String.format("%04x", 16 + 148 + 4 + 67) + "00000001" + "00000000" + "00000007" + TEMPLATE_SET
                + "0100" + String.format("%04x", 4 + 67)
                + HexFormat.of().formatHex(r.sourceAddress().getAddress()) + HexFormat.of().formatHex(r.destinationAddress().getAddress())
                + String.format("%04x%04x%02x", r.sourcePort(), r.destinationPort(), r.protocol())
                + String.format("%04x", FlowLayout.tcpFlagsSeen(r.state())) + "0000"
                + "0102030405060708" + "1112131415161718"
                + "0000000000000022" + "0000000000000021" + "0000000000000024" + "0000000000000023"
                + "04" + "01";
        assertEquals(expected.replace(" ", ""), HexFormat.of().formatHex(sent.getFirst().bytes()));
        assertEquals(1, sent.getFirst().records());
        assertTrue(sent.getFirst().templates());
        assertEquals(0x1a, FlowLayout.tcpFlagsSeen(r.state()), "SYN, PSH and ACK seen in this TLS flow (no FIN, no RST)");
    }

    /** Small messages: many of them, each within the limit, each numbered by the records before it. */
    @Test
    void sequenceNumbersAcrossMessages() {
        List<EndedFlow> flows = IpfixTestFlows.endedFlows(TestData.capture("benign/ndpi-tor.pcap"));
        assertTrue(flows.stream().anyMatch(f -> f.view().ipVersion() == 6) && flows.stream().anyMatch(f -> f.view().ipVersion() == 4));
        List<Sent> sent = new ArrayList<>();
        IpfixEncoder e = new IpfixEncoder(9, 512, Duration.ofMinutes(1), () -> 5_000L, (m, n, t) -> sent.add(new Sent(bytes(m), n, t)));
        for (int round = 0; round < 20; round++) {
            for (EndedFlow f : flows) {
                e.record(f, 1, 2, 3, 4, 5, 6);
            }
        }
        e.flush();
        assertEquals(20 * flows.size(), e.sequence());
        IpfixReader reader = new IpfixReader();
        long before = 0;
        int i = 0;
        for (Sent s : sent) {
            assertTrue(s.bytes().length <= 512, "message of " + s.bytes().length);
            IpfixReader.Message m = reader.message(ByteBuffer.wrap(s.bytes()));
            assertEquals(s.bytes().length, m.header().length());
            assertEquals(before, m.header().sequence());
            assertEquals(s.records(), m.records().size());
            for (IpfixReader.Record r : m.records()) {
                EndedFlow f = flows.get(i++ % flows.size());
                assertRecord(f, r, 1, 2, 3, 4, 5, 6);
            }
            before += s.records();
        }
        assertEquals(20 * flows.size(), i);
        assertTrue(sent.size() > 30, sent.size() + " messages");
        assertTrue(sent.getFirst().templates());
        assertTrue(sent.stream().skip(1).noneMatch(Sent::templates), "within a minute no refresh");
    }

    /** RFC 7011: the sequence number counts modulo 2^32. */
    @Test
    void sequenceNumberWraps() {
        EndedFlow f = firefox().getFirst();
        List<Sent> sent = new ArrayList<>();
        IpfixEncoder e = new IpfixEncoder(1, 512, null, () -> 0L, (m, n, t) -> sent.add(new Sent(bytes(m), n, t)));
        e.sequence(0xffff_fffdL);
        for (int i = 0; i < 5; i++) {
            e.record(f, 0, 0, 1, 1, 0, 0);
        }
        e.flush();
        for (int i = 0; i < 2; i++) {
            e.record(f, 0, 0, 1, 1, 0, 0);
        }
        e.flush();
        assertEquals(2, sent.size());
        assertEquals("fffffffd", HexFormat.of().formatHex(sent.get(0).bytes(), 8, 12));
        assertEquals("00000002", HexFormat.of().formatHex(sent.get(1).bytes(), 8, 12));
        assertEquals(4, e.sequence());
    }

    @Test
    void templatesRefreshedOnTime() {
        EndedFlow f = firefox().getFirst();
        AtomicLong now = new AtomicLong(1_000_000L);
        List<Sent> sent = new ArrayList<>();
        IpfixEncoder e = new IpfixEncoder(1, 1400, Duration.ofSeconds(60), now::get, (m, n, t) -> sent.add(new Sent(bytes(m), n, t)));
        e.sendTemplates(); // at start
        for (long at : new long[] {0, 30_000, 59_999, 60_000, 61_000, 119_999, 120_000, 120_001}) {
            now.set(1_000_000L + at);
            e.record(f, 0, 0, 1, 1, 0, 0);
            e.flush();
        }
        List<Boolean> templates = sent.stream().map(Sent::templates).toList();
        assertEquals(List.of(true, false, false, false, true, false, false, true, false), templates);
        IpfixReader reader = new IpfixReader();
        for (Sent s : sent) { // what the flag says is what the bytes hold
            assertEquals(s.templates(), reader.message(ByteBuffer.wrap(s.bytes())).templateIds().equals(List.of(256, 257)));
        }

        List<Boolean> every = new ArrayList<>();
        IpfixEncoder zero = new IpfixEncoder(1, 1400, Duration.ZERO, now::get, (m, n, t) -> every.add(t));
        List<Boolean> once = new ArrayList<>();
        IpfixEncoder file = new IpfixEncoder(1, 1400, null, now::get, (m, n, t) -> once.add(t));
        for (int i = 0; i < 3; i++) {
            now.addAndGet(3_600_000);
            for (IpfixEncoder x : List.of(zero, file)) {
                x.record(f, 0, 0, 1, 1, 0, 0);
                x.flush();
            }
        }
        assertEquals(List.of(true, true, true), every);
        assertEquals(List.of(true, false, false), once);
    }

    /** Active reports carry deltas: per flow the records sum to its totals at its last report. */
    @Test
    void activeReportsExportDeltas() throws Exception {
        List<EndedFlow> reports = IpfixTestFlows.reports(TestData.capture("benign/lan-trace-2012.pcap"), 1_000_000_000L);
        Path file = dir.resolve("deltas.ipfix");
        IpfixExporter x = IpfixExporter.open(null, file, Duration.ofMinutes(1), 1, IpfixExporter.captureTime());
        long active = 0;
        int maxTracked = 0;
        for (EndedFlow f : reports) {
            x.flow(f);
            maxTracked = Math.max(maxTracked, x.trackedFlows());
            active += f.ended() ? 0 : 1;
        }
        x.close();
        assertTrue(active > 50, active + " active reports");
        assertEquals(active, x.activeReports());
        assertEquals(reports.size() - active, x.flows(), "each flow once: its active reports not counted");
        assertEquals(reports.size(), x.file().records(), "every report is a data record");
        assertEquals(0, x.trackedFlows(), "every flow ended: nothing kept");
        assertTrue(maxTracked > 0);

        List<IpfixReader.Record> records = new ArrayList<>();
        new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file))).forEach(m -> records.addAll(m.records()));
        assertEquals(reports.size(), records.size());
        Map<String, long[]> sums = new HashMap<>();
        Map<String, long[]> totals = new HashMap<>();
        int empty = 0;
        for (int i = 0; i < reports.size(); i++) {
            EndedFlow f = reports.get(i);
            IpfixReader.Record r = records.get(i);
            assertEquals(IpfixEncoder.endReason(f.reason()), r.number(IpfixEncoder.FLOW_END_REASON));
            String id = Arrays.toString(f.key()) + f.firstNanos();
            long[] s = sums.computeIfAbsent(id, k -> new long[4]);
            s[0] += r.number(IpfixEncoder.PACKET_DELTA_COUNT);
            s[1] += r.number(IpfixEncoder.OCTET_DELTA_COUNT);
            s[2] += r.reverse(IpfixEncoder.PACKET_DELTA_COUNT);
            s[3] += r.reverse(IpfixEncoder.OCTET_DELTA_COUNT);
            FlowRecord v = f.view();
            totals.put(id, new long[] {v.packets(FlowLayout.FWD), v.bytes(FlowLayout.FWD), v.packets(FlowLayout.BWD), v.bytes(FlowLayout.BWD)});
            if (r.number(IpfixEncoder.PACKET_DELTA_COUNT) + r.reverse(IpfixEncoder.PACKET_DELTA_COUNT) == 0) {
                empty++; // the flow ended with no packet since its last active report: the record says it ended
                assertTrue(f.ended());
            }
        }
        for (var t : totals.entrySet()) {
            assertArrayEquals(t.getValue(), sums.get(t.getKey()), t.getKey());
        }
        System.out.printf("lan-trace, active timeout 1 s: %d reports (%d active) of %d flows, %d end records without new packets%n",
                reports.size(), active, totals.size(), empty);
    }

    /** The table of exported totals is bounded: beyond it the oldest active flow is forgotten (counted). */
    @Test
    void trackedFlowsBounded() throws Exception {
        List<EndedFlow> flows = firefox();
        IpfixExporter x = new IpfixExporter(null, dir.resolve("b.ipfix"), false, Duration.ofMinutes(1), 1, IpfixExporter.captureTime(),
                IpfixEncoder.DEFAULT_MAX_MESSAGE, () -> 0L, 2);
        for (EndedFlow f : flows) {
            x.flow(new EndedFlow(f.key(), f.state(), FlowReason.ACTIVE, 0, null, Double.NaN));
        }
        x.close();
        assertEquals(2, x.trackedFlows());
        assertEquals(flows.size() - 2, x.forgottenFlows());
    }

    @Test
    void reasonMapping() {
        assertEquals(1, IpfixEncoder.endReason(FlowReason.IDLE));
        assertEquals(1, IpfixEncoder.endReason(FlowReason.SWEPT_IDLE));
        assertEquals(2, IpfixEncoder.endReason(FlowReason.ACTIVE));
        assertEquals(3, IpfixEncoder.endReason(FlowReason.TCP_CLOSE));
        assertEquals(4, IpfixEncoder.endReason(FlowReason.END));
    }

    /** Appending (the agent): a second run's messages follow the first's, templates first; every record of both reads back. */
    @Test
    void anAppendedFileKeepsThePreviousRun() throws Exception {
        List<EndedFlow> flows = firefox();
        Path file = dir.resolve("appended.ipfix");
        for (int run = 0; run < 2; run++) {
            try (IpfixExporter x = IpfixExporter.open(null, file, true, Duration.ofMinutes(1), 1, IpfixExporter.captureTime())) {
                flows.forEach(x::flow);
            }
        }
        List<IpfixReader.Record> records = new ArrayList<>();
        new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file))).forEach(m -> records.addAll(m.records()));
        assertEquals(2 * flows.size(), records.size(), "both runs' records");
        try (IpfixExporter x = IpfixExporter.open(null, file, Duration.ofMinutes(1), 1, IpfixExporter.captureTime())) {
            flows.forEach(x::flow);
        }
        records.clear();
        new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file))).forEach(m -> records.addAll(m.records()));
        assertEquals(flows.size(), records.size(), "not appending: truncated");
    }

    /** A send that fails is counted and remembered, never thrown into the caller (the packet path). */
    @Test
    void sendErrorsCounted() throws Exception {
        // a broadcast address without SO_BROADCAST: the kernel refuses every datagram (EACCES)
        IpfixExporter x = IpfixExporter.open(new Endpoint("255.255.255.255", 4739), null, Duration.ofMinutes(1), 1,
                IpfixExporter.captureTime());
        for (EndedFlow f : firefox()) {
            x.flow(f);
        }
        x.close();
        IpfixExporter.Counters c = x.udp();
        assertEquals(2, c.errors(), "the templates at start and the data message");
        assertEquals(0, c.messages());
        assertNotNull(c.lastError());
        assertEquals(6, x.flows());
    }

    @Test
    void badSettingsRefused() {
        assertThrows(IllegalArgumentException.class, () -> IpfixExporter.open(null, null, Duration.ZERO, 1, IpfixExporter.captureTime()));
        assertThrows(IllegalArgumentException.class, () -> new IpfixEncoder(1L << 32, 1400, null, () -> 0L, (m, n, t) -> {}));
        assertThrows(IllegalArgumentException.class, () -> new IpfixEncoder(1, 100, null, () -> 0L, (m, n, t) -> {}));
        assertFalse(IpfixExporter.monotonicTime().applyAsLong(System.nanoTime()) < System.currentTimeMillis() - 1000);
    }

    /** A decoded record against the flow it came from, with the given times and counts. */
    static void assertRecord(EndedFlow f, IpfixReader.Record r, long startMs, long endMs, long fwdPackets, long fwdBytes, long bwdPackets,
            long bwdBytes) {
        FlowRecord v = f.view();
        int version = v.ipVersion();
        assertEquals(version == 6 ? IpfixEncoder.TEMPLATE_V6 : IpfixEncoder.TEMPLATE_V4, r.template());
        assertArrayEquals(v.sourceAddress().getAddress(), r.bytes(version == 6 ? 27 : 8));
        assertArrayEquals(v.destinationAddress().getAddress(), r.bytes(version == 6 ? 28 : 12));
        assertEquals(v.sourcePort(), r.number(IpfixEncoder.SOURCE_TRANSPORT_PORT));
        assertEquals(v.destinationPort(), r.number(IpfixEncoder.DESTINATION_TRANSPORT_PORT));
        assertEquals(v.protocol(), r.number(IpfixEncoder.PROTOCOL_IDENTIFIER));
        assertEquals(v.protocol() == 6 ? FlowLayout.tcpFlagsSeen(v.state()) : 0, r.number(IpfixEncoder.TCP_CONTROL_BITS));
        assertEquals(v.vlan(), r.number(IpfixEncoder.VLAN_ID));
        assertEquals(startMs, r.number(IpfixEncoder.FLOW_START_MILLISECONDS));
        assertEquals(endMs, r.number(IpfixEncoder.FLOW_END_MILLISECONDS));
        assertEquals(fwdPackets, r.number(IpfixEncoder.PACKET_DELTA_COUNT));
        assertEquals(fwdBytes, r.number(IpfixEncoder.OCTET_DELTA_COUNT));
        assertEquals(bwdPackets, r.reverse(IpfixEncoder.PACKET_DELTA_COUNT));
        assertEquals(bwdBytes, r.reverse(IpfixEncoder.OCTET_DELTA_COUNT));
        assertEquals(IpfixEncoder.endReason(f.reason()), r.number(IpfixEncoder.FLOW_END_REASON));
        assertEquals(1, r.number(IpfixEncoder.BIFLOW_DIRECTION));
    }

    /** The same with the flow's whole counts. */
    static void assertRecord(EndedFlow f, IpfixReader.Record r, long startMs, long endMs) {
        FlowRecord v = f.view();
        assertRecord(f, r, startMs, endMs, v.packets(FlowLayout.FWD), v.bytes(FlowLayout.FWD), v.packets(FlowLayout.BWD),
                v.bytes(FlowLayout.BWD));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
