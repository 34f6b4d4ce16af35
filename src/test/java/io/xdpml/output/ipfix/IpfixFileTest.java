package io.xdpml.output.ipfix;

import static io.xdpml.testing.Requirements.require;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowRecord;
import io.xdpml.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exporter's IPFIX file (RFC 5655) read by libfixbuf's ipfixDump (no complaint, every record)
 * and by tshark's IPFIX dissector (no expert information at all, every record's fields), and by
 * the strict test reader (every value).
 */
class IpfixFileTest {
    private static final DateTimeFormatter TSHARK_TIME = DateTimeFormatter.ofPattern("MMM ppd, yyyy HH:mm:ss.SSS'000000 UTC'", Locale.US)
            .withZone(ZoneOffset.UTC);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap", "attack/cicddos2019-synflood.pcap",
        "benign/ndpi-tor.pcap", "tunnel/zeek-vlan-qinqinq.pcap"})
    void readersAcceptTheFile(String capture) throws Exception {
        require(Tool.installed("ipfixDump", "--version"), "ipfixDump (apt-get install libfixbuf-tools)");
        require(Tool.installed("tshark", "-v"), "tshark");
        List<EndedFlow> flows = IpfixTestFlows.endedFlows(TestData.capture(capture));
        Path file = dir.resolve("flows.ipfix");
        IpfixExporter.Counters counters;
        try (IpfixExporter exporter = IpfixExporter.open(null, file, Duration.ofMinutes(1), 7, IpfixExporter.captureTime())) {
            flows.forEach(exporter::flow);
            exporter.close();
            counters = exporter.file();
        }
        assertEquals(new IpfixExporter.Counters(counters.messages(), flows.size(), Files.size(file), 0, null), counters);

        // the strict reader: templates once at the start, then the records in order, value by value
        List<IpfixReader.Message> messages = new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file)));
        assertEquals(List.of(256, 257), messages.getFirst().templateIds());
        assertEquals(0, messages.getFirst().records().size());
        long sequence = 0;
        List<IpfixReader.Record> records = new ArrayList<>();
        for (IpfixReader.Message m : messages) {
            assertEquals(sequence, m.header().sequence());
            assertEquals(7, m.header().domain());
            assertTrue(m == messages.getFirst() || m.templateIds().isEmpty(), "templates again in a file");
            sequence += m.records().size();
            records.addAll(m.records());
        }
        assertEquals(flows.size(), records.size());
        for (int i = 0; i < flows.size(); i++) {
            IpfixEncoderTest.assertRecord(flows.get(i), records.get(i), Math.floorDiv(flows.get(i).firstNanos(), 1_000_000L),
                    Math.floorDiv(flows.get(i).lastNanos(), 1_000_000L));
        }

        // ipfixDump: nothing on stderr, every record
        Tool.Result stats = Tool.run(dir, List.of("ipfixDump", "--stats", "--in", file.toString()));
        assertEquals(0, stats.exit(), stats.err());
        assertEquals("", stats.err());
        assertTrue(stats.out().contains(messages.size() + " Messages, " + flows.size() + " Data Records, 2 Template Records"), stats.out());
        Tool.Result dump = Tool.run(dir, List.of("ipfixDump", "--in", file.toString()));
        assertEquals(0, dump.exit(), dump.err());
        assertEquals("", dump.err());
        assertEquals(flows.size(), count(dump.out(), "--- data record "));

        // tshark: no expert information (malformed, warnings, notes), and every record's fields
        Tool.Result expert = Tool.run(dir, List.of("tshark", "-r", file.toString(), "-q", "-z", "expert"));
        assertEquals(0, expert.exit(), expert.err());
        assertEquals("", expert.out().strip());
        assertEquals("", tsharkErrors(expert.err()));
        Tool.Result fields = Tool.run(dir, List.of("tshark", "-r", file.toString(), "-T", "fields", "-E", "occurrence=a", "-e", "cflow.srcport",
                "-e", "cflow.dstport", "-e", "cflow.protocol", "-e", "cflow.octets", "-e", "cflow.packets", "-e", "cflow.flow_end_reason", "-e",
                "cflow.vlanid", "-e", "cflow.abstimestart", "-e", "cflow.abstimeend"));
        assertEquals("", tsharkErrors(fields.err()));
        List<String> got = new ArrayList<>();
        for (String line : fields.out().split("\n")) {
            String[] f = line.split("\t", -1);
            if (f[0].isEmpty()) {
                continue; // the templates' message
            }
            String[] sport = f[0].split(",");
            String[] dport = f[1].split(",");
            String[] proto = f[2].split(",");
            String[] octets = f[3].split(",");
            String[] packets = f[4].split(",");
            String[] reason = f[5].split(",");
            String[] vlan = f[6].split(",");
            List<String> start = times(f[7]);
            List<String> end = times(f[8]);
            for (int i = 0; i < sport.length; i++) {
                got.add(String.join(" ", sport[i], dport[i], proto[i], octets[2 * i], packets[2 * i], octets[2 * i + 1], packets[2 * i + 1],
                        reason[i], vlan[i], start.get(i), end.get(i)));
            }
        }
        List<String> expected = new ArrayList<>();
        for (EndedFlow e : flows) {
            FlowRecord r = e.view();
            expected.add(String.join(" ", String.valueOf(r.sourcePort()), String.valueOf(r.destinationPort()), String.valueOf(r.protocol()),
                    String.valueOf(r.bytes(FlowLayout.FWD)), String.valueOf(r.packets(FlowLayout.FWD)), String.valueOf(r.bytes(FlowLayout.BWD)),
                    String.valueOf(r.packets(FlowLayout.BWD)), String.valueOf(IpfixEncoder.endReason(e.reason())), String.valueOf(r.vlan()),
                    TSHARK_TIME.format(Instant.ofEpochMilli(Math.floorDiv(e.firstNanos(), 1_000_000L))),
                    TSHARK_TIME.format(Instant.ofEpochMilli(Math.floorDiv(e.lastNanos(), 1_000_000L)))));
        }
        assertEquals(expected, got);
        System.out.printf("%s: %d flows in %d messages (%d bytes): ipfixDump and tshark read them all, no complaint%n", capture, flows.size(),
                messages.size(), Files.size(file));
    }

    /**
     * A run that died mid-message (a full disk) left a cut message at the file's end: the next run
     * takes it off before appending, and ipfixDump then reads both runs whole. Without that, the
     * appended run's first message was read as the cut one's rest and the readers stopped there.
     */
    @org.junit.jupiter.api.Test
    void aCutMessageAtTheEndIsTakenOffBeforeTheNextRunAppends() throws Exception {
        require(Tool.installed("ipfixDump", "--version"), "ipfixDump (apt-get install libfixbuf-tools)");
        List<EndedFlow> flows = IpfixTestFlows.endedFlows(TestData.capture("benign/ndpi-firefox.pcap"));
        Path file = dir.resolve("died.ipfix");
        try (IpfixExporter x = IpfixExporter.open(null, file, true, Duration.ofMinutes(1), 7, IpfixExporter.captureTime())) {
            flows.forEach(x::flow);
        }
        long whole = Files.size(file);
        byte[] firstRun = Files.readAllBytes(file);
        List<IpfixReader.Message> messages = new IpfixReader().read(ByteBuffer.wrap(firstRun));
        int lastLength = messages.getLast().header().length();
        // the dying run: a last message of which only its first 40 bytes reached the disk
        Files.write(file, Arrays.copyOfRange(firstRun, (int) whole - lastLength, (int) whole - lastLength + 40),
                java.nio.file.StandardOpenOption.APPEND);
        try (IpfixExporter x = IpfixExporter.open(null, file, true, Duration.ofMinutes(1), 7, IpfixExporter.captureTime())) {
            assertEquals(40, x.cutAtOpen());
            flows.forEach(x::flow);
        }
        assertArrayEquals(firstRun, Arrays.copyOf(Files.readAllBytes(file), firstRun.length), "the first run's messages as they were");
        List<IpfixReader.Record> records = new ArrayList<>();
        new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file))).forEach(m -> records.addAll(m.records()));
        assertEquals(2 * flows.size(), records.size());
        Tool.Result dump = Tool.run(dir, List.of("ipfixDump", "--in", file.toString()));
        assertEquals(0, dump.exit(), dump.err());
        assertEquals("", dump.err());
        assertEquals(2 * flows.size(), count(dump.out(), "--- data record "), "ipfixDump reads both runs");
    }

    /** A file that is not IPFIX is not appended to (neither would be readable): refused with where, left as it was. */
    @org.junit.jupiter.api.Test
    void aFileOfAnotherKindIsNotAppendedTo() throws Exception {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "these are an operator's notes, not IPFIX\n");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> IpfixExporter.open(null, file, true, Duration.ofMinutes(1), 7, IpfixExporter.captureTime()));
        assertTrue(e.getMessage().contains("is not an IPFIX file: at byte 0"), e.getMessage());
        assertEquals("these are an operator's notes, not IPFIX\n", Files.readString(file));
    }

    /**
     * logrotate's create, then a reload: the exporter opens the file again by its name at its next
     * flush; the rotated file keeps what was written before, the new one begins with the templates
     * and holds what came after, and ipfixDump reads each whole.
     */
    @org.junit.jupiter.api.Test
    void aReopenedFileBeginsWithTheTemplatesAndTheRotatedOneIsWhole() throws Exception {
        require(Tool.installed("ipfixDump", "--version"), "ipfixDump (apt-get install libfixbuf-tools)");
        List<EndedFlow> flows = IpfixTestFlows.endedFlows(TestData.capture("benign/ndpi-firefox.pcap"));
        int half = flows.size() / 2;
        Path file = dir.resolve("flows.ipfix");
        Path rotated = dir.resolve("flows.ipfix.1");
        try (IpfixExporter x = IpfixExporter.open(null, file, true, Duration.ofMinutes(1), 7, IpfixExporter.captureTime())) {
            flows.subList(0, half).forEach(x::flow);
            x.flush();
            Files.move(file, rotated);
            x.reopenFile();
            flows.subList(half, half + 1).forEach(x::flow); // under way when the reopen is asked: goes to the old file
            x.flush();
            flows.subList(half + 1, flows.size()).forEach(x::flow);
            assertEquals(0, x.file().errors(), x.file().lastError());
        }
        List<IpfixReader.Message> old = new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(rotated)));
        List<IpfixReader.Message> now = new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file)));
        assertEquals(List.of(256, 257), now.getFirst().templateIds(), "the new file begins with the templates");
        assertEquals(half + 1, old.stream().mapToInt(m -> m.records().size()).sum());
        assertEquals(flows.size() - half - 1, now.stream().mapToInt(m -> m.records().size()).sum());
        for (Path p : List.of(rotated, file)) {
            Tool.Result dump = Tool.run(dir, List.of("ipfixDump", "--in", p.toString()));
            assertEquals(0, dump.exit(), dump.err());
            assertEquals("", dump.err(), p.toString());
        }
    }

    private static final Pattern TIME = Pattern.compile("[A-Z][a-z]{2} [ \\d]\\d, \\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{9} UTC");

    /** tshark joins a field's occurrences with commas, and its times contain one. */
    private static List<String> times(String field) {
        List<String> out = new ArrayList<>();
        Matcher m = TIME.matcher(field);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** tshark's stderr without its warning about running as root. */
    private static String tsharkErrors(String err) {
        return Arrays.stream(err.split("\n")).filter(l -> !l.isBlank() && !l.startsWith("Running as user \"root\"")).reduce("",
                (a, b) -> a + b + "\n");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
