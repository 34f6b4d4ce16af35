package io.xdpml.gen;

/**
 * A DNS tunnel as iodine-like tools send it: one client (the first address of the dnstunnel
 * range), one source port, queries to the victim (its resolver) for names that carry data in
 * long base32 labels (two labels of 40..63 characters, about 4.6 bits of entropy per character)
 * under one base domain, mostly TXT with some NULL queries.
 */
final class DnsTunnel extends SingleKindScenario {
    private static final byte[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final int sport;
    private int id;

    DnsTunnel(ScenarioSettings settings) {
        super(settings, TrafficKind.DNSTUNNEL);
        this.sport = ephemeralPort();
        this.id = random.nextInt(0x10000);
    }

    @Override
    int write() {
        toVictim(sources.host(0), FrameWriter.PROTO_UDP).udp(sport, Dns.PORT);
        Dns.header(w, id++ & 0xffff, Dns.FLAGS_QUERY_RD, 1, 0);
        label(40 + random.nextInt(24));
        label(40 + random.nextInt(24));
        Dns.name(w, settings.tunnelDomain());
        w.u16(random.nextInt(4) == 0 ? Dns.TYPE_NULL : Dns.TYPE_TXT).u16(Dns.CLASS_IN);
        return w.finish();
    }

    /** A label of random base32 characters, 12 from each random long (5 bits each). */
    private void label(int length) {
        w.u8(length);
        long bits = 0;
        for (int i = 0; i < length; i++) {
            if (i % 12 == 0) {
                bits = random.nextLong();
            }
            w.u8(ALPHABET[(int) (bits & 31)]);
            bits >>>= 5;
        }
    }
}
