package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.dataplane.Stage;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetBlockSync;
import io.xdpml.fleet.FleetPublisher;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.processor.Mitigation;
import io.xdpml.testing.TestData;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet end to end: a real KRaft broker ({@link LocalBroker}, a child JVM) and two real agents,
 * "host A" and "host B", each on a veth pair in a network namespace of its own. Each namespace is
 * joined to the host by one more veth pair with addresses (10.R.S.0/30 for A, 10.R.S.4/30 for B, a
 * default route to the host's end); the broker listens on every address of the host and
 * advertises the host's end of A's link, which B reaches through its own link (the host delivers
 * it locally). Then: a scan detected on A blocks the scanner on B within 2 s (through the compacted
 * blocks topic); B restarted gets the block back from the topic; the broker stopped for 10 s: both
 * agents keep filtering and blocking, count what they could not send, and deliver it when it is
 * back; a tombstone unblocks on both.
 */
class AgentFleetTest {
    static final String SCANNER = "10.77.0.9";
    static final String SCANNER_A2 = "10.77.0.21";
    static final String SCANNER_B2 = "10.77.0.22";
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Between two scans of the same 400 ports: longer than the detectors' 1 s window, so a window
     * holds at most two scans of each port. More than 3 probes per host:port on average look like a
     * flood to the port scan detector, not a scan; a warm JVM sends a scan in a few ms, and with a
     * 300 ms pause four scans fit in one window and nothing was ever detected (CI, 2026-12-03).
     */
    static final long SCAN_PAUSE_MS = 1100;

    static String config(String iface, String host, String bootstrap) {
        return """
                interfaces: [%s]
                blocks:
                  enabled: true
                flows:
                  idle-timeout: 1s
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan]
                  window: 1s
                mitigation:
                  block: 120s
                outputs:
                  status: 0s
                  kafka:
                    bootstrap: %s
                    host: %s
                    types: [alert, flow]
                    publish-blocks: true
                """.formatted(iface, bootstrap, host);
    }

    static long scan(AgentRig rig, String scanner) {
        return rig.ns.run(() -> {
            try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(rig.tx))) {
                for (int port = 1; port <= 400; port++) {
                    g.send(AgentRig.syn(scanner, 50000, port), 1, 0);
                }
            }
            return 400L;
        });
    }

    /** Whether the agent of {@code rig} has {@code address}/32 in its blocks map (read through its pin, as 'xdpml blocks' does). */
    static boolean blocked(AgentRig rig, String address) {
        return blocked(rig, address, 32);
    }

    /** Whether the blocks of {@code rig}'s agent hold {@code address}/{@code length}, in force now. */
    static boolean blocked(AgentRig rig, String address, int length) {
        Path pin = rig.blocksPins.resolve(rig.rx);
        if (!Files.exists(pin.resolve("xdpml_blocks"))) {
            return false;
        }
        Mitigation m = Mitigation.openPinned(pin);
        try {
            InetAddress a = InetAddress.ofLiteral(address);
            return m.list().stream().anyMatch(b -> b.address().equals(a) && b.prefixLength() == length && b.activeAt(System.nanoTime()));
        } finally {
            m.close();
        }
    }

    static long waitFor(BooleanSupplier cond, double seconds) throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (!cond.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        return System.nanoTime() - t0;
    }

    static List<ConsumerRecord<String, String>> read(String bootstrap, String topic) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(FleetBlockSync.consumerProperties(bootstrap, Map.of(), "test"))) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline && parts.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }

    /** What agent A's program and receive loop saw, for a failure message. */
    static String diagnosis(AgentRig rig) {
        StringBuilder b = new StringBuilder();
        try {
            b.append("program counters: ").append(rig.counters());
            Agent agent = rig.agent();
            if (agent != null) {
                for (var p : agent.processors()) {
                    b.append("; receive loop: ").append(p.stats()).append(", failure ").append(p.failure());
                }
            }
        } catch (RuntimeException e) {
            b.append(" (could not read: ").append(e).append(')');
        }
        return b.toString();
    }

    @Test
    void blocksTravelThroughKafkaBetweenTwoAgents(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        long pid = ProcessHandle.current().pid();
        String net = "10." + (200 + pid % 50) + "." + (pid / 50 % 250) + ".";
        long t0 = System.nanoTime();
        try (AgentRig a = new AgentRig("kfa"); AgentRig b = new AgentRig("kfb")) {
            String tag = Long.toString(pid % 100000, 36);
            a.ns.linkToHost("xka" + tag + "h", "xka" + tag + "n", net + "1", net + "2");
            b.ns.linkToHost("xkb" + tag + "h", "xkb" + tag + "n", net + "5", net + "6"); // the next /30
            try (LocalBroker broker = LocalBroker.start(net + "1", 0, null)) {
                String bootstrap = broker.bootstrapServers();
                System.out.printf("broker at %s up after %.1f s%n", bootstrap, (System.nanoTime() - t0) / 1e9);
                Path fa = dir.resolve("a.yaml");
                Path fb = dir.resolve("b.yaml");
                Files.writeString(fa, config(a.rx, "host-a", bootstrap));
                Files.writeString(fb, config(b.rx, "host-b", bootstrap));
                a.start(fa);
                b.start(fb);
                waitFor(() -> a.agent().fleetBlockCounters().caughtUp() && b.agent().fleetBlockCounters().caughtUp(), 30);
                assertThat(b.agent().fleetBlockCounters().caughtUp()).as(b.output()).isTrue();
                assertThat(a.agent().fleetBlockCounters().caughtUp()).as(a.output()).isTrue();

                // 1. a scan detected on A: A blocks the scanner, publishes the block, B applies it
                java.util.concurrent.atomic.AtomicLong blockedOnA = new java.util.concurrent.atomic.AtomicLong();
                java.util.concurrent.atomic.AtomicLong seenOnB = new java.util.concurrent.atomic.AtomicLong();
                a.agent().observe(new Agent.Observer() {
                    @Override
                    public void blocked(String source, String detector) {
                        if (source.equals(SCANNER)) {
                            blockedOnA.compareAndSet(0, System.nanoTime());
                        }
                    }
                });
                Thread watcher = Thread.ofPlatform().daemon().start(() -> { // B's map, every 2 ms
                    long end = System.nanoTime() + 30_000_000_000L;
                    while (seenOnB.get() == 0 && System.nanoTime() < end) {
                        if (blocked(b, SCANNER)) {
                            seenOnB.set(System.nanoTime());
                        }
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!a.output().contains("BLOCKED " + SCANNER) && System.nanoTime() < deadline) {
                    scan(a, SCANNER);
                    Thread.sleep(SCAN_PAUSE_MS);
                }
                long detectedAt = System.nanoTime();
                assertThat(a.output()).as(() -> diagnosis(a)).contains("BLOCKED " + SCANNER);
                watcher.join(10_000);
                assertThat(blocked(b, SCANNER)).as(b.output()).isTrue();
                long took = seenOnB.get() - blockedOnA.get();
                System.out.printf("block propagation: %.1f ms from A blocking the scanner in its kernel to B's kernel map having it%n",
                        took / 1e6);
                assertThat(blockedOnA.get()).isPositive();
                assertThat(took).as("ns from A's block to B's kernel map").isPositive().isLessThan(2_000_000_000L);
                // B's line comes after its map write: the watcher may see the map first
                waitFor(() -> b.output().contains("FLEET BLOCKED " + SCANNER + "/32"), 5);
                assertThat(b.output()).contains("FLEET BLOCKED " + SCANNER + "/32").contains("(portscan on host-a)");
                // B drops the scanner before it scans B
                long before = b.counters().dropped(Stage.BLOCKS);
                scan(b, SCANNER);
                waitFor(() -> b.counters().dropped(Stage.BLOCKS) >= before + 400, 3);
                assertThat(b.counters().dropped(Stage.BLOCKS) - before).isEqualTo(400);
                assertThat(b.output()).doesNotContain("DETECTED portscan " + SCANNER);
                System.out.printf("  (detection to B's map: %.0f ms)%n", (System.nanoTime() - detectedAt) / 1e6);

                // 2. B restarted: the block comes back from the topic
                b.stop();
                assertThat(blocked(b, SCANNER)).isFalse();
                long r0 = System.nanoTime();
                b.start(fb);
                long back = waitFor(() -> blocked(b, SCANNER), 20);
                System.out.printf("B restarted: block restored %.0f ms after its start%n", back / 1e6);
                assertThat(blocked(b, SCANNER)).as(b.output()).isTrue();
                assertThat(System.nanoTime() - r0).isLessThan(20_000_000_000L);

                // 3. the broker away for 10 s: both agents go on filtering and blocking, count what waits, deliver it later
                // A's flow records (idle-timeout 1 s) of the scans above may still be on their way: nothing waits before the outage
                // (and none still to come: the flow sweep may report a flow up to a second and more after its last packet)
                long quietBy = System.nanoTime() + 15_000_000_000L;
                for (long lastA = -1, lastB = -1; System.nanoTime() < quietBy; Thread.sleep(2_000)) {
                    FleetPublisher.Counters ca = a.agent().kafkaCounters();
                    FleetPublisher.Counters cb = b.agent().kafkaCounters();
                    if (ca.pending() == 0 && cb.pending() == 0 && ca.sent() == lastA && cb.sent() == lastB) {
                        break;
                    }
                    lastA = ca.sent();
                    lastB = cb.sent();
                }
                FleetPublisher.Counters a0 = a.agent().kafkaCounters();
                FleetPublisher.Counters b0 = b.agent().kafkaCounters();
                assertThat(a0.pending()).isZero();
                broker.stop();
                long away = System.nanoTime();
                long dropsA = a.counters().dropped(Stage.BLOCKS);
                long dropsB = b.counters().dropped(Stage.BLOCKS);
                scan(a, SCANNER);
                scan(b, SCANNER);
                // new scans during the outage: each host blocks its own scanner (and its alert and block wait)
                deadline = System.nanoTime() + 8_000_000_000L;
                while ((!a.output().contains("BLOCKED " + SCANNER_A2) || !b.output().contains("BLOCKED " + SCANNER_B2))
                        && System.nanoTime() < deadline) {
                    scan(a, SCANNER_A2);
                    scan(b, SCANNER_B2);
                    Thread.sleep(SCAN_PAUSE_MS);
                }
                assertThat(a.output()).contains("BLOCKED " + SCANNER_A2);
                assertThat(b.output()).contains("BLOCKED " + SCANNER_B2);
                waitFor(() -> a.counters().dropped(Stage.BLOCKS) >= dropsA + 400 && b.counters().dropped(Stage.BLOCKS) >= dropsB + 400, 3);
                assertThat(a.counters().dropped(Stage.BLOCKS) - dropsA).as("A filters with the broker away").isGreaterThanOrEqualTo(400);
                assertThat(b.counters().dropped(Stage.BLOCKS) - dropsB).as("B filters with the broker away").isGreaterThanOrEqualTo(400);
                Thread.sleep(Math.max(0, 10_000 - (System.nanoTime() - away) / 1_000_000));
                FleetPublisher.Counters aAway = a.agent().kafkaCounters();
                FleetPublisher.Counters bAway = b.agent().kafkaCounters();
                System.out.println("broker away 10 s: A " + aAway + "\n                   B " + bAway);
                assertThat(aAway.pending()).as("A's records waiting").isGreaterThan(0);
                assertThat(bAway.pending()).as("B's records waiting").isGreaterThan(0);
                // from another shell: 'xdpml status --json' has the counts
                Thread.sleep(1100);
                @SuppressWarnings("unchecked")
                Map<String, Object> kafkaStatus = (Map<String, Object>) StatusReport.of(a.rx).get("kafka");
                assertThat(kafkaStatus).as("status of A").isNotNull();
                @SuppressWarnings("unchecked")
                Map<String, Object> published = (Map<String, Object>) kafkaStatus.get("published");
                assertThat(((Number) published.get("pending")).longValue()).isGreaterThan(0);
                assertThat(String.join("\n", StatusReport.lines(StatusReport.of(a.rx)))).contains("kafka     " + bootstrap + ": sent ");
                assertThat(aAway.sent()).isEqualTo(a0.sent());
                assertThat(bAway.sent()).isEqualTo(b0.sent());
                assertThat(blocked(b, SCANNER_A2)).as("A's new block cannot reach B yet").isFalse();
                long back0 = System.nanoTime();
                broker.restart();
                System.out.printf("broker back after %.1f s away (restart took %.1f s)%n", (System.nanoTime() - away) / 1e9,
                        (System.nanoTime() - back0) / 1e9);
                waitFor(() -> a.agent().kafkaCounters().pending() == 0 && b.agent().kafkaCounters().pending() == 0, 30);
                long delivered = waitFor(() -> blocked(b, SCANNER_A2) && blocked(a, SCANNER_B2), 30);
                FleetPublisher.Counters aAfter = a.agent().kafkaCounters();
                FleetPublisher.Counters bAfter = b.agent().kafkaCounters();
                System.out.printf("after the broker returned: A %s%n                          B %s%n  (blocks exchanged %.0f ms after"
                        + " the records were delivered)%n", aAfter, bAfter, delivered / 1e6);
                assertThat(aAfter.pending()).isZero();
                assertThat(bAfter.pending()).isZero();
                assertThat(aAfter.sent() - a0.sent()).as("A delivered what waited").isGreaterThanOrEqualTo(aAway.pending());
                assertThat(bAfter.sent() - b0.sent()).as("B delivered what waited").isGreaterThanOrEqualTo(bAway.pending());
                assertThat(aAfter.failed() + aAfter.dropped() + bAfter.failed() + bAfter.dropped()).isZero();
                assertThat(blocked(b, SCANNER_A2)).isTrue();
                assertThat(blocked(a, SCANNER_B2)).isTrue();

                // the alerts are on the topic as EVE JSON, keyed by their source
                List<ConsumerRecord<String, String>> alerts = read(bootstrap, "xdpml.alerts");
                assertThat(alerts).anySatisfy(r -> {
                    assertThat(r.key()).isEqualTo(SCANNER_B2);
                    JsonNode n = JSON.readTree(r.value());
                    assertThat(n.path("event_type").asText()).isEqualTo("alert");
                    assertThat(n.path("src_ip").asText()).isEqualTo(SCANNER_B2);
                    assertThat(n.path("alert").path("action").asText()).isEqualTo("blocked");
                    assertThat(io.xdpml.output.EveLines.micros(n.path("timestamp").asText()) / 1000).as("dated now, epoch ms")
                            .isBetween(System.currentTimeMillis() - 600_000L, System.currentTimeMillis());
                    assertThat(n.path("host").asText()).as("which agent (Suricata's sensor name)").isIn("host-a", "host-b");
                });

                // 4. 'xdpml blocks remove --fleet' publishes a tombstone: unblocked on both
                long u0 = System.nanoTime();
                io.xdpml.cli.CliHarness.Result rm = io.xdpml.cli.CliHarness.run("blocks", "remove", "--fleet", "--kafka", bootstrap, SCANNER);
                assertThat(rm.code()).as(rm.out() + rm.err()).isZero();
                assertThat(rm.out()).contains("published tombstone for prefix:" + SCANNER + "/32 to xdpml.blocks");
                long gone = waitFor(() -> !blocked(a, SCANNER) && !blocked(b, SCANNER), 5);
                System.out.printf("tombstone: unblocked on both %.0f ms after the command started (%.0f ms after it returned)%n",
                        (System.nanoTime() - u0) / 1e6, gone / 1e6);
                assertThat(blocked(a, SCANNER)).isFalse();
                assertThat(blocked(b, SCANNER)).isFalse();
                assertThat(gone).isLessThan(2_000_000_000L);
                // and 'blocks add --fleet' blocks on both by hand
                io.xdpml.cli.CliHarness.Result add = io.xdpml.cli.CliHarness.run("blocks", "add", "--fleet", "--kafka", bootstrap,
                        "--seconds", "60", "--reason", "by hand", "192.0.2.0/24");
                assertThat(add.code()).as(add.out() + add.err()).isZero();
                waitFor(() -> b.output().contains("FLEET BLOCKED 192.0.2.0/24") && a.output().contains("FLEET BLOCKED 192.0.2.0/24"), 5);
                assertThat(b.output()).contains("FLEET BLOCKED 192.0.2.0/24 for 60 s (manual on ");
                assertThat(a.output()).contains("FLEET BLOCKED 192.0.2.0/24 for 60 s (manual on ");
                assertThat(a.output()).contains("FLEET UNBLOCKED " + SCANNER + "/32");
                assertThat(b.output()).contains("FLEET UNBLOCKED " + SCANNER + "/32");
                // a fleet block over what an agent never blocks (here B's own address) is refused there, applied elsewhere
                io.xdpml.cli.CliHarness.Result own = io.xdpml.cli.CliHarness.run("blocks", "add", "--fleet", "--kafka", bootstrap,
                        "--seconds", "60", net + "4/30");
                assertThat(own.code()).as(own.out() + own.err()).isZero();
                waitFor(() -> b.output().contains(net + "4/30") && a.output().contains("FLEET BLOCKED " + net + "4/30"), 5);
                // B's address .6, or its /30's broadcast .7
                assertThat(b.output()).containsPattern(java.util.regex.Pattern.quote(net + "4/30") + ".* not applied: spared here: it covers "
                        + java.util.regex.Pattern.quote(net) + "[67], an address of this host").doesNotContain("FLEET BLOCKED " + net + "4/30");
                assertThat(blocked(b, net + "4", 30)).isFalse();
                assertThat(blocked(a, net + "4", 30)).isTrue();
                // B's never-block list, added by a reload, spares a fleet block too (until 2026-12-05 the list of B's start did)
                Files.writeString(fb, config(b.rx, "host-b", bootstrap).replace("  block: 120s", "  block: 120s\n  never-block: [198.51.100.0/24]"));
                b.agent().requestReload();
                waitFor(() -> b.output().contains("reloaded "), 10);
                assertThat(b.output()).contains("changed mitigation");
                io.xdpml.cli.CliHarness.Result spared = io.xdpml.cli.CliHarness.run("blocks", "add", "--fleet", "--kafka", bootstrap,
                        "--seconds", "60", "198.51.100.7");
                assertThat(spared.code()).as(spared.out() + spared.err()).isZero();
                waitFor(() -> b.output().contains("198.51.100.7/32") && a.output().contains("FLEET BLOCKED 198.51.100.7/32"), 5);
                assertThat(b.output()).contains("198.51.100.7/32").doesNotContain("FLEET BLOCKED 198.51.100.7/32");
                assertThat(blocked(b, "198.51.100.7")).isFalse();
                assertThat(blocked(a, "198.51.100.7")).isTrue();
                a.stop();
                b.stop();
                assertThat(a.output()).contains("Kafka: ").contains(" records sent");
                // flows too: EVE flow events keyed by their community_id
                List<ConsumerRecord<String, String>> flows = read(bootstrap, "xdpml.flows");
                assertThat(flows).isNotEmpty().allSatisfy(r -> {
                    JsonNode n = JSON.readTree(r.value());
                    assertThat(n.path("event_type").asText()).isEqualTo("flow");
                    assertThat(r.key()).isEqualTo(n.path("community_id").asText());
                    assertThat(n.path("host").asText()).isIn("host-a", "host-b");
                });
                System.out.printf("%d alerts, %d flows on the topics; the test took %.1f s%n", alerts.size(), flows.size(),
                        (System.nanoTime() - t0) / 1e9);
            }
        }
    }
}
