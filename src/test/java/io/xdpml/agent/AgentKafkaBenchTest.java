package io.xdpml.agent;

import io.xdpml.dataplane.Stage;
import io.xdpml.fleet.FleetPublisher;
import io.xdpml.fleet.FleetTopics;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.kernel.Interfaces;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BENCHMARKS.md, "The fleet on Kafka" (the figures: {@code -Dxdpml.bench.kafka=true}; without it a
 * tiny run of the same benchmark, which runs and prints its table, no timing asserted):
 * records per second through one agent's publisher (EVE flow lines of a real size), and veth Mpps
 * of a running agent with the Kafka output on and off, alternated in one run (a real broker; the
 * agent's namespace reaches it as in AgentFleetTest).
 */
class AgentKafkaBenchTest {
    /** The whole benchmark, or the tiny run of the suite. */
    static final boolean FULL = Boolean.getBoolean("xdpml.bench.kafka");

    static String config(String iface, String bootstrap) {
        return """
                interfaces: [%s]
                flows:
                  idle-timeout: 1s
                sampling:
                  every: 1000
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan]
                outputs:
                  status: 0s
                """.formatted(iface) + (bootstrap == null ? "" : """
                  kafka:
                    bootstrap: %s
                    types: [alert, flow]
                """.formatted(bootstrap));
    }

    @Test
    void recordsPerSecondAndVethMppsWithKafkaOnAndOff(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        long pid = ProcessHandle.current().pid();
        String net = "10." + (200 + pid % 50) + "." + (pid / 50 % 250) + ".";
        try (AgentRig rig = new AgentRig("kbn")) {
            rig.ns.linkToHost("xkn" + Long.toString(pid % 100000, 36) + "h", "xkn" + Long.toString(pid % 100000, 36) + "n",
                    net + "1", net + "2");
            try (LocalBroker broker = LocalBroker.start(net + "1", 0, null)) {
                String bootstrap = broker.bootstrapServers();
                FleetTopics.ensure(bootstrap, Map.of(), List.of("xdpml.alerts", "xdpml.flows"), "xdpml.blocks", Duration.ofSeconds(10));
                // 1. records/s: EVE flow lines (~650 bytes) through the publisher flat out
                String line = "{\"timestamp\":\"2026-12-03T18:00:00.000000+0000\",\"flow_id\":1234567890123,\"in_iface\":\"eth0\","
                        + "\"event_type\":\"flow\",\"src_ip\":\"10.77.0.5\",\"src_port\":40000,\"dest_ip\":\"10.77.0.2\",\"dest_port\":443,"
                        + "\"proto\":\"TCP\",\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\",\"flow\":{\"pkts_toserver\":12,"
                        + "\"pkts_toclient\":10,\"bytes_toserver\":1840,\"bytes_toclient\":9120,\"start\":\"2026-12-03T17:59:58.000000+0000\","
                        + "\"end\":\"2026-12-03T18:00:00.000000+0000\",\"age\":2,\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false},"
                        + "\"tcp\":{\"tcp_flags\":\"1b\",\"fin\":true,\"syn\":true,\"psh\":true,\"ack\":true},\"xdpml\":{\"reason\":\"tcp_close\"}}";
                for (int round = 0; round < 2; round++) {
                    int n = FULL ? 200_000 : 5_000;
                    try (FleetPublisher p = new FleetPublisher(bootstrap, Map.of(), "bench", n)) {
                        p.publish("xdpml.flows", "warm", line);
                        p.awaitDelivered(Duration.ofSeconds(30));
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            p.publish("xdpml.flows", "1:" + i, line);
                        }
                        long queued = System.nanoTime() - t0;
                        p.awaitDelivered(Duration.ofSeconds(120));
                        double s = (System.nanoTime() - t0) / 1e9;
                        System.out.printf("BENCH records: %d EVE flow lines of %d bytes: queued %.0f ns each, delivered in %.2f s ="
                                + " %.0f records/s (%s)%n", n, line.length(), (double) queued / n, s, n / s, p.counters());
                    }
                }
                // 2. veth Mpps of the agent, Kafka off and on, alternated
                byte[][] frames = new byte[1024][];
                for (int i = 0; i < frames.length; i++) {
                    frames[i] = AgentRig.udp("10.77." + (1 + i / 250) + "." + (1 + i % 250), 5000 + i);
                }
                long perRun = Long.getLong("xdpml.bench.frames", FULL ? 3_000_000L : 50_000L);
                int burst = Integer.getInteger("xdpml.bench.burst", 64);
                for (int round = 0; round < (FULL ? 3 : 1); round++) {
                    for (boolean kafka : new boolean[] {false, true}) {
                        Path f = dir.resolve("agent-" + kafka + ".yaml");
                        Files.writeString(f, config(rig.rx, kafka ? bootstrap : null));
                        rig.start(f);
                        Thread.sleep(kafka ? 2000 : 500);
                        long in0 = rig.counters().in(Stage.PARSE);
                        long t0 = System.nanoTime();
                        rig.ns.run(() -> {
                            try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(rig.tx))) {
                                for (long sent = 0; sent < perRun; sent += burst) {
                                    g.send(frames[(int) ((sent / burst) % frames.length)], burst, 0);
                                }
                            }
                            return null;
                        });
                        double s = (System.nanoTime() - t0) / 1e9;
                        long in = rig.counters().in(Stage.PARSE) - in0;
                        Thread.sleep(3000); // the flows go idle and out
                        var c = rig.agent().kafkaCounters();
                        rig.stop();
                        System.out.printf("BENCH veth round %d kafka %-3s: %.3f Mpps (%d frames in %.2f s)%s%n", round, kafka ? "on" : "off",
                                in / s / 1e6, in, s, c == null ? "" : "; kafka " + c);
                    }
                }
            }
        }
    }
}
