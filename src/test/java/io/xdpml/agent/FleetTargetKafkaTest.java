package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.InterfaceSpec;
import io.xdpml.dataplane.KernelDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stages;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetBlockSync;
import io.xdpml.fleet.FleetPublisher;
import io.xdpml.fleet.FleetTopics;
import io.xdpml.fleet.KafkaRights;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.flow.FlowConfig;
import io.xdpml.processor.Mitigation;
import io.xdpml.testing.TestData;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet's records from a real KRaft broker ({@link LocalBroker}) through the real blocks
 * consumer into a real program's blocks map (loaded, not attached), beside this agent's own
 * detection's blocks (kept as the agent keeps them: what each wrote, the record it published): who
 * may take back what, and in which order.
 */
class FleetTargetKafkaTest {
    static final long HOUR = 3_600_000_000_000L;
    static LocalBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = LocalBroker.start(KafkaRights.AUTHORIZER); // a right refused for a while makes the consumer fail
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    /** A real program's blocks, a FleetTarget on them, and this agent's own detections' blocks and records, as Agent keeps them. */
    static final class Here implements AutoCloseable {
        final KernelDataPlane plane = new KernelDataPlane(Stages.none().withBlocks(true), FlowConfig.defaults(), PacketResult.XDP_PASS);
        final Mitigation blocks = plane.mitigation();
        final Map<InetAddress, Mitigation.Replacement> detected = new ConcurrentHashMap<>();
        final Map<InetAddress, FleetBlock> published = new ConcurrentHashMap<>();
        final FleetTarget target = new FleetTarget(() -> List.of(new FleetTarget.Maps(blocks, null)),
                () -> NeverBlock.of(AgentConfig.defaults(Path.of("test.yaml"), List.of(InterfaceSpec.of("eth-test"))), false),
                (address, in) -> in == blocks ? detected.get(address) : null, published::get);

        /** The expiry of the entry of {@code address}/32, or null when there is none. */
        Long expiry(InetAddress address) {
            return blocks.list().stream().filter(b -> b.address().equals(address) && b.prefixLength() == 32).findFirst()
                    .map(Mitigation.Block::expiresNanos).orElse(null);
        }

        @Override
        public void close() {
            plane.close();
        }
    }

    static void publish(String topic, String key, String value) throws InterruptedException {
        try (FleetPublisher p = new FleetPublisher(broker.bootstrapServers(), Map.of(), "test", 100)) {
            p.publish(topic, key, value);
            assertThat(p.awaitDelivered(Duration.ofSeconds(20))).isTrue();
        }
    }

    static long count(List<String> log, String text) {
        synchronized (log) {
            return log.stream().filter(l -> l.contains(text)).count();
        }
    }

    /**
     * The agent blocks 10.0.0.1 by its own detection (not published) after the fleet had published a
     * block of it and removed it: the consumer fails, the new one replays the old block and its
     * tombstone; then a new block of it from another host is published and removed fleet-wide. The
     * agent's block stays through both: the old records were acted on already (nothing is said or
     * done again), and the new tombstone answers another host's record, not this agent's block. Its
     * own record, published and read back, is then answered by a tombstone: unblocked here too.
     * Before, the replayed tombstone, and any tombstone of the key, removed the agent's own block.
     */
    @Test
    void aTombstoneTakesBackThisAgentsOwnBlockOnlyWhenItAnswersItsRecord() throws Exception {
        TestData.assumeBpf();
        String topic = "t.own";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        InetAddress x = InetAddress.ofLiteral("10.0.0.1");
        long now = System.currentTimeMillis();
        FleetBlock old = FleetBlock.prefix("10.0.0.1", "host-a", "portscan", List.of(), now, now + 600_000);
        publish(topic, old.key(), old.toJson());
        publish(topic, old.key(), null);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (Here here = new Here();
                FleetBlockSync sync = new FleetBlockSync(broker.bootstrapServers(), Map.of(), "test-own", topic, false, here.target, log::add)
                        .start()) {
            AgentFleetTest.waitFor(() -> sync.counters().caughtUp(), 30);
            assertThat(sync.counters().removed()).as(log.toString()).isEqualTo(1);
            assertThat(here.expiry(x)).as("the fleet's block, removed").isNull();

            // later, this agent's own detection blocks it (publish-blocks off: no record of it)
            long detection = System.nanoTime() + HOUR;
            here.detected.put(x, here.blocks.blockAtLeastReplacing(x, 32, detection));

            // the consumer fails; the new one replays the old block and its tombstone
            KafkaRights.denyRead(broker.bootstrapServers(), topic);
            try {
                AgentFleetTest.waitFor(() -> count(log, "the consumer of " + topic + " failed") > 0, 30);
            } finally {
                KafkaRights.allowRead(broker.bootstrapServers(), topic);
            }
            assertThat(count(log, "the consumer of " + topic + " failed")).isEqualTo(1);
            AgentFleetTest.waitFor(() -> count(log, "fleet blocks: replayed " + topic) == 2, 60);
            assertThat(count(log, "fleet blocks: replayed " + topic)).as(log.toString()).isEqualTo(2);
            assertThat(here.expiry(x)).as("this agent's own block, after the replay").isEqualTo(detection);
            assertThat(count(log, "10.0.0.1/32")).as("nothing said again: " + log).isEqualTo(2);
            assertThat(sync.counters().unchanged()).isEqualTo(2);

            // another host's new block of it, and its tombstone (an operator's fleet-wide removal of that one)
            FleetBlock anothers = FleetBlock.prefix("10.0.0.1", "host-b", "portscan", List.of(), now, now + 600_000);
            publish(topic, anothers.key(), anothers.toJson());
            publish(topic, anothers.key(), null);
            AgentFleetTest.waitFor(() -> sync.counters().removed() == 2, 20);
            assertThat(sync.counters().removed()).isEqualTo(2);
            assertThat(here.expiry(x)).as("this agent's own block, after another host's record was removed").isEqualTo(detection);

            // this agent's own record (publish-blocks), read back: the fleet has its block; a tombstone now answers it
            FleetBlock own = FleetBlock.prefix("10.0.0.1", "host-self", "portscan", List.of(), System.currentTimeMillis(),
                    System.currentTimeMillis() + 3_600_000);
            here.published.put(x, own);
            publish(topic, own.key(), own.toJson());
            AgentFleetTest.waitFor(() -> sync.counters().applied() == 3, 20);
            assertThat(sync.counters().applied()).isEqualTo(3);
            publish(topic, own.key(), null);
            AgentFleetTest.waitFor(() -> sync.counters().removed() == 3, 20);
            assertThat(here.expiry(x)).as("removed fleet-wide, here too").isNull();
        }
    }
    /**
     * This agent's block, renewed while a longer fleet block of the same address is in force: the
     * renewal leaves the longer block as it is and says so (Mitigation.renew: LONGER_KEPT, with the
     * longer one's expiry), the agent records its block as running to the renewal's end, beneath the
     * longer one (as Agent.renewBlocksStillHit does), and when a tombstone takes the fleet's block
     * back, the renewal is what is listed. Before, the renewal was recorded nowhere but in the
     * agent's memory: the tombstone gave back the block's first expiry, long passed, so nothing was
     * left, while the agent went on taking the source for blocked.
     */
    @Test
    void aRenewalBeneathALongerFleetBlockIsWhatIsLeftWhenTheFleetTakesThatBack() throws Exception {
        TestData.assumeBpf();
        String topic = "t.renewal";
        FleetTopics.ensure(broker.bootstrapServers(), Map.of(), List.of(), topic, Duration.ofSeconds(10));
        InetAddress z = InetAddress.ofLiteral("10.0.0.2");
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        try (Here here = new Here();
                FleetBlockSync sync = new FleetBlockSync(broker.bootstrapServers(), Map.of(), "test-renewal", topic, false, here.target,
                        log::add).start()) {
            AgentFleetTest.waitFor(() -> sync.counters().caughtUp(), 30);
            // this agent's detection blocks it for a second
            long first = System.nanoTime() + 1_000_000_000L;
            here.detected.put(z, here.blocks.blockAtLeastReplacing(z, 32, first));
            // the fleet's block of it, until removed, over it
            long now = System.currentTimeMillis();
            FleetBlock fleets = FleetBlock.prefix("10.0.0.2", "fleet", "fleet-scan", List.of(), now, 0);
            publish(topic, fleets.key(), fleets.toJson());
            AgentFleetTest.waitFor(() -> sync.counters().applied() == 1, 20);
            assertThat(Mitigation.neverExpires(here.expiry(z))).as("the fleet's block, over this agent's").isTrue();

            // the source still sends: the agent renews its block for a minute
            long renewed = System.nanoTime() + 60_000_000_000L;
            Mitigation.Renewed r = here.blocks.renew(z, 32, renewed);
            assertThat(r.outcome()).isEqualTo(Mitigation.Renewal.LONGER_KEPT);
            assertThat(Mitigation.neverExpires(r.expiresNanos())).as("the longer block's expiry, told").isTrue();
            here.detected.put(z, new Mitigation.Replacement(renewed, here.detected.get(z).previous()));
            assertThat(Mitigation.neverExpires(here.expiry(z))).as("the longer block stays, and is what is listed").isTrue();
            Thread.sleep(Math.max(0, (first - System.nanoTime()) / 1_000_000 + 100)); // the first block's time is up

            // the fleet's block removed fleet-wide (another's record: this agent's block stays)
            publish(topic, fleets.key(), null);
            AgentFleetTest.waitFor(() -> sync.counters().removed() == 1, 20);
            assertThat(sync.counters().removed()).isEqualTo(1);
            assertThat(here.expiry(z)).as("this agent's renewed block, listed").isEqualTo(renewed);
            // and a renewal that finds its own entry moves it
            assertThat(here.blocks.renew(z, 32, renewed + 1).outcome()).isEqualTo(Mitigation.Renewal.EXTENDED);
            assertThat(here.blocks.renew(InetAddress.ofLiteral("10.0.0.3"), 32, renewed).outcome()).isEqualTo(Mitigation.Renewal.GONE);
        }
    }
}
