package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.NetSnmp;
import io.xdpml.testing.TestData;
import io.xdpml.testing.UdpEcho;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Measures on a wire: two namespaces, the victim's ({@code mv1}, 10.77.0.2) and the outside
 * ({@code mv0}, 10.77.0.1), one veth pair between them, the composed program with the firewall
 * stage (default pass, conntrack on; real clock) attached natively to both ends with shared maps,
 * so it sees both directions. Real sockets on both sides; attack frames from a packet socket on
 * the outside end (addressed to a MAC the victim's stack ignores: only XDP judges them).
 */
class MeasuresVethTest {
    static final String VICTIM = "10.77.0.2";
    static final String OUTSIDE = "10.77.0.1";
    static final byte[] OTHER_MAC = {0x02, 0, 0, 0, 0, (byte) 0x99};
    static final byte[] SRC_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] MARK = "XDPML-MEASURE".getBytes();

    /** The rig: namespaces, program, attachments, sockets. */
    static final class Rig implements AutoCloseable {
        final NetworkNamespace victim = NetworkNamespace.create("xdpml-mv");
        final NetworkNamespace outside = NetworkNamespace.create("xdpml-mo");
        final FirewallProgram program;
        final XdpAttachment inAtt;
        final XdpAttachment outAtt;
        final PacketSocket attacker; // on mv0: sends towards the victim
        final PacketSocket tap;      // on mv1: what reached the victim's side
        final Arena arena = Arena.ofShared();
        final MemorySegment buf = arena.allocate(65536);

        Rig() {
            victim.createVethPair("mv0", "mv1");
            victim.exec("ip", "link", "set", "mv0", "netns", outside.name());
            victim.exec("ip", "addr", "add", VICTIM + "/24", "dev", "mv1");
            outside.exec("ip", "link", "set", "mv0", "up");
            outside.exec("ip", "addr", "add", OUTSIDE + "/24", "dev", "mv0");
            program = FirewallProgram.load(FirewallProgram.Limits.defaults(), 4789, false);
            program.maps().install(FirewallVethTest.config("default pass\nconntrack on\n"));
            inAtt = victim.run(() -> XdpAttachment.attach(program.program(), Interfaces.indexOf("mv1"), XdpMode.NATIVE));
            outAtt = outside.run(() -> XdpAttachment.attach(program.program(), Interfaces.indexOf("mv0"), XdpMode.NATIVE));
            attacker = outside.run(() -> PacketSocket.open("mv0"));
            tap = victim.run(() -> PacketSocket.open("mv1"));
        }

        void send(byte[] frame) {
            synchronized (buf) {
                MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                attacker.send(buf, frame.length);
            }
        }

        /** Sends {@code frames} in turn, flat out, for {@code nanos}. */
        Flood flood(byte[][] frames, long nanos) {
            long offered = 0;
            long start = System.nanoTime();
            long end = start + nanos;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 64; i++) {
                    send(frames[(int) (offered++ % frames.length)]);
                }
            }
            return new Flood(offered, (System.nanoTime() - start) / 1e9);
        }

        /** Marked frames that reached the victim's end since the last call (until quiet for 200 ms). */
        int arrived() {
            MemorySegment b = arena.allocate(9216);
            int n = 0;
            int len;
            while ((len = tap.receive(b, 200)) >= 0) {
                if (VethRig.indexOf(b.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), MARK) >= 0) {
                    n++;
                }
            }
            return n;
        }

        long counter(FirewallCounter c) {
            return program.maps().counter(c);
        }

        long passed() {
            long n = 0;
            for (FirewallCounter c : FirewallCounter.values()) {
                n += c.passes() ? counter(c) : 0;
            }
            return n;
        }

        @Override
        public void close() {
            attacker.close();
            tap.close();
            victim.run(() -> {
                inAtt.close();
                return null;
            });
            outside.run(() -> {
                outAtt.close();
                return null;
            });
            program.close();
            arena.close();
            outside.close();
            victim.close();
        }
    }

    /** Frames a flood sent, in how many seconds. */
    record Flood(long offered, double seconds) {}

    /** A random address of 100.64.0.0/10 (shared address space: no host of the test has one). */
    static String spoofedSource(Random rnd) {
        return "100." + (64 + rnd.nextInt(64)) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
    }

    static byte[] amplified(String reflector, int sport, int dport) {
        byte[] payload = new byte[400];
        System.arraycopy(MARK, 0, payload, 0, MARK.length);
        return new FrameBuilder().ethernet(OTHER_MAC, SRC_MAC).ipv4(reflector, VICTIM).udp(sport, dport).payload(payload).build();
    }

    static byte[] syn(String src, int sport) {
        return new FrameBuilder().ethernet(OTHER_MAC, SRC_MAC).ipv4(src, VICTIM).tcp(sport, 80, 0x02).payload(MARK).build();
    }

    /**
     * Amplification from 500 reflectors at UDP port 53 reaches the victim until a port-drop is put
     * in, then none does, although the earlier responses opened conntrack entries for every one of
     * them; meanwhile the victim's own DNS exchanges (to port 53 of the outside host) all come
     * back. Then the BACnet amplification capture replayed onto the wire: the port-drop of its
     * service drops exactly what the Java twin predicts. A measure that expires stops dropping and
     * is swept.
     */
    @Test
    void aPortDropStopsAmplificationWhileTheVictimsOwnExchangesPass() throws Exception {
        TestData.assumeBpf();
        try (Rig rig = new Rig()) {
            List<byte[]> flood = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                flood.add(amplified("198.18." + (i / 200) + "." + (1 + i % 200), 53, 30000 + i % 7));
            }
            long passedBefore = rig.passed();
            for (int round = 0; round < 4; round++) {
                flood.forEach(rig::send);
            }
            Thread.sleep(200);
            // (the tap's socket buffer holds a few hundred frames: it is checked on small samples)
            assertThat(rig.passed() - passedBefore).as("before the measure: every response passed").isGreaterThanOrEqualTo(2000);
            rig.arrived();
            flood.subList(0, 40).forEach(rig::send);
            assertThat(rig.arrived()).as("before the measure: every response reaches the victim").isEqualTo(40);
            long connections = rig.program.maps().connections();
            assertThat(connections).as("the responses opened conntrack entries").isGreaterThanOrEqualTo(500);

            FirewallMeasures measures = rig.program.measures();
            Measure dns = Measure.portDrop(17, 53, InetAddress.ofLiteral(VICTIM), 0);
            measures.put(dns, Duration.ofMinutes(1));
            assertThat(measures.active()).isTrue();

            try (DatagramSocket server = rig.outside.run(() -> new DatagramSocket(new InetSocketAddress(OUTSIDE, 53)));
                 DatagramSocket client = rig.victim.run(() -> new DatagramSocket(new InetSocketAddress(VICTIM, 5353)))) {
                Thread echo = Thread.ofPlatform().start(() -> {
                    byte[] b = new byte[512];
                    try {
                        while (true) {
                            DatagramPacket p = new DatagramPacket(b, b.length);
                            server.receive(p);
                            server.send(new DatagramPacket(b, p.getLength(), p.getSocketAddress()));
                        }
                    } catch (java.io.IOException closed) {
                        // done
                    }
                });
                client.setSoTimeout(2000);
                int answered = 0;
                long attackSent = 0;
                for (int q = 0; q < 50; q++) {
                    for (int i = 0; i < 40; i++) { // the attack goes on between the queries
                        rig.send(flood.get((int) (attackSent++ % flood.size())));
                    }
                    byte[] query = ("query " + q).getBytes();
                    client.send(new DatagramPacket(query, query.length, new InetSocketAddress(OUTSIDE, 53)));
                    DatagramPacket reply = new DatagramPacket(new byte[512], 512);
                    try {
                        client.receive(reply);
                        answered += new String(reply.getData(), 0, reply.getLength()).equals("query " + q) ? 1 : 0;
                    } catch (SocketTimeoutException lost) {
                        // counted as missing
                    }
                }
                server.close();
                echo.join(2000);
                long dropped = measures.get(dns).orElseThrow().hits();
                System.out.printf("port-drop udp/53->%s: %d responses from 500 reflectors with conntrack entries, %d dropped; "
                        + "the victim's DNS exchanges answered %d of 50%n", VICTIM, attackSent, dropped, answered);
                assertThat(answered).as("the victim's own exchanges with port 53").isEqualTo(50);
                assertThat(dropped).isEqualTo(attackSent);
                assertThat(rig.counter(FirewallCounter.DROP_MEASURE_PORT)).isEqualTo(attackSent);
                assertThat(rig.arrived()).as("after the measure: no response reaches the victim").isZero();
            }

            // the BACnet amplification capture onto the wire (victim 10.10.10.1, responses from port 47808)
            Measure bacnet = Measure.portDrop(17, 47808, InetAddress.ofLiteral("10.10.10.1"), 0);
            measures.put(bacnet, null);
            JavaFirewall twin = new JavaFirewall(4789);
            twin.install(FirewallVethTest.config("default pass\nconntrack on\n"));
            twin.putMeasure(bacnet);
            passedBefore = rig.passed();
            long sent = 0;
            EthernetFramer framer = new EthernetFramer();
            try (CaptureReader r = CaptureReader.open(TestData.capture("attack/bacnet-amplification.pcapng"))) {
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length < 14 || length > 1514) {
                        continue;
                    }
                    byte[] f = framer.frameSegment().asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
                    rig.send(f);
                    twin.packet(MemorySegment.ofArray(f), f.length, r.timestampNanos());
                    sent++;
                }
            }
            Thread.sleep(300);
            long hits = measures.get(bacnet).orElseThrow().hits();
            System.out.printf("bacnet-amplification replayed: %d frames, port-drop udp/47808->10.10.10.1 dropped %d (Java twin: %d)%n", sent,
                    hits, twin.counter(FirewallCounter.DROP_MEASURE_PORT));
            assertThat(hits).isEqualTo(twin.counter(FirewallCounter.DROP_MEASURE_PORT)).isGreaterThan(sent / 2);
            assertThat(rig.passed() - passedBefore).as("the rest passed").isGreaterThanOrEqualTo(sent - hits);
            rig.arrived();

            // expiry: a short measure stops matching, and the sweep removes it
            measures.remove(dns);
            measures.put(Measure.portDrop(17, 53, InetAddress.ofLiteral(VICTIM), 0), Duration.ofMillis(300));
            flood.subList(0, 40).forEach(rig::send);
            assertThat(rig.arrived()).as("while it lasts").isZero();
            Thread.sleep(400);
            flood.subList(0, 40).forEach(rig::send);
            assertThat(rig.arrived()).as("expired").isEqualTo(40);
            assertThat(measures.sweep()).isEqualTo(1);
            assertThat(measures.list()).extracting(Measure::toString).containsExactly("port-drop udp/47808->10.10.10.1");
            measures.remove(bacnet);
            assertThat(measures.sweep()).isZero();
            assertThat(measures.active()).as("none left: the lookups are off").isFalse();
        }
    }

    /**
     * Fragments on a wire: real 4,000-byte datagrams from port 53 of the outside host, cut into three
     * fragments each by its stack (the veth's 1,500-byte MTU), reach the victim's socket whole until
     * a port-drop of udp/53 is put in; then not one fragment reaches the victim's stack (its
     * reassembly counter, ReasmReqds, does not move): the first fragment by the measure, the later
     * two, which carry no ports, by following it (docs/firewall.md "Fragments"; before, those two
     * reached the stack and waited 30 s for a first fragment that never came).
     */
    @Test
    void aPortDropDropsEveryFragmentOfTheAnswersItStops() throws Exception {
        TestData.assumeBpf();
        try (Rig rig = new Rig();
             DatagramSocket reflector = rig.outside.run(() -> new DatagramSocket(new InetSocketAddress(OUTSIDE, 53)));
             DatagramSocket victim = rig.victim.run(() -> new DatagramSocket(new InetSocketAddress(VICTIM, 40000)))) {
            victim.setSoTimeout(500);
            byte[] answer = new byte[4000];
            new Random(5).nextBytes(answer);
            DatagramPacket out = new DatagramPacket(answer, answer.length, new InetSocketAddress(VICTIM, 40000));
            DatagramPacket in = new DatagramPacket(new byte[8192], 8192);
            long reasmBefore = rig.victim.run(() -> NetSnmp.ip("ReasmReqds"));
            reflector.send(out);
            victim.receive(in);
            assertThat(in.getLength()).as("before the measure: the answer arrives whole").isEqualTo(4000);
            long reasmOne = rig.victim.run(() -> NetSnmp.ip("ReasmReqds"));
            assertThat(reasmOne - reasmBefore).as("reassembled from three fragments").isEqualTo(3);

            Measure dns = Measure.portDrop(17, 53, InetAddress.ofLiteral(VICTIM), 0);
            rig.program.measures().put(dns, Duration.ofMinutes(1));
            long dropsBefore = rig.counter(FirewallCounter.DROP_MEASURE_PORT);
            int received = 0;
            for (int i = 0; i < 20; i++) {
                reflector.send(out);
            }
            try {
                while (true) {
                    victim.receive(in);
                    received++;
                }
            } catch (SocketTimeoutException quiet) {
                // nothing more
            }
            long reasmAfter = rig.victim.run(() -> NetSnmp.ip("ReasmReqds"));
            long hits = rig.program.measures().get(dns).orElseThrow().hits();
            long drops = rig.counter(FirewallCounter.DROP_MEASURE_PORT) - dropsBefore;
            System.out.printf("fragmented answers under port-drop udp/53->%s: 20 sent, %d received; fragments dropped %d "
                    + "(the measure's own hits %d), fragments at the victim's stack %d%n", VICTIM, received, drops, hits, reasmAfter - reasmOne);
            assertThat(received).as("answers received under the measure").isZero();
            assertThat(hits).as("first fragments, by the measure").isEqualTo(20);
            assertThat(drops).as("every fragment dropped for the measure").isEqualTo(60);
            assertThat(reasmAfter - reasmOne).as("fragments that reached the victim's stack").isZero();
        }
    }

    /**
     * A spoofed SYN flood (16,384 random sources) at victim:80, flat out for 1.5 s, under a
     * syn-limit of 1000/s (burst 100): about burst + rate x time SYNs pass; an established TCP
     * connection to the same port (a real socket pair across the namespaces) keeps echoing
     * throughout.
     */
    @Test
    void aSynLimitCapsASpoofedFloodWhileAnEstablishedConnectionKeepsWorking() throws Exception {
        TestData.assumeBpf();
        long rate = 1000;
        long burst = 100;
        try (Rig rig = new Rig();
             ServerSocketChannel listener = rig.victim.run(() -> ServerSocketChannel.open().bind(new InetSocketAddress(VICTIM, 80)));
             SocketChannel client = rig.outside.run(SocketChannel::open)) {
            client.connect(new InetSocketAddress(VICTIM, 80));
            SocketChannel accepted = listener.accept();
            Thread echo = Thread.ofPlatform().start(() -> {
                ByteBuffer b = ByteBuffer.allocate(4096);
                try {
                    while (accepted.read(b.clear()) > 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            accepted.write(b);
                        }
                    }
                } catch (java.io.IOException closed) {
                    // done
                }
            });
            Random rnd = new Random(3);
            byte[][] spoofed = new byte[16384][];
            for (int i = 0; i < spoofed.length; i++) {
                spoofed[i] = syn(spoofedSource(rnd), 1024 + rnd.nextInt(60000));
            }
            Measure limit = Measure.synLimit(InetAddress.ofLiteral(VICTIM), 80, rate, burst, 0);
            rig.program.measures().put(limit, Duration.ofMinutes(1));
            long ctBefore = rig.counter(FirewallCounter.PASS_CONNTRACK);

            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicLong roundTrips = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Thread user = Thread.ofPlatform().start(() -> {
                ByteBuffer out = ByteBuffer.allocate(200);
                ByteBuffer in = ByteBuffer.allocate(200);
                try {
                    while (flooding.get()) {
                        out.clear();
                        client.write(out);
                        in.clear();
                        while (in.hasRemaining()) {
                            if (client.read(in) < 0) {
                                throw new java.io.EOFException();
                            }
                        }
                        roundTrips.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    failures.incrementAndGet();
                }
            });
            Flood flood = rig.flood(spoofed, 1_500_000_000L);
            long offered = flood.offered();
            double seconds = flood.seconds();
            flooding.set(false);
            user.join(5000);
            Thread.sleep(200);
            long dropped = rig.program.measures().get(limit).orElseThrow().hits();
            long passed = offered - dropped;
            double expected = burst + rate * seconds;
            System.out.printf("syn-limit %s: %d spoofed SYNs in %.3f s (%.0f pps), passed %d, dropped %d; expected %d + %d/s x %.3f s = %.0f;"
                    + " established connection: %d echo round trips, %d failures, %d of its packets passed by conntrack%n", limit, offered,
                    seconds, offered / seconds, passed, dropped, burst, rate, seconds, expected, roundTrips.get(), failures.get(),
                    rig.counter(FirewallCounter.PASS_CONNTRACK) - ctBefore);
            assertThat(offered / seconds).as("the flood is far above the limit").isGreaterThan(5.0 * rate);
            assertThat(rig.counter(FirewallCounter.DROP_MEASURE_SYN)).isEqualTo(dropped);
            assertThat((double) passed).as("passed vs burst + rate x time").isBetween(expected * 0.95 - rate * 0.02, expected * 1.02);
            assertThat(failures.get()).isZero();
            assertThat(roundTrips.get()).as("the established connection kept working").isGreaterThan(100);
            // and still does after the flood
            ByteBuffer ping = ByteBuffer.wrap("still there".getBytes());
            client.write(ping);
            ByteBuffer pong = ByteBuffer.allocate(11);
            while (pong.hasRemaining() && client.read(pong) > 0) {
                // read it all
            }
            assertThat(new String(pong.array())).isEqualTo("still there");
            client.close();
            echo.join(2000);
            accepted.close();
        }
    }

    /**
     * A spoofed UDP flood (16,384 random sources, random ports of the victim), flat out for 1.5 s,
     * under a udp-limit of every port of the victim at 1000/s (burst 100): about burst + rate x
     * time datagrams pass; meanwhile the victim's own DNS exchanges with the outside host, whose
     * answers come to it as UDP too, are answered, at least 95% of them (a reply to what it asked is
     * decided by conntrack before any measure; UDP lost on the wire under the flood is not retried).
     */
    @Test
    void aUdpLimitCapsASpoofedUdpFloodWhileTheVictimsOwnExchangesPass() throws Exception {
        TestData.assumeBpf();
        long rate = 1000;
        long burst = 100;
        try (Rig rig = new Rig();
             DatagramSocket server = rig.outside.run(() -> new DatagramSocket(new InetSocketAddress(OUTSIDE, 53)));
             DatagramSocket client = rig.victim.run(() -> new DatagramSocket(new InetSocketAddress(VICTIM, 40000)))) {
            Thread answering = UdpEcho.serve(server);
            Random rnd = new Random(4);
            byte[][] spoofed = new byte[16384][];
            for (int i = 0; i < spoofed.length; i++) {
                spoofed[i] = new FrameBuilder().ethernet(OTHER_MAC, SRC_MAC).ipv4(spoofedSource(rnd), VICTIM)
                        .udp(1024 + rnd.nextInt(60000), 1 + rnd.nextInt(65535)).payload(MARK).build();
            }
            Measure limit = Measure.udpLimit(InetAddress.ofLiteral(VICTIM), 0, rate, burst, 0);
            rig.program.measures().put(limit, Duration.ofMinutes(1));

            UdpEcho.Client user = new UdpEcho.Client(client, new InetSocketAddress(OUTSIDE, 53), 500, 10);
            Flood flood = rig.flood(spoofed, 1_500_000_000L);
            user.close();
            Thread.sleep(200);
            long offered = flood.offered();
            double seconds = flood.seconds();
            long dropped = rig.program.measures().get(limit).orElseThrow().hits();
            long passed = offered - dropped;
            double expected = burst + rate * seconds;
            System.out.printf("udp-limit %s: %d spoofed datagrams in %.3f s (%.0f pps), passed %d, dropped %d; expected %d + %d/s x %.3f s"
                    + " = %.0f; the victim's own exchanges: %d of %d answered%n", limit, offered, seconds, offered / seconds, passed, dropped,
                    burst, rate, seconds, expected, user.answered(), user.asked());
            assertThat(offered / seconds).as("the flood is far above the limit").isGreaterThan(5.0 * rate);
            assertThat(rig.counter(FirewallCounter.DROP_MEASURE_UDP)).isEqualTo(dropped);
            assertThat((double) passed).as("passed vs burst + rate x time").isBetween(expected * 0.95 - rate * 0.02, expected * 1.02);
            assertThat(user.asked()).as("exchanges tried during the flood").isGreaterThan(20);
            // at least 95% (until 2026-12-07: all): a CI run lost 1 of 89 under the 1.39 Mpps flood, on the wire (UDP is not
            // retried; the veth's receive ring is shared with the flood); without conntrack deciding the answers first,
            // the limit would pass about 1 in 1,400 of them and nearly none would be answered
            assertThat(user.answered()).as("the victim's own exchanges, answered").isGreaterThanOrEqualTo(user.asked() * 95 / 100);
            server.close();
            answering.join(2000);
        }
    }
}
