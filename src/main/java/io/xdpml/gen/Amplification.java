package io.xdpml.gen;

/**
 * UDP amplification as the victim receives it: responses from the reflectors of the amplification
 * range to ephemeral ports of the victim (whose address the attacker spoofed in small requests, not
 * generated). Each reflector serves one of three services by its index: DNS (port 53: answers to
 * an ANY query, five 250-byte TXT records, 1382-byte frames), NTP (port 123: mode 7 monlist
 * responses with six 72-byte entries, 482-byte frames) and memcached (port 11211: a VALUE of
 * 1300 bytes, 1395-byte frames).
 */
final class Amplification extends SingleKindScenario {
    static final int[] SERVICE_PORTS = {53, 123, 11211};
    private static final int TXT_RECORDS = 5;
    private static final int TXT_LENGTH = 250;
    private static final int MONLIST_ITEMS = 6;
    private static final int MONLIST_ITEM_SIZE = 72;
    private static final int MEMCACHED_VALUE = 1300;
    private static final String QUERY_NAME = "example.com";

    /** a..z repeated: the TXT strings and the memcached value. */
    private static final byte[] LETTERS = "abcdefghijklmnopqrstuvwxyz".repeat(60).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    Amplification(ScenarioSettings settings) {
        super(settings, TrafficKind.AMPLIFICATION);
    }

    @Override
    int write() {
        int i = random.nextInt(sources.count());
        int port = SERVICE_PORTS[i % SERVICE_PORTS.length];
        // ephemeral ports, as the spoofed requests had: above the service port, which tshark then tries first
        toVictim(sources.host(i), FrameWriter.PROTO_UDP).udp(port, ephemeralPort());
        switch (port) {
            case 53 -> dns();
            case 123 -> monlist();
            default -> memcached();
        }
        return w.finish();
    }

    private void dns() {
        Dns.header(w, random.nextInt(0x10000), Dns.FLAGS_RESPONSE, 1, TXT_RECORDS);
        Dns.name(w, QUERY_NAME);
        w.u16(Dns.TYPE_ANY).u16(Dns.CLASS_IN);
        for (int r = 0; r < TXT_RECORDS; r++) {
            w.u16(0xc000 | Dns.HEADER_LENGTH); // compression pointer to the question's name
            w.u16(Dns.TYPE_TXT).u16(Dns.CLASS_IN).u32(3600).u16(TXT_LENGTH + 1).u8(TXT_LENGTH);
            w.bytes(LETTERS, r, TXT_LENGTH);
        }
    }

    /** NTP mode 7 (private), implementation XNTPD (3), request MON_GETLIST_1 (42): response. */
    private void monlist() {
        w.u8(0x97); // response, no more, version 2, mode 7
        w.u8(0); // sequence 0
        w.u8(3).u8(42);
        w.u16(MONLIST_ITEMS); // error 0, items
        w.u16(MONLIST_ITEM_SIZE);
        for (int k = 0; k < MONLIST_ITEMS; k++) {
            w.u32(random.nextInt(1000)).u32(random.nextInt(100000)); // avg_int, last_int
            w.u32(0).u32(1 + random.nextInt(1000)); // restr, count
            w.u32(random.nextInt()).u32(settings.source(TrafficKind.AMPLIFICATION).host(0)); // addr, daddr
            w.u32(0); // flags
            w.u16(123).u8(3).u8(4); // port, mode, version
            w.u32(0).u32(0); // v6_flag, unused
            w.fill(0, 32); // addr6, daddr6
        }
    }

    /** A memcached get answer on UDP: the 8-byte frame header, then VALUE ... END. */
    private void memcached() {
        // request id below 0x8000: tshark reads a first byte 0x80/0x81 as the binary protocol's magic
        w.u16(random.nextInt(0x8000)).u16(0).u16(1).u16(0); // request id, sequence, datagrams, reserved
        w.ascii("VALUE a 0 ").decimal(MEMCACHED_VALUE).ascii("\r\n");
        w.bytes(LETTERS, 0, MEMCACHED_VALUE);
        w.ascii("\r\nEND\r\n");
    }
}
