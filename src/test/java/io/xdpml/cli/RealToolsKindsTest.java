package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's kinds against real tools, live: {@code xdpml run} with the udpscan, sweep and flood
 * detectors (flood counting every protocol, {@code flood.protocols=15}) on a victim's veth end (10.67.0.2), and an outside namespace holding an nmap UDP
 * scanner (10.67.0.4), an nmap ICMP sweeper of 10.98.0.0/24 (10.67.0.5; that /24 is routed through
 * the victim, so every probe crosses its XDP hook), an hping3 UDP flooder (10.67.0.6), an hping3
 * ICMP flooder (10.67.0.7), and iperf3 as the benign flow (10.67.0.3, 100 Mbit/s TCP). A packet
 * socket on the victim's interface counts, per source, what XDP let through. Each attack is
 * detected and its source blocked within seconds; a second scan and sweep get nothing through;
 * each flood's packets at the victim fall to near zero while hping3 keeps sending; iperf3 keeps at
 * least 95% of its rate and its source is never blocked.
 */
class RealToolsKindsTest {
    static final String VICTIM = "10.67.0.2";
    static final String BENIGN = "10.67.0.3";
    static final String UDP_SCANNER = "10.67.0.4";
    static final String SWEEPER = "10.67.0.5";
    static final String UDP_FLOODER = "10.67.0.6";
    static final String ICMP_FLOODER = "10.67.0.7";

    @Test
    void udpScanSweepAndFloodsAreBlockedWhileIperf3KeepsItsRate() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3", "nmap", "iperf3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-kinds-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-kinds");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-kvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-kout");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rkv1", VICTIM, outside, "rkv0", List.of(BENIGN, UDP_SCANNER, SWEEPER, UDP_FLOODER, ICMP_FLOODER));
            outside.exec("ip", "route", "add", "10.98.0.0/24", "via", VICTIM); // the sweep's targets, behind the victim

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rkv1", out, err, "run", "--iface", "rkv1", "--detectors", "udpscan,sweep,flood", "--set", "flood.protocols=15",
                    "--window", "1", "--block", "60", "--duration", "32", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rkv1", BENIGN); // iperf3 measures itself
            Process server = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(300);
            Process client = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", BENIGN, "-p", "5201", "-t", "26",
                    "-b", "100M", "-J");
            Thread.sleep(1000);

            // the UDP scan, twice: the second after the first is blocked
            RealTools.runToEnd(outside, dir.resolve("nmap-u1.txt"), "nmap", "-n", "-Pn", "-sU", "-p", "1-500", "--max-retries", "0", "-T5", "-S", UDP_SCANNER,
                    "-e", "rkv0", VICTIM);
            Thread.sleep(2500);
            long scan2 = System.nanoTime();
            RealTools.runToEnd(outside, dir.resolve("nmap-u2.txt"), "nmap", "-n", "-Pn", "-sU", "-p", "1-500", "--max-retries", "0", "-T5", "-S", UDP_SCANNER,
                    "-e", "rkv0", VICTIM);
            long scan2End = System.nanoTime();
            // the ICMP sweep of 256 addresses, twice (at 2,000 probes/s: nmap's own pace, waiting for answers from
            // addresses nobody has, takes 13 s, past a 1 s window's 50 hosts)
            RealTools.runToEnd(outside, dir.resolve("nmap-s1.txt"), "nmap", "-n", "-sn", "-PE", "--disable-arp-ping", "--max-retries", "0", "--min-rate", "2000", "-S", SWEEPER, "-e", "rkv0",
                    "10.98.0.0/24");
            Thread.sleep(2500);
            long sweep2 = System.nanoTime();
            RealTools.runToEnd(outside, dir.resolve("nmap-s2.txt"), "nmap", "-n", "-sn", "-PE", "--disable-arp-ping", "--max-retries", "0", "--min-rate", "2000", "-S", SWEEPER, "-e", "rkv0",
                    "10.98.0.0/24");
            long sweep2End = System.nanoTime();
            // the floods, 10,000 packets/s each for 7 s
            Process udpFlood = RealTools.start(outside, dir.resolve("hping3-udp.txt"), "timeout", "-s", "INT", "7", "hping3", "-q", "--udp", "-p", "9",
                    "-i", "u100", "-a", UDP_FLOODER, VICTIM);
            Process icmpFlood = RealTools.start(outside, dir.resolve("hping3-icmp.txt"), "timeout", "-s", "INT", "7", "hping3", "-q", "--icmp",
                    "-i", "u100", "-a", ICMP_FLOODER, VICTIM);
            assertThat(udpFlood.waitFor(20, TimeUnit.SECONDS) && icmpFlood.waitFor(20, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
            long floodEnd = System.nanoTime();
            assertThat(client.waitFor(40, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroy();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            tap.stop();
            String text = out.toString();
            Files.writeString(Path.of("target", "real-tools-kinds-run.txt"), text);
            for (String a : List.of(UDP_SCANNER, SWEEPER, UDP_FLOODER, ICMP_FLOODER)) {
                System.out.printf("at the victim from %s: %d packets%n", a, tap.from(a, 0, Long.MAX_VALUE));
            }

            // detected, the sources named and blocked; the benign source never
            assertThat(text).as(text).containsPattern("DETECTED .*udpscan +" + Pattern.quote(UDP_SCANNER))
                    .containsPattern("DETECTED .*sweep +" + Pattern.quote(SWEEPER))
                    .containsPattern("DETECTED .*flood +" + Pattern.quote(VICTIM))
                    .contains("BLOCKED " + UDP_SCANNER).contains("BLOCKED " + SWEEPER)
                    .contains("BLOCKED " + UDP_FLOODER).contains("BLOCKED " + ICMP_FLOODER)
                    .doesNotContain("BLOCKED " + BENIGN);

            // the second scan and the second sweep get (nearly) nothing through
            assertThat(tap.from(UDP_SCANNER, 0, scan2)).as("first UDP scan's probes at the victim").isGreaterThanOrEqualTo(100);
            assertThat(tap.from(UDP_SCANNER, scan2, scan2End + 500_000_000L)).as("second UDP scan's probes at the victim").isLessThanOrEqualTo(5);
            assertThat(tap.from(SWEEPER, 0, sweep2)).as("first sweep's probes at the victim").isGreaterThanOrEqualTo(50);
            assertThat(tap.from(SWEEPER, sweep2, sweep2End + 500_000_000L)).as("second sweep's probes at the victim").isLessThanOrEqualTo(5);

            // each flood: thousands in its first second at the victim, near zero in its last three
            for (String flooder : List.of(UDP_FLOODER, ICMP_FLOODER)) {
                long first = tap.first(flooder);
                assertThat(first).as("%s reached the victim", flooder).isPositive();
                long firstSecond = tap.from(flooder, first, first + 1_000_000_000L);
                long lastThree = tap.from(flooder, floodEnd - 3_000_000_000L, floodEnd);
                System.out.printf("%s at the victim: %d packets in its first second, %d in its last 3 s%n", flooder, firstSecond, lastThree);
                assertThat(firstSecond).as("%s in its first second", flooder).isGreaterThan(2000);
                assertThat(lastThree).as("%s in its last 3 s (first second: %d)", flooder, firstSecond).isLessThanOrEqualTo(firstSecond / 100);
            }

            // the benign flow kept at least 95% of its rate
            double received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
            System.out.printf("iperf3: %.1f Mbit/s received of 100 asked%n", received / 1e6);
            assertThat(received).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-kinds"); // the tools' own words
        }
    }

    /**
     * Scans, live, through the agent sampling 1 in 100 by packet as it ships: an nmap SYN scan of
     * 1,000 ports and an nmap UDP scan of 500 send one probe per port, so 1 in 100 of them would
     * leave portscan and udpscan 10 and 5 ports, under their floors. Each probe is its flow's first
     * packet, which the agent copies to Java besides the sample (sampling.first-packets, weighing
     * nothing in the volume detectors): both scanners are named and blocked, and their second scans
     * get (nearly) nothing through; a slow benign ping (hping3, 5 a second) from another source is
     * never blocked. (The same without the first packets, in the agent's twin: SampleWeightTest.)
     */
    @Test
    void scansSampledOneIn100AreSeenWholeThroughTheirFlowsFirstPackets() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3", "nmap");
        String victimAddress = "10.71.0.2";
        String pinger = "10.71.0.3";
        String synScanner = "10.71.0.4";
        String udpScanner = "10.71.0.5";
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-firsts-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-firsts");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-fvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-fout");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rfv1", victimAddress, outside, "rfv0", List.of(pinger, synScanner, udpScanner));
            List<String> args = new java.util.ArrayList<>(List.of(configured(dir,
                    "interfaces: [rfv1]",
                    "flows: {max-flows: 65536}",
                    "sampling: {every: 100}",
                    "detectors: {window: 2s, set: {portscan.minDistinctPorts: 20}}",
                    "mitigation: {block: 60s}")));
            // the scans take 14-15 s (a blocked scan waits for answers): the agent outlives them
            args.addAll(List.of("--duration", "24", "--pin-dir", pins.toString(), "--quiet-status"));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rfv1", out, err, args.toArray(String[]::new));
            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rfv1", null);
            Process ping = RealTools.start(outside, dir.resolve("hping3-ping.txt"), "timeout", "-s", "INT", "20", "hping3", "-q",
                    "--icmp", "-i", "u200000", "-a", pinger, victimAddress);
            Thread.sleep(1000);
            String[] synScan = {"nmap", "-n", "-Pn", "-sS", "-p", "1-1000", "--max-retries", "0", "-T5", "-S", synScanner, "-e", "rfv0",
                    victimAddress};
            String[] udpScan = {"nmap", "-n", "-Pn", "-sU", "-p", "1-500", "--max-retries", "0", "-T5", "-S", udpScanner, "-e", "rfv0",
                    victimAddress};
            RealTools.runToEnd(outside, dir.resolve("nmap-s1.txt"), synScan);
            RealTools.runToEnd(outside, dir.resolve("nmap-u1.txt"), udpScan);
            Thread.sleep(2500);
            long second = System.nanoTime();
            RealTools.runToEnd(outside, dir.resolve("nmap-s2.txt"), synScan);
            RealTools.runToEnd(outside, dir.resolve("nmap-u2.txt"), udpScan);
            long secondEnd = System.nanoTime();
            assertThat(ping.waitFor(30, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            tap.stop();
            String text = out.toString();
            Files.writeString(Path.of("target", "real-tools-firsts-run.txt"), text);
            for (String scanner : List.of(synScanner, udpScanner)) {
                System.out.printf("sampled 1 in 100 with flows' first packets: at the victim from %s: %d probes in its first scan, %d in"
                        + " its second%n", scanner, tap.from(scanner, 0, second), tap.from(scanner, second, secondEnd + 500_000_000L));
            }
            assertThat(text).as(text).containsPattern("DETECTED .*portscan +" + Pattern.quote(synScanner))
                    .containsPattern("DETECTED .*udpscan +" + Pattern.quote(udpScanner))
                    .contains("BLOCKED " + synScanner).contains("BLOCKED " + udpScanner).doesNotContain("BLOCKED " + pinger);
            assertThat(tap.from(synScanner, 0, second)).as("the first SYN scan's probes at the victim").isGreaterThanOrEqualTo(100);
            assertThat(tap.from(udpScanner, 0, second)).as("the first UDP scan's probes at the victim").isGreaterThanOrEqualTo(50);
            assertThat(tap.from(synScanner, second, secondEnd + 500_000_000L)).as("the second SYN scan's").isLessThanOrEqualTo(5);
            assertThat(tap.from(udpScanner, second, secondEnd + 500_000_000L)).as("the second UDP scan's").isLessThanOrEqualTo(5);
            assertThat(tap.from(pinger, 0, Long.MAX_VALUE)).as("the benign pings all reached the victim").isGreaterThanOrEqualTo(50);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-firsts");
        }
    }

    /**
     * One flood, live: a victim namespace running {@code xdpml run} with {@code agentArgs} (given
     * the temporary directory and the interface), and an outside namespace holding a slow benign
     * ping (iputils ping, 5 a second for 9 s) and, a second later, an hping3 flood of {@code floodArgs}
     * (every 100 us for 6 s), each from its own address of 10.{net}.0.0/24 to the victim (.2). The
     * agent's output is kept in target/real-tools-{name}-run.txt.
     */
    private record Flood(String text, RealTools.VictimTap tap, long floodEnd, String victim, String pinger, String flooder, double iperf3) {
        static Flood run(String name, char tag, int net, java.util.function.BiFunction<Path, String, String[]> agentArgs, String... floodArgs)
                throws Exception {
            return run(name, tag, net, false, agentArgs, floodArgs);
        }

        /**
         * As {@link #run(String, char, int, java.util.function.BiFunction, String...)}; with {@code iperf3}, an
         * iperf3 TCP flow of 100 Mbit/s from 10.{net}.0.4 alongside for 9 s ({@link #iperf3()}: bits/s received), and
         * the flood's source the victim's own address when floodArgs hold {@code -a} (the caller's).
         */
        static Flood run(String name, char tag, int net, boolean iperf3, java.util.function.BiFunction<Path, String, String[]> agentArgs,
                String... floodArgs) throws Exception {
            TestData.assumeBpf();
            RealTools.requireTools("hping3", "ping");
            String victimAddress = "10." + net + ".0.2";
            String pinger = "10." + net + ".0.3";
            String benign = "10." + net + ".0.4";
            boolean ownSource = List.of(floodArgs).contains("-a");
            String flooder = ownSource ? victimAddress : "10." + net + ".0.7";
            String iface = "r" + tag + "v1";
            Path pins = Path.of("/sys/fs/bpf/xdpml-test-" + name + "-" + ProcessHandle.current().pid());
            Path dir = Files.createTempDirectory("xdpml-" + name);
            try (NetworkNamespace victim = NetworkNamespace.create("xdpml-" + tag + "vic");
                 NetworkNamespace outside = NetworkNamespace.create("xdpml-" + tag + "out");
                 AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
                RealTools.link(victim, iface, victimAddress, outside, "r" + tag + "v0",
                        ownSource ? List.of(pinger, benign) : List.of(pinger, flooder, benign));
                List<String> args = new java.util.ArrayList<>(List.of(agentArgs.apply(dir, iface)));
                args.addAll(List.of("--duration", "11", "--pin-dir", pins.toString(), "--quiet-status"));
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                CompletableFuture<Integer> run = RealTools.startAgent(victim, iface, out, err, args.toArray(String[]::new));
                RealTools.VictimTap tap = new RealTools.VictimTap(victim, iface, iperf3 ? benign : null); // iperf3 measures itself
                Process server = null;
                Process client = null;
                if (iperf3) {
                    server = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
                    Thread.sleep(300);
                    client = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", victimAddress, "-B", benign, "-p", "5201",
                            "-t", "9", "-b", "100M", "-J");
                }
                // a real ping (iputils: 56 bytes of data, a timestamp and counting bytes), not hping3's empty echo requests:
                // 42-byte echo requests are the attack tools' (hping3, nmap) in the models' training, and the shipped
                // forest since 2026-12-07 drops them one way (docs/models.md, "The sixth set")
                Process ping = RealTools.start(outside, dir.resolve("ping.txt"), "timeout", "-s", "INT", "9", "ping", "-q", "-n",
                        "-i", "0.2", "-I", pinger, victimAddress);
                Thread.sleep(1000);
                List<String> flood = new java.util.ArrayList<>(List.of("timeout", "-s", "INT", "6", "hping3", "-q"));
                flood.addAll(List.of(floodArgs));
                if (!flood.contains("--flood")) {
                    flood.addAll(List.of("-i", "u100"));
                }
                if (!ownSource) {
                    flood.addAll(List.of("-a", flooder));
                }
                flood.add(victimAddress);
                Process flooding = RealTools.start(outside, dir.resolve("hping3-flood.txt"), flood.toArray(String[]::new));
                assertThat(flooding.waitFor(20, TimeUnit.SECONDS) && ping.waitFor(20, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
                long floodEnd = System.nanoTime();
                double received = -1;
                if (iperf3) {
                    assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
                    server.waitFor(5, TimeUnit.SECONDS);
                    server.destroy();
                    received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
                }
                assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
                tap.stop();
                String text = out.toString();
                Files.writeString(Path.of("target", "real-tools-" + name + "-run.txt"), text);
                return new Flood(text, tap, floodEnd, victimAddress, pinger, flooder, received);
            } finally {
                RealTools.keepOutputs(dir, "real-tools-" + name);
            }
        }

        /** The flood's packets at the victim in its first second (forged with the victim's address: those to itself). */
        long firstSecond() {
            if (flooder.equals(victim)) {
                long first = tap.firstToItself(flooder);
                return first == 0 ? 0 : tap.toItself(flooder, first, first + 1_000_000_000L);
            }
            long first = tap.first(flooder);
            return tap.from(flooder, first, first + 1_000_000_000L);
        }

        /** The flood's packets at the victim in its last 3 s. */
        long lastThree() {
            return flooder.equals(victim) ? tap.toItself(flooder, floodEnd - 3_000_000_000L, floodEnd)
                    : tap.from(flooder, floodEnd - 3_000_000_000L, floodEnd);
        }

        long pings() {
            return tap.from(pinger, 0, Long.MAX_VALUE);
        }

        /** Detected by {@code detector} with estimated counts, its source blocked, the pinger not. */
        void assertDetectedAndBlocked(String detector) {
            assertThat(text).as(text).containsPattern("DETECTED .*" + detector + " +" + Pattern.quote(victim) + ".*estimated from")
                    .contains("BLOCKED " + flooder).doesNotContain("BLOCKED " + pinger);
            assertThat(pings()).as("the benign pings all reached the victim").isGreaterThanOrEqualTo(30);
        }

        /** The flood reached the victim in its first second, and (almost) none of it in its last 3 s. */
        void assertHeldBackOnceBlocked() {
            long firstSecond = firstSecond();
            assertThat(firstSecond).as("the flood in its first second").isGreaterThan(2000);
            assertThat(lastThree()).as("the flood in its last 3 s (first second: %d)", firstSecond).isLessThanOrEqualTo(firstSecond / 100);
        }
    }

    /**
     * config/xdpml.example.yaml as it ships, but on {@code iface} alone, its model file's path made
     * absolute and its JSON lines in {@code dir}: written in {@code dir}, the agent's arguments.
     */
    static String[] asShipped(Path dir, String iface) {
        try {
            Path example = Path.of("config/xdpml.example.yaml").toAbsolutePath();
            String yaml = Files.readString(example)
                    .replaceFirst("(?m)^interfaces:\\n(  - .*\\n)+", "interfaces: [" + iface + "]\n")
                    .replace("file: ../models/", "file: " + example.getParent().resolveSibling("models") + "/")
                    .replace("json: /var/log/xdpml/detections.jsonl", "json: " + dir.resolve("detections.jsonl"));
            assertThat(yaml).contains("interfaces: [" + iface + "]").doesNotContain("/var/log/xdpml/detections");
            Path config = dir.resolve("xdpml.yaml");
            Files.writeString(config, yaml);
            return new String[] {"run", "--config", config.toString()};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * BlackNurse, live, against the agent as config/xdpml.example.yaml ships: hping3 sends ICMP
     * destination unreachable, port unreachable (type 3 code 3) from one source every 100 us for 6 s.
     * Each quotes an IP header (1.2.3.4 -> 5.6.7.8, TCP). flood counts ICMP errors as any ICMP and
     * names the source, and the agent blocks it: near none of it reaches the victim in its last 3 s;
     * a slow benign ping from another source is not blocked, and an iperf3 TCP flow alongside keeps
     * at least 95% of its 100 Mbit/s, its source not blocked either.
     */
    @Test
    void aBlackNurseFloodIsBlockedAsTheExampleConfigShips() throws Exception {
        RealTools.requireTools("iperf3");
        Flood f = Flood.run("blacknurse", 'b', 71, true, RealToolsKindsTest::asShipped, "--icmp", "-C", "3", "-K", "3");
        System.out.printf("BlackNurse (ICMP 3/3) as the example ships: at the victim %d packets in its first second, %d in its last 3 s;"
                + " pings %d%n", f.firstSecond(), f.lastThree(), f.pings());
        assertThat(f.text()).as(f.text()).containsPattern("DETECTED .*flood +" + Pattern.quote(f.victim()))
                .contains("BLOCKED " + f.flooder()).doesNotContain("BLOCKED " + f.pinger());
        assertThat(f.pings()).as("the benign pings all reached the victim").isGreaterThanOrEqualTo(30);
        // the shipped model may drop most of the flood before the block (CI saw 34 packets in its first
        // second once): the block is shown by its own drops, and by near none at the victim at the end
        java.util.regex.Matcher blocked = Pattern.compile("(\\d+) packets dropped by blocks").matcher(f.text());
        assertThat(blocked.find()).as(f.text()).isTrue();
        assertThat(Long.parseLong(blocked.group(1))).as("the flood dropped by the block").isGreaterThan(10_000);
        assertThat(f.lastThree()).as("the flood in its last 3 s (first second: %d)", f.firstSecond()).isLessThanOrEqualTo(20);
        System.out.printf("iperf3 alongside: %.1f Mbit/s received of 100 asked%n", f.iperf3() / 1e6);
        assertThat(f.iperf3()).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        assertThat(f.text()).doesNotContain("BLOCKED 10.71.0.4");
    }

    /**
     * An ICMP echo flood forged with the victim's own address (hping3 -1 -a VICTIM, LAND-like), live,
     * against the agent as config/xdpml.example.yaml ships: its source is never blocked (an address of
     * this host), so the firewall drops it (drop_own_source, since 2026-12-06: a packet that is not TCP
     * or UDP from one of the host's own addresses, a martian). None of it reaches the victim's stack;
     * a slow benign ping passes, and an iperf3 TCP flow alongside keeps at least 95% of its 100 Mbit/s.
     */
    @Test
    void anIcmpFloodFromTheVictimsOwnAddressIsDroppedAsTheExampleConfigShips() throws Exception {
        RealTools.requireTools("iperf3");
        Flood f = Flood.run("ownsource", 'o', 72, true, RealToolsKindsTest::asShipped, "--icmp", "-a", "10.72.0.2");
        long atVictim = f.tap().toItself(f.victim(), 0, Long.MAX_VALUE);
        System.out.printf("ICMP echo flood from the victim's own address as the example ships: at the victim %d packets; pings %d;"
                + " iperf3 %.1f Mbit/s%n", atVictim, f.pings(), f.iperf3() / 1e6);
        java.util.regex.Matcher sent = Pattern.compile("(\\d+) packets transmitted")
                .matcher(Files.readString(Path.of("target", "real-tools-ownsource", "hping3-flood.txt")));
        assertThat(sent.find()).as("hping3's count").isTrue();
        assertThat(Long.parseLong(sent.group(1))).as("the flood sent").isGreaterThan(20_000);
        assertThat(atVictim).as("the forged flood at the victim's stack").isLessThan(100);
        assertThat(f.pings()).as("the benign pings all reached the victim").isGreaterThanOrEqualTo(30);
        assertThat(f.iperf3()).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        assertThat(f.text()).doesNotContain("BLOCKED 10.72.0.4").doesNotContain("BLOCKED 10.72.0.3");
    }

    /**
     * An ICMP echo flood from forged random sources (hping3 --icmp --rand-source, 10,000 a second for
     * 6 s), live, against the agent as config/xdpml.example.yaml ships: no source to name or block, so
     * the firewall's {@code icmp-flood 1000/s burst 1000} holds it (since 2026-12-07): its drops
     * ({@code drop_icmp_global}, from the agent's closing summary) are more than half of what hping3 sent
     * (the rest, 42-byte echo requests, the shipped model drops one way). What it costs, said plainly:
     * the benign ping from another source shares that bucket with the flood and loses most of its
     * requests while the flood lasts (printed; asserted only for its pings before and after). iperf3
     * (TCP) keeps at least 95% of its 100 Mbit/s; no benign source is blocked. Without the bucket the
     * first assertion fails (no drop_icmp_global).
     */
    @Test
    void aSpoofedIcmpFloodIsHeldByTheIcmpBucketAsTheExampleConfigShips() throws Exception {
        RealTools.requireTools("iperf3");
        Flood f = Flood.run("spoofedicmp", 'i', 73, true, RealToolsKindsTest::asShipped, "--icmp", "--rand-source");
        long forged = f.tap().icmpExcept(List.of(f.victim(), f.pinger(), f.flooder(), "10.73.0.4"));
        java.util.regex.Matcher sent = Pattern.compile("(\\d+) packets transmitted")
                .matcher(Files.readString(Path.of("target", "real-tools-spoofedicmp", "hping3-flood.txt")));
        System.out.printf("spoofed ICMP flood as the example ships: sent %s, at the victim %d from forged sources; pings %d; iperf3 %.1f"
                + " Mbit/s%n", sent.find() ? sent.group(1) : "?", forged, f.pings(), f.iperf3() / 1e6);
        long sentCount = Long.parseLong(sent.group(1));
        java.util.regex.Matcher held = Pattern.compile("drop_icmp_global (\\d+)").matcher(f.text());
        assertThat(held.find()).as("the bucket's drops in the closing summary: %s", f.text()).isTrue();
        System.out.printf("held by icmp-flood: %s of %d%n", held.group(1), sentCount);
        assertThat(sentCount).as("the flood sent").isGreaterThan(20_000);
        assertThat(Long.parseLong(held.group(1))).as("dropped by icmp-flood").isGreaterThan(sentCount / 2);
        assertThat(forged).as("forged ICMP at the victim's stack (what passed the bucket the model drops)").isLessThan(sentCount / 2);
        assertThat(f.pings()).as("the pings before and after the flood").isGreaterThanOrEqualTo(10);
        assertThat(f.iperf3()).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        assertThat(f.text()).doesNotContain("BLOCKED 10.73.0.4").doesNotContain("BLOCKED " + f.pinger());
    }

    /** The agent's configuration file, written in {@code dir}. */
    private static String[] configured(Path dir, String... lines) {
        try {
            Path config = dir.resolve("xdpml.yaml");
            Files.writeString(config, String.join("\n", lines) + "\n");
            return new String[] {"run", "--config", config.toString()};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * As the agent ships: its default detectors (flood counting ICMP alone) on 1 in 100 packets.
     * An hping3 ICMP flood (10,000 packets/s for 6 s) reaches Java as 100 packets a second, each
     * counted as the 100 it stands for: detected and its source blocked within a second, the count in
     * the reasons estimated; a slow benign ping (5 a second, hping3 too) from another source is not.
     */
    @Test
    void aSampledIcmpFloodIsBlockedByTheDefaultDetectors() throws Exception {
        Flood f = Flood.run("sampled", 's', 68, (dir, iface) -> new String[] {"run", "--iface", iface, "--sample", "100", "--block", "60"},
                "--icmp");
        System.out.printf("sampled 1 in 100: the ICMP flood at the victim: %d packets in its first second, %d in its last 3 s; pings %d%n",
                f.firstSecond(), f.lastThree(), f.pings());
        f.assertDetectedAndBlocked("flood");
        f.assertHeldBackOnceBlocked();
    }

    /**
     * A flood the in-kernel model drops is still seen by the detectors: with the model's drops
     * sampled with the rest (sampling.dropped, on by default with mirror delivery), 1 in 100 of the
     * dropped packets goes to Java as a copy weighing 100. The shipped forest (the example's model) drops an hping3 SYN
     * flood (10,000 SYNs/s for 6 s) from its first packets, so none of it reaches the victim, and
     * without the sampled drops none of it would reach Java either; the synflood detector names its
     * source from them, and the source is blocked, so that the rest of the flood ends in the blocks
     * stage, before the flow and model stages. A slow benign ping from another source is not.
     * (The same without sampled drops, in the agent's twin: SampleWeightTest.)
     */
    @Test
    void aFloodTheModelDropsIsNamedFromItsSampledDropsAndBlocked() throws Exception {
        Path model = RealToolsModelTest.shippedModel();
        Flood f = Flood.run("dropped", 'd', 69, (dir, iface) -> configured(dir,
                "interfaces: [" + iface + "]",
                "flows: {max-flows: 65536}",
                "model:",
                "  file: " + model,
                "  mode: packet",
                "  actions: {attack: drop, benign: pass}",
                "  min-confidence: {attack: 0.9}",
                "sampling: {every: 100}",
                "detectors: {window: 2s}",
                "mitigation: {block: 60s}"), "-S", "-p", "80");
        java.util.regex.Matcher blocked = Pattern.compile("(\\d+) packets dropped by blocks").matcher(f.text());
        assertThat(blocked.find()).as(f.text()).isTrue();
        long atVictim = f.tap().from(f.flooder(), 0, Long.MAX_VALUE);
        System.out.printf("the model's drops sampled 1 in 100: the SYN flood at the victim %d packets, %s packets dropped by blocks;"
                + " pings %d%n", atVictim, blocked.group(1), f.pings());
        f.assertDetectedAndBlocked("synflood");
        assertThat(atVictim).as("the model drops the flood from its first packets").isLessThan(500);
        assertThat(Long.parseLong(blocked.group(1))).as("the rest of the flood dropped by blocks").isGreaterThan(10_000);
    }

    /**
     * What the rate cap holds back still counts: every packet to Java but at most 300 a second
     * ({@code delivery.rate-cap}), and an hping3 ICMP flood of 10,000 packets/s. Java receives 300 of
     * them a second, under flood's floor of 5,000 packets/s, and each counts as the packets the cap
     * held back with it ({@code DeliveryShare}, from the program's counters every 0.1 s): the flood
     * is detected, its count estimated, its source blocked; a slow ping from another source is not.
     */
    @Test
    void aFloodOverTheRateCapIsCountedWhole() throws Exception {
        Flood f = Flood.run("capped", 'c', 70, (dir, iface) -> configured(dir,
                "interfaces: [" + iface + "]",
                "sampling: {every: 1}",
                "delivery: {rate-cap: 300}",
                "detectors: {window: 2s}",
                "mitigation: {block: 60s}"), "--icmp");
        java.util.regex.Matcher toJava = Pattern.compile("(\\d+) packets seen by XDP, (\\d+) to Java").matcher(f.text());
        assertThat(toJava.find()).as(f.text()).isTrue();
        System.out.printf("capped at 300/s to Java: %s of %s packets to Java; the ICMP flood at the victim: %d packets in its first"
                + " second, %d in its last 3 s; pings %d%n", toJava.group(2), toJava.group(1), f.firstSecond(), f.lastThree(), f.pings());
        f.assertDetectedAndBlocked("flood");
        assertThat(Long.parseLong(toJava.group(2))).as("the cap held Java to ~300 a second").isLessThan(11 * 300 + 600);
        f.assertHeldBackOnceBlocked();
    }
}
