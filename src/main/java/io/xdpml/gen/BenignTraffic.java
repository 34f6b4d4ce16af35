package io.xdpml.gen;

/**
 * Benign traffic as its clients send it (the servers' answers are not generated): HTTP
 * connections to the victim on ports 80 and 8080 (SYN; the ACK completing the handshake;
 * a POST request whose body follows in full-size segments; ACKs of the response; FIN-ACK and the
 * last ACK), DNS queries of ordinary names (A and AAAA), ICMP echo requests and NTP client
 * requests. Up to {@value #SLOTS} connections are open at a time, interleaved; the clients are
 * the benign source range. Each client has the TTL, TCP options and windows of one real stack
 * ({@link ClientStack}): before 2026-12-06 every SYN was 58 bytes with an MSS option only, a
 * scanner's SYN (nmap's) to a model trained on real captures.
 *
 * <p>Shares of frames: about 70% TCP, 15% DNS, 8% ICMP, 7% NTP.
 */
final class BenignTraffic extends SingleKindScenario {
    static final int SLOTS = 32;
    static final int MSS = 1460;
    static final int[] HTTP_PORTS = {80, 8080};
    /** Ordinary names: fewer than 30 under any base domain (the DNS tunnel detector's threshold). */
    static final String[] NAMES = {
        "www.example.com", "mail.example.com", "api.example.com", "cdn.example.com", "login.example.com",
        "www.example.org", "docs.example.org", "wiki.example.org", "www.example.net", "static.example.net",
        "time.example.net", "www.wikipedia.org", "en.wikipedia.org", "upload.wikimedia.org", "www.debian.org",
        "deb.debian.org", "security.debian.org", "github.com", "api.github.com", "www.kernel.org", "git.kernel.org",
        "openjdk.org", "maven.apache.org", "repo.maven.apache.org", "www.iana.org", "ntp.ubuntu.com",
    };
    /** One segment's worth of request body: text lines. */
    private static final byte[] BODY = "xdpml benign body 0123456789 abcdefghijklmnopqrstuvwxyz\n".repeat(MSS / 56 + 1)
            .substring(0, MSS).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** A client connection's progress. */
    private enum Stage { IDLE, SYN_SENT, ESTABLISHED, BODY, READING, FIN_SENT }

    private static final class Connection {
        Stage stage = Stage.IDLE;
        int client;
        int sport;
        int dport;
        int seq;
        int ack;
        int bodyLeft;
        int responseAcks;
        int name;
        ClientStack stack;
        int tsval;
        int tsecr;
    }

    /** Windows ping's payload: 32 bytes of the alphabet. */
    private static final byte[] WINDOWS_PING = "abcdefghijklmnopqrstuvwabcdefghi".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** ping's payload (Linux, macOS): bytes 0x10, 0x11, ... */
    private static final byte[] PING_PATTERN = new byte[56];

    static {
        for (int i = 0; i < PING_PATTERN.length; i++) {
            PING_PATTERN[i] = (byte) (0x10 + i);
        }
    }

    private final Connection[] slots = new Connection[SLOTS];
    private int icmpSeq;

    BenignTraffic(ScenarioSettings settings) {
        super(settings, TrafficKind.BENIGN);
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Connection();
        }
    }

    private int client() {
        return sources.host(random.nextInt(sources.count()));
    }

    @Override
    int write() {
        int r = random.nextInt(100);
        if (r < 70) {
            return tcp(slots[random.nextInt(SLOTS)]);
        }
        if (r < 85) {
            return dnsQuery();
        }
        if (r < 93) {
            return ping();
        }
        return ntp();
    }

    private int tcp(Connection c) {
        switch (c.stage) {
            case IDLE -> {
                c.client = client();
                c.sport = ephemeralPort();
                c.dport = HTTP_PORTS[random.nextInt(HTTP_PORTS.length)];
                c.seq = random.nextInt();
                c.ack = random.nextInt(); // the server's ISN, as if its SYN-ACK had been seen
                c.name = random.nextInt(NAMES.length);
                c.bodyLeft = 200 + random.nextInt(8000);
                c.responseAcks = 1 + random.nextInt(4);
                c.stage = Stage.SYN_SENT;
                c.stack = ClientStack.of(c.client);
                c.tsval = random.nextInt();
                c.tsecr = random.nextInt(); // the server's timestamp, as if its SYN-ACK had been seen
                toVictim(c.client, FrameWriter.PROTO_TCP, c.stack.ttl)
                        .tcpWithOptions(c.sport, c.dport, c.seq, 0, FrameWriter.SYN, c.stack.synWindow, c.stack.synOptionBytes);
                c.stack.synOptions(w, MSS, c.tsval);
                c.seq++;
                c.ack++;
            }
            case SYN_SENT -> {
                c.stage = Stage.ESTABLISHED;
                segment(c, FrameWriter.ACK);
            }
            case ESTABLISHED -> {
                segment(c, FrameWriter.ACK | FrameWriter.PSH);
                int start = w.position();
                w.ascii("POST /upload HTTP/1.1\r\nHost: ").ascii(NAMES[c.name]).ascii("\r\nUser-Agent: xdpml-gen\r\n")
                        .ascii("Content-Type: text/plain\r\nContent-Length: ").decimal(c.bodyLeft).ascii("\r\n\r\n");
                c.seq += w.position() - start;
                c.stage = Stage.BODY;
            }
            case BODY -> {
                int n = Math.min(c.bodyLeft, c.stack.fullSegment(MSS));
                segment(c, n == c.bodyLeft ? FrameWriter.ACK | FrameWriter.PSH : FrameWriter.ACK);
                w.bytes(BODY, 0, n);
                c.seq += n;
                c.bodyLeft -= n;
                if (c.bodyLeft == 0) {
                    c.stage = Stage.READING;
                }
            }
            case READING -> {
                c.ack += 200 + random.nextInt(2 * MSS); // the response's bytes, acknowledged
                c.tsecr += 1 + random.nextInt(4);
                segment(c, FrameWriter.ACK);
                if (--c.responseAcks == 0) {
                    c.stage = Stage.FIN_SENT;
                }
            }
            case FIN_SENT -> {
                segment(c, FrameWriter.FIN | FrameWriter.ACK);
                c.stage = Stage.IDLE;
            }
        }
        return w.finish();
    }

    private void segment(Connection c, int flags) {
        c.tsval += 1 + random.nextInt(4); // a millisecond clock: the connection's segments are ms apart
        toVictim(c.client, FrameWriter.PROTO_TCP, c.stack.ttl)
                .tcpWithOptions(c.sport, c.dport, c.seq, c.ack, flags, c.stack.window, c.stack.segmentOptionBytes());
        c.stack.segmentOptions(w, c.tsval, c.tsecr);
    }

    private int dnsQuery() {
        int client = client();
        toVictim(client, FrameWriter.PROTO_UDP, ClientStack.of(client).ttl).udp(ephemeralPort(), Dns.PORT);
        Dns.header(w, random.nextInt(0x10000), Dns.FLAGS_QUERY_RD, 1, 0);
        Dns.name(w, NAMES[random.nextInt(NAMES.length)]);
        w.u16(random.nextInt(3) == 0 ? Dns.TYPE_AAAA : Dns.TYPE_A).u16(Dns.CLASS_IN);
        return w.finish();
    }

    private int ping() {
        int client = client();
        ClientStack stack = ClientStack.of(client);
        toVictim(client, FrameWriter.PROTO_ICMP, stack.ttl).icmpEcho(client & 0xffff, ++icmpSeq & 0xffff);
        byte[] payload = stack == ClientStack.WINDOWS ? WINDOWS_PING : PING_PATTERN;
        w.bytes(payload, 0, payload.length);
        return w.finish();
    }

    private int ntp() {
        int client = client();
        toVictim(client, FrameWriter.PROTO_UDP, ClientStack.of(client).ttl).udp(ephemeralPort(), 123);
        w.u8(0x23).u8(0).u8(6).u8(0x20); // LI 0, version 4, mode 3 (client); poll 2^6; precision
        w.fill(0, 36);
        w.u32(random.nextInt()).u32(random.nextInt()); // transmit timestamp
        return w.finish();
    }
}
