package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.DetectorsSection;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code amplification} and {@code reflection} where one direction is all they see (their
 * {@code twoWay} 0, the default and the agent's: XDP sees what arrives, never its host's requests),
 * against both directions ({@code twoWay=1}). One way, a host's own answers carry no mark of having
 * been asked: a host running its own resolver and an HTTP/3 client were victims whose service port
 * the agent then dropped. Now one way a report needs what a host's own answers do not show (one port
 * answered by many reflectors, many reflectors, first fragments), and real amplification keeps it.
 * Built traffic; random choices seeded.
 */
class OneWayReflectionTest {
    private static final long S = 1_000_000_000L;
    private static final String HOST = "192.0.2.53";

    private final ObservationBuilder builder = new ObservationBuilder(true);

    /** A UDP frame of {@code frameBytes} on the wire (Ethernet, IPv4, UDP headers included). */
    private static byte[] udp(String src, String dst, int sport, int dport, int frameBytes) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(sport, dport).payload(frameBytes - 42).build();
    }

    /** The first fragment (MF set) of a larger datagram, {@code frameBytes} of it. */
    private static byte[] firstFragment(String src, String dst, int sport, int dport, int frameBytes) throws Exception {
        return new FrameBuilder().ethernet().ipv4(InetAddress.getByName(src).getAddress(), InetAddress.getByName(dst).getAddress(), 0x2000, 64)
                .udp(sport, dport).payload(frameBytes - 42).build();
    }

    private record Frame(long t, byte[] bytes) {}

    private List<Detection> run(DetectorSet set, List<Frame> frames) {
        for (Frame f : frames) {
            set.observe(builder.observe(MemorySegment.ofArray(f.bytes()), f.bytes().length, f.t()));
        }
        set.finish();
        return set.detections();
    }

    /** The agent's detectors: its defaults (2 s windows, early reports after 200 ms), all of them. */
    private List<Detection> agent(List<Frame> frames) {
        return run(new DetectorSet(DetectorsSection.defaults().create()), frames);
    }

    private List<Detection> with(String detectors, List<String> settings, List<Frame> frames) {
        return run(new DetectorSet(Detectors.create(detectors, settings)), frames);
    }

    private static List<Detection> of(List<Detection> all, String detector) {
        return all.stream().filter(d -> d.detector().equals(detector)).toList();
    }

    /** The review's case: a host's own recursive resolver hears 200 answers of 600 B a second from 25 servers, each to the port it asked from. */
    static List<Frame> resolver(int seconds) {
        Random rnd = new Random(7);
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < 200 * seconds; i++) {
            String server = "198.51.100." + (1 + rnd.nextInt(25));
            out.add(new Frame(S + i * 5_000_000L, udp(server, HOST, 53, 32768 + rnd.nextInt(28232), 600)));
        }
        return out;
    }

    /** An HTTP/3 client hearing 200 datagrams of 1,200 B a second from 25 CDNs, one connection (one client port) each. */
    static List<Frame> http3(int seconds) {
        Random rnd = new Random(8);
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < 200 * seconds; i++) {
            int cdn = rnd.nextInt(25);
            out.add(new Frame(S + i * 5_000_000L, udp("203.0.113." + (1 + cdn), HOST, 443, 50000 + cdn, 1200)));
        }
        return out;
    }

    @Test
    void aHostsOwnResolverIsNoAmplificationOneWay() {
        assertThat(agent(resolver(1))).as("the agent, the review's second of answers").isEmpty();
        assertThat(agent(resolver(5))).as("the agent, five seconds of it").isEmpty();
        assertThat(with("amplification", List.of(), resolver(5))).as("xdpml detect's default: one way").isEmpty();
        // both directions seen and no request among them: spoofed, as before
        List<Detection> twoWay = with("amplification", List.of("amplification.twoWay=1"), resolver(1));
        assertThat(twoWay).extracting(d -> d.target().toString()).containsExactly("udp 53->192.0.2.53:any");
        assertThat(twoWay.getFirst().reasons()).contains("from 25 reflectors", "no requests sent by the victim (spoofed)");
    }

    @Test
    void anHttp3ClientIsNoReflectionOneWay() {
        assertThat(agent(http3(1))).isEmpty();
        assertThat(agent(http3(5))).isEmpty();
        List<Detection> twoWay = with("reflection", List.of("reflection.twoWay=1"), http3(1));
        assertThat(twoWay).extracting(d -> d.target().toString()).containsExactly("udp 443->192.0.2.53:any");
    }

    @Test
    void oneWayManyReflectorsOnOnePortAreAmplification() {
        // 25 resolvers answer 1.2 kB each, 8 times, to the victim's port 80 its spoofed requests named
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            frames.add(new Frame(S + i * 1_000_000L, udp("198.51.100." + (1 + i % 25), HOST, 53, 80, 1242)));
        }
        List<Detection> d = agent(frames);
        assertThat(d).extracting(Detection::detector).contains("amplification");
        Detection amp = of(d, "amplification").getFirst();
        assertThat(amp.target().toString()).isEqualTo("udp 53->192.0.2.53:any");
        assertThat(amp.reasons()).contains("no requests seen (one way)",
                "seen one way, more than a host's own answers: its port 80 answered by 25 reflectors");
    }

    /** 400 answers of 600 B in 1 s from {@code reflectors} reflectors, each to a random ephemeral port: the resolver's shape. */
    static List<Frame> spray(int reflectors) {
        Random rnd = new Random(9);
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            frames.add(new Frame(S + i * 2_500_000L, udp("198.51.100." + (1 + i % reflectors), HOST, 123, 32768 + rnd.nextInt(28232), 600)));
        }
        return frames;
    }

    @Test
    void oneWayASprayFromManyReflectorsIsAmplification() {
        Detection amp = of(agent(spray(60)), "amplification").getFirst();
        assertThat(amp.target().toString()).isEqualTo("udp 123->192.0.2.53:any");
        assertThat(amp.reasons()).contains("seen one way, more than a host's own answers: 60 reflectors (50 or more)");
        assertThat(agent(spray(45))).as("45 reflectors, each answering ports of their own: as a host's own lookups").isEmpty();
    }

    @Test
    void oneWayFragmentedAnswersAreAmplification() throws Exception {
        // the resolver's numbers (25 servers, random ports), but every answer the first fragment of a larger one
        Random rnd = new Random(10);
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            frames.add(new Frame(S + i * 5_000_000L, firstFragment("198.51.100." + (1 + rnd.nextInt(25)), HOST, 53,
                    32768 + rnd.nextInt(28232), 1514)));
        }
        Detection amp = of(agent(frames), "amplification").getFirst();
        assertThat(amp.target().toString()).isEqualTo("udp 53->192.0.2.53:any");
        assertThat(amp.reasons().getLast()).isEqualTo("seen one way, more than a host's own answers: 200 of 200 responses first fragments");
    }

    @Test
    void oneWayPeersOnTheServicePortAreNoAmplification() {
        // an NTP server: 100 ntpd clients, each asking from port 123, 1 kB a second each (more than ntpd ever sends)
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            frames.add(new Frame(S + i * 1_000_000L, udp("198.51.100." + (1 + i % 100), HOST, 123, 123, 90)));
        }
        assertThat(of(agent(frames), "amplification")).isEmpty();
    }

    @Test
    void oneWayReflectionNeedsAPrivilegedPortOrManyReflectors() {
        // 40 reflectors answer 1.2 kB from UDP 3283 to the victim's port 80: what its spoofed requests named
        List<Frame> attack = new ArrayList<>();
        // a game server: 30 players whose clients send from their fixed port 27005 to its 27015, 70 datagrams a second each
        List<Frame> game = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            attack.add(new Frame(S + i * 1_000_000L, udp("203.0.113." + (1 + i % 40), HOST, 3283, 80, 1242)));
        }
        for (int i = 0; i < 30 * 70 * 3; i++) {
            game.add(new Frame(S + i * 476_190L, udp("198.51.100." + (1 + i % 30), HOST, 27005, 27015, 160)));
        }
        Detection r = of(agent(attack), "reflection").getFirst();
        assertThat(r.target().toString()).isEqualTo("udp 3283->192.0.2.53:any");
        assertThat(r.reasons()).contains("no requests to UDP 3283 seen (one way)",
                "seen one way, more than a host's own answers: its port 80 answered by 40 reflectors");
        assertThat(agent(game)).as("players are no reflectors").isEmpty();
    }

    /** A DNS response (QR, RD, RA; one question of {@code qtype} and {@code name}), {@code frameBytes} on the wire. */
    static byte[] dnsAnswer(String src, String dst, int dport, int id, String name, int qtype, int frameBytes) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) (id >> 8), (byte) id, (byte) 0x81, (byte) 0x80, 0, 1, 0, 1, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {0, 0, (byte) qtype, 0, 1});
        byte[] message = java.util.Arrays.copyOf(b.toByteArray(), Math.max(b.size(), frameBytes - 42)); // the answers: their bytes unread
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(53, dport).payload(message).build();
    }

    /**
     * A busy host's own recursive resolver, {@code seconds} of its answers as one way shows them: 400
     * answers a second from 400 servers (the popular ones more often), for 3,000 names (the popular
     * ones more often, as A, AAAA or HTTPS), of 80 B to 1,232 B (most under 200), each to the port it
     * asked from: in a 2 s window over 200 servers and 200 kB, in a 10 s window all 400 servers and 1 MB.
     */
    static List<Frame> busyResolver(int seconds) {
        Random rnd = new Random(11);
        String[] words = {"api", "cdn", "www", "img", "static", "mail", "login", "news", "shop", "video"};
        String[] zones = {"com", "net", "org", "io", "de", "fr", "co.uk"};
        List<Frame> out = new ArrayList<>();
        for (int i = 0; i < 400 * seconds; i++) {
            int server = zipf(rnd, 400);
            int n = zipf(rnd, 3000);
            String name = words[n % words.length] + "." + "site" + n + "." + zones[n % zones.length];
            int qtype = new int[] {1, 28, 65}[rnd.nextInt(3)];
            double u = rnd.nextDouble();
            int size = u < 0.6 ? 80 + rnd.nextInt(120) : u < 0.9 ? 200 + rnd.nextInt(400) : 600 + rnd.nextInt(633);
            out.add(new Frame(S + i * 2_500_000L, dnsAnswer("198.18." + server / 250 + "." + (1 + server % 250), HOST,
                    32768 + rnd.nextInt(28232), rnd.nextInt(0x10000), name, qtype, size)));
        }
        return out;
    }

    /** 0 to n - 1, rank k drawn with weight 1 / (k + 1) (Zipf, exponent 1: a few popular, a long tail). */
    private static int zipf(Random rnd, int n) {
        double h = 0;
        for (int k = 1; k <= n; k++) {
            h += 1.0 / k;
        }
        double u = rnd.nextDouble() * h;
        for (int k = 1; k <= n; k++) {
            u -= 1.0 / k;
            if (u <= 0) {
                return k - 1;
            }
        }
        return n - 1;
    }

    @Test
    void oneWayABusyResolverHearingHundredsOfServersIsNoDnsAmplification() {
        // before 2026-12-06: "seen one way, more than a host's own answers: 2xx reflectors (50 or more)", its DNS port-dropped
        assertThat(agent(busyResolver(10))).as("the agent, 10 s of it").isEmpty();
        assertThat(with("amplification", List.of(), busyResolver(10))).as("xdpml detect's default: one way").isEmpty();
        List<Detection> twoWay = with("amplification", List.of("amplification.twoWay=1"), busyResolver(2));
        assertThat(twoWay).as("both ways with no request seen: spoofed, as before").extracting(d -> d.target().toString())
                .containsExactly("udp 53->192.0.2.53:any");
    }

    @Test
    void oneWayADnsAmplificationOfOneNameFromManyReflectorsIsStillFound() {
        // 300 resolvers answer ANY for the attacker's one name, 1,400 B each, 2,000 a second, to the victim's random ports
        // (unfragmented, no port twice: the number of reflectors, asking one question, is all there is)
        Random rnd = new Random(12);
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int r = rnd.nextInt(300);
            frames.add(new Frame(S + i * 500_000L, dnsAnswer("198.18." + r / 250 + "." + (1 + r % 250), HOST, 32768 + rnd.nextInt(28232),
                    rnd.nextInt(0x10000), "amp.example.org", 255, 1400)));
        }
        Detection amp = of(agent(frames), "amplification").getFirst();
        assertThat(amp.target().toString()).isEqualTo("udp 53->192.0.2.53:any");
        assertThat(amp.reasons().getLast()).matches(
                "seen one way, more than a host's own answers: [0-9,]+ reflectors \\(50 or more\\), ([0-9,]+) of \\1 answers to 1 question");
    }

    @Test
    void theRealAmplificationCaptureIsStillFoundOneWay() throws Exception {
        DetectorSet set = new DetectorSet(DetectorsSection.defaults().create());
        CaptureDetection.run(TestData.capture("attack/bacnet-amplification.pcapng"), set);
        assertThat(set.detections()).extracting(d -> d.detector() + " " + d.target())
                .contains("amplification udp 47808->10.10.10.1:any", "reflection udp 37810->10.10.10.1:any");
        Detection amp = of(set.detections(), "amplification").getFirst();
        assertThat(amp.reasons().getLast()).isEqualTo(
                "seen one way, more than a host's own answers: its port 30120 answered by 3,559 reflectors; 3,559 reflectors (50 or more)");
    }
}
