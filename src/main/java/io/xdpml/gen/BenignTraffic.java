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
 * <p>Pings follow a real {@code ping}'s cadence, not a share of frames: every client (the first
 * {@value #MAX_PINGING} of a larger range) pings the
 * victim once a second (Windows' and iputils' default interval) for the whole run, each client's
 * echo requests one ICMP flow (its own identifier, sequence 1, 2, 3, ...), the clients' first pings
 * spread over the first second. The time is the scenario's: benign frame {@code k} is at
 * {@code k / benignRate} seconds, {@code benignRate} the frames per second of benign traffic
 * ({@link Scenarios#create(String, ScenarioSettings, long)}). At most every other frame is a ping:
 * below two benign frames per client a second the pings fall behind. Before 2026-12-06 (evening)
 * 8% of the frames were pings, so each client pinged about 11 times a second at the demo's rate.
 * The other frames: about 76% TCP, 16% DNS, 8% NTP (the old 70:15:7).
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

    /** Clients that ping at most: the first this many of a larger source range. */
    static final int MAX_PINGING = 256;
    /** A ping's interval: one second, Windows' and iputils' default. */
    static final long PING_INTERVAL_NANOS = 1_000_000_000L;

    private final Connection[] slots = new Connection[SLOTS];
    /** Benign frames written so far; the scenario's time is {@code frames * nanosPerFrame}. */
    private long frames;
    private final double nanosPerFrame;
    /** The clients (host indexes) in the order of their first ping; each pings every second in that order. */
    private final int[] pingOrder;
    /** Each client's first ping, nanoseconds into the run, in {@link #pingOrder}'s order. */
    private final long[] pingOffset;
    /** Each client's last sequence number, by host index. */
    private final int[] pingSeq;
    /** The next ping's place in {@link #pingOrder}, and how many seconds have gone round. */
    private int pingNext;
    private long pingRound;
    private boolean lastWasPing;

    /**
     * Benign traffic at {@code framesPerSecond} benign frames a second (the scenario's clock for the
     * pings; the frames' timestamps are the sender's).
     */
    BenignTraffic(ScenarioSettings settings, double framesPerSecond) {
        super(settings, TrafficKind.BENIGN);
        if (!(framesPerSecond > 0)) {
            throw new IllegalArgumentException("benign frames per second must be > 0, not " + framesPerSecond);
        }
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Connection();
        }
        nanosPerFrame = 1e9 / framesPerSecond;
        int n = Math.min(sources.count(), MAX_PINGING);
        long[] offset = new long[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            offset[i] = random.nextLong(PING_INTERVAL_NANOS);
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> offset[i]));
        pingOrder = new int[n];
        pingOffset = new long[n];
        for (int i = 0; i < n; i++) {
            pingOrder[i] = order[i];
            pingOffset[i] = offset[order[i]];
        }
        pingSeq = new int[n];
    }

    private int client() {
        return sources.host(random.nextInt(sources.count()));
    }

    @Override
    int write() {
        long now = (long) (frames++ * nanosPerFrame);
        if (!lastWasPing && pingRound * PING_INTERVAL_NANOS + pingOffset[pingNext] <= now) {
            lastWasPing = true;
            return ping(pingOrder[pingNext]);
        }
        lastWasPing = false;
        int r = random.nextInt(92);
        if (r < 70) {
            return tcp(slots[random.nextInt(SLOTS)]);
        }
        if (r < 85) {
            return dnsQuery();
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

    /** The next echo request of the client with host index {@code host}: its identifier, its next sequence number. */
    private int ping(int host) {
        if (++pingNext == pingOrder.length) {
            pingNext = 0;
            pingRound++;
        }
        int client = sources.host(host);
        ClientStack stack = ClientStack.of(client);
        pingSeq[host] = (pingSeq[host] + 1) & 0xffff;
        toVictim(client, FrameWriter.PROTO_ICMP, stack.ttl).icmpEcho(client & 0xffff, pingSeq[host]);
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
