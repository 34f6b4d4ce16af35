package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DNS question reader on hand-made messages (each malformation on its own) and on iodine's queries against tshark. */
class DnsQuestionTest {
    private final DnsQuestion q = new DnsQuestion();

    /** A query header (id 0x1234, RD, one question) followed by {@code body}. */
    static byte[] query(int flags, int qdcount, byte[] body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x12, 0x34, (byte) (flags >>> 8), (byte) flags, 0, (byte) qdcount, 0, 0, 0, 0, 0, 0});
        b.writeBytes(body);
        return b.toByteArray();
    }

    /** Labels in wire form, the root label, then QTYPE and QCLASS IN. */
    static byte[] name(int qtype, String... labels) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String l : labels) {
            b.write(l.length());
            b.writeBytes(l.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        b.writeBytes(new byte[] {0, (byte) (qtype >>> 8), (byte) qtype, 0, 1});
        return b.toByteArray();
    }

    boolean parse(byte[] m) {
        // at an offset inside a larger segment, as in a frame
        byte[] framed = new byte[m.length + 20];
        System.arraycopy(m, 0, framed, 7, m.length);
        return q.parse(MemorySegment.ofArray(framed), 7, m.length);
    }

    @Test
    void readsAPlainQuestion() {
        assertThat(parse(query(0x0100, 1, name(1, "www", "Example", "com")))).isTrue();
        assertThat(q.nameText()).isEqualTo("www.Example.com");
        assertThat(q.qtype()).isEqualTo(1);
        assertThat(q.labelCount()).isEqualTo(3);
        assertThat(q.longestLabel()).isEqualTo(7);
        assertThat(q.baseDomainText()).isEqualTo("example.com");
        assertThat(q.subdomainLength()).isEqualTo(3);
        assertThat(q.pointers()).isZero();
    }

    @Test
    void readsTheQuestionAResponseRepeatsAndTellsQueriesFromResponses() {
        byte[] response = query(0x8180, 1, name(255, "Amp", "Example", "org"));
        MemorySegment r = MemorySegment.ofArray(response);
        assertThat(q.parseResponse(r, 0, response.length)).isTrue();
        assertThat(q.nameText()).isEqualTo("Amp.Example.org");
        assertThat(q.qtype()).isEqualTo(255);
        long hash = q.nameHashIgnoringCase();
        assertThat(q.parse(r, 0, response.length)).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NOT_A_QUERY);
        byte[] lower = query(0x8180, 1, name(255, "amp", "example", "ORG"));
        assertThat(q.parseResponse(MemorySegment.ofArray(lower), 0, lower.length)).isTrue();
        assertThat(q.nameHashIgnoringCase()).as("the same name in another case").isEqualTo(hash);
        byte[] query = query(0x0100, 1, name(1, "www", "example", "com"));
        assertThat(q.parseResponse(MemorySegment.ofArray(query), 0, query.length)).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NOT_A_RESPONSE);
        byte[] notify = query(0x8000 | 0x2000, 1, name(6, "example", "com")); // a response to a NOTIFY (opcode 4)
        assertThat(q.parseResponse(MemorySegment.ofArray(notify), 0, notify.length)).isFalse();
    }

    @Test
    void entropyAndBaseDomainHash() {
        parse(query(0, 1, name(10, "aaaa", "x", "org")));
        assertThat(q.subdomainEntropy()).isEqualTo(0.0);
        long base = q.baseDomainHash();
        parse(query(0, 1, name(10, "abcd", "X", "ORG")));
        assertThat(q.subdomainEntropy()).isCloseTo(2.0, within(1e-12));
        assertThat(q.baseDomainHash()).as("base domain compared case-insensitively").isEqualTo(base);
        parse(query(0, 1, name(10, "aabb", "cd", "x", "org")));
        assertThat(q.subdomainLength()).isEqualTo(7);
        assertThat(q.subdomainEntropy()).as("a a b b . c d: p = 2/7,2/7,1/7,1/7,1/7").isCloseTo(
                -(2 * (2 / 7.0) * Math.log(2 / 7.0) + 3 * (1 / 7.0) * Math.log(1 / 7.0)) / Math.log(2), within(1e-12));
        parse(query(0, 1, name(1, "com")));
        assertThat(q.subdomainLength()).isZero();
        assertThat(q.subdomainEntropy()).isZero();
        assertThat(q.baseDomainText()).isEqualTo("com");
    }

    @Test
    void followsABackwardPointer() {
        // 12: label of 3 bytes whose content is itself a name ("\001a\000"), 16: pointer to 13 (that name), 18: QTYPE 16
        assertThat(parse(query(0, 1, new byte[] {3, 1, 'a', 0, (byte) 0xc0, 13, 0, 16, 0, 1}))).isTrue();
        assertThat(q.nameText()).isEqualTo("\\001a\\000.a");
        assertThat(q.labelCount()).isEqualTo(2);
        assertThat(q.pointers()).isEqualTo(1);
        assertThat(q.qtype()).as("read after the pointer, not after the name it points to").isEqualTo(16);
    }

    @Test
    void refusesPointersThatDoNotGoBack() {
        // a pointer to itself
        assertThat(parse(query(0, 1, new byte[] {1, 'q', (byte) 0xc0, 14, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_POINTER);
        // forward
        assertThat(parse(query(0, 1, new byte[] {1, 'c', (byte) 0xc0, 17, 0, 1, 'b', 0, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_POINTER);
        // into the header
        assertThat(parse(query(0, 1, new byte[] {1, 'c', (byte) 0xc0, 4, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_POINTER);
        // back to the start of the name: "x", then the pointer again, which must now point before 12: a loop, cut
        assertThat(parse(query(0, 1, new byte[] {1, 'x', (byte) 0xc0, 12, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_POINTER);
        assertThat(q.pointers()).isEqualTo(2);
    }

    @Test
    void cutsLongPointerChains() {
        // 12: a label of 34 bytes holding 17 pointers, each to the one before it (the first to 12), then at 47 a pointer
        // to the last of them: every jump goes back, and the 17th is one too many
        byte[] body = new byte[1 + 34 + 2 + 4];
        body[0] = 34;
        for (int k = 0; k < 17; k++) {
            body[1 + 2 * k] = (byte) 0xc0;
            body[2 + 2 * k] = (byte) (k == 0 ? 12 : 13 + 2 * (k - 1));
        }
        body[35] = (byte) 0xc0;
        body[36] = 13 + 2 * 16;
        assertThat(parse(query(0, 1, body))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.TOO_MANY_POINTERS);
        assertThat(q.pointers()).isEqualTo(DnsQuestion.MAX_POINTERS + 1);
    }

    @Test
    void refusesWhatIsNoQuery() {
        assertThat(parse(query(0x8180, 1, name(1, "a", "b")))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NOT_A_QUERY);
        assertThat(parse(query(0x2800, 1, name(1, "a", "b")))).as("opcode 5 (UPDATE)").isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NOT_A_QUERY);
        assertThat(parse(query(0, 0, name(1, "a", "b")))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NO_QUESTION);
        assertThat(parse(new byte[11])).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.TOO_SHORT);
    }

    @Test
    void refusesMalformedNames() {
        byte[] whole = query(0, 1, name(1, "abcdef", "com"));
        for (int cut = 12; cut < whole.length - 2; cut++) {
            byte[] m = java.util.Arrays.copyOf(whole, cut);
            assertThat(parse(m)).as("cut at %d", cut).isFalse();
            assertThat(q.error()).as("cut at %d", cut).isEqualTo(DnsQuestion.Error.TRUNCATED);
        }
        assertThat(parse(java.util.Arrays.copyOf(whole, whole.length - 2))).as("QCLASS missing is fine").isTrue();
        assertThat(parse(query(0, 1, new byte[] {0x41, 'a', 0, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_LABEL_TYPE);
        assertThat(parse(query(0, 1, new byte[] {(byte) 0x80, 'a', 0, 0, 1}))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.BAD_LABEL_TYPE);
        String l63 = "x".repeat(63);
        assertThat(parse(query(0, 1, name(1, l63, l63, l63, "y".repeat(61))))).as("253 bytes dotted: the longest name").isTrue();
        assertThat(q.nameLength()).isEqualTo(253);
        assertThat(parse(query(0, 1, name(1, l63, l63, l63, "y".repeat(62))))).isFalse();
        assertThat(q.error()).isEqualTo(DnsQuestion.Error.NAME_TOO_LONG);
    }

    @Test
    void randomBytesNeverReadOutOfBounds() {
        java.util.Random rnd = new java.util.Random(5);
        int ok = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] m = new byte[rnd.nextInt(80)];
            rnd.nextBytes(m);
            if (m.length > 5) {
                m[2] &= 0x07; // mostly standard queries, so the name reader runs
                m[4] = 0;
                m[5] = 1;
            }
            // a declared length beyond the segment is cut to it
            if (q.parse(MemorySegment.ofArray(m), 0, m.length + rnd.nextInt(3))) {
                ok++;
                assertThat(q.nameLength()).isBetween(0, 253);
            }
        }
        assertThat(ok).as("some random messages are well-formed queries").isPositive();
    }

    @Test
    void iodineQueriesMatchTshark() throws Exception {
        TsharkOracle.require();
        String file = TestData.capture("attack/dns-tunnel-iodine.pcap").toString();
        List<String> expected = TsharkOracle.run("-r", file, "-Y", "udp.dstport == 53 && dns.flags.response == 0", "-T", "fields", "-e",
                "dns.qry.name", "-e", "dns.qry.type");
        List<String> ours = new ArrayList<>();
        List<Boolean> ascii = new ArrayList<>();
        ObservationBuilder builder = new ObservationBuilder(false);
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(TestData.capture("attack/dns-tunnel-iodine.pcap"))) {
            while (r.next()) {
                int len = framer.frame(r);
                PacketObservation p = builder.observe(framer.frameSegment(), len, r.timestampNanos());
                if (p.isUdp() && p.destinationPort() == 53 && q.parse(p.frame(), p.payloadOffset(), p.payloadLength())) {
                    ours.add(q.nameLatin1() + "\t" + q.qtype());
                    ascii.add(q.nameLatin1().chars().allMatch(c -> c > 0x20 && c < 0x7f));
                }
            }
        }
        assertThat(ours).hasSize(expected.size()).hasSize(222);
        int compared = 0;
        for (int i = 0; i < ours.size(); i++) {
            if (ascii.get(i)) { // tshark escapes other bytes its own way
                assertThat(ours.get(i)).as("query %d", i).isEqualTo(expected.get(i));
                compared++;
            }
        }
        assertThat(compared).as("queries with printable names compared (the others carry raw bytes)").isEqualTo(181);
    }
}
