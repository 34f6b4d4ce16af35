package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.dataplane.KernelDataPlane;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.dataplane.Stages;
import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.Measure;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.flow.FlowConfig;
import io.xdpml.processor.Mitigation;
import io.xdpml.testing.TestData;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fleet's records in a real program's maps (blocks and firewall measures of the composed
 * pipeline, loaded, not attached): a record never shortens what is there, and a tombstone removes
 * only what the fleet wrote, while it is still as written. Before, a tombstone removed the entry
 * of its key whoever had written it (the operator's block without expiry among them), and a fleet
 * flow block or measure overwrote a longer one.
 */
class FleetTargetTest {
    static final long HOUR = 3_600_000_000_000L;
    static final InetAddress VICTIM = InetAddress.ofLiteral("192.0.2.80");

    static FleetBlock prefix(String p) {
        long now = System.currentTimeMillis();
        return FleetBlock.prefix(p, "host-b", "portscan", List.of("test"), now, now + 60_000);
    }

    static FleetBlock.Key key(FleetBlock b) {
        return FleetBlock.parseKey(b.key());
    }

    @Test
    void aTombstoneRemovesOnlyWhatTheFleetWroteAndIsStillAsWritten() {
        TestData.assumeBpf();
        try (KernelDataPlane k = new KernelDataPlane(Stages.none().withBlocks(true).withFirewall(true), FlowConfig.defaults(),
                PacketResult.XDP_PASS)) {
            Mitigation blocks = k.mitigation();
            FirewallMeasures measures = new FirewallMeasures(k.object()::map);
            // what this agent's detections blocked: until when, and the shorter block they replaced (as the agent keeps them)
            Map<InetAddress, Mitigation.Replacement> detected = new HashMap<>();
            // and the records of those blocks it published (publish-blocks)
            Map<InetAddress, FleetBlock> published = new HashMap<>();
            FleetTarget target = new FleetTarget(() -> List.of(new FleetTarget.Maps(blocks, measures)),
                    () -> NeverBlock.of(AgentConfig.defaults(Path.of("test.yaml"), List.of(io.xdpml.agent.config.InterfaceSpec.of("eth-test"))), false),
                    (address, in) -> in == blocks ? detected.get(address) : null, published::get);
            long minute = System.nanoTime() + 60_000_000_000L;
            long now0 = System.currentTimeMillis();

            // the operator's block without expiry: the fleet's record of the same prefix leaves it, its tombstone too
            InetAddress operator = InetAddress.ofLiteral("198.51.100.7");
            blocks.block(operator, 32, null);
            FleetBlock overOperator = prefix("198.51.100.7");
            assertThat(target.apply(overOperator, minute)).as("a longer block is there").isFalse();
            target.remove(key(overOperator));
            assertThat(blocks.list()).as("the operator's block stays").anySatisfy(b -> {
                assertThat(b.address()).isEqualTo(operator);
                assertThat(b.expiresNanos()).isZero();
            });

            // the fleet's own block: its tombstone removes it
            FleetBlock own = prefix("198.51.100.8");
            assertThat(target.apply(own, minute)).isTrue();
            assertThat(blocks.list()).extracting(b -> b.address().getHostAddress()).contains("198.51.100.8");
            target.remove(key(own));
            assertThat(blocks.list()).extracting(b -> b.address().getHostAddress()).doesNotContain("198.51.100.8");

            // written by the fleet, then by the operator over it ('xdpml blocks add'): the tombstone leaves the operator's
            FleetBlock overwritten = prefix("198.51.100.9");
            assertThat(target.apply(overwritten, minute)).isTrue();
            blocks.block(InetAddress.ofLiteral("198.51.100.9"), 32, null);
            target.remove(key(overwritten));
            assertThat(blocks.list()).extracting(b -> b.address().getHostAddress()).contains("198.51.100.9");

            // this agent's own detection's block (its record, published, came back): the fleet-wide removal removes it too
            InetAddress scanner = InetAddress.ofLiteral("198.51.100.11");
            long detection = minute + HOUR;
            detected.put(scanner, blocks.blockAtLeastReplacing(scanner, 32, detection));
            FleetBlock itsRecord = prefix("198.51.100.11");
            published.put(scanner, itsRecord);
            assertThat(target.apply(itsRecord, minute)).as("the detection's block lasts longer").isFalse();
            target.remove(key(itsRecord));
            assertThat(blocks.list()).extracting(x -> x.address().getHostAddress()).doesNotContain("198.51.100.11");
            // unless the operator wrote over it here since
            assertThat(blocks.blockAtLeastUntil(scanner, 32, detection)).isTrue();
            blocks.block(scanner, 32, null);
            assertThat(target.apply(itsRecord, minute)).isFalse();
            target.remove(key(itsRecord));
            assertThat(blocks.list()).extracting(x -> x.address().getHostAddress()).contains("198.51.100.11");

            // a detection's block the fleet never had is this agent's alone: a tombstone of its key leaves it, whether the
            // detection published no record (publish-blocks off), or the tombstone came before its record (it answers an
            // older one: another host's block, removed fleet-wide). Until 2026-12-06 any tombstone of the key removed it.
            InetAddress alone = InetAddress.ofLiteral("198.51.100.15");
            FleetBlock anothers = prefix("198.51.100.15");
            assertThat(target.apply(anothers, minute)).isTrue();
            detected.put(alone, blocks.blockAtLeastReplacing(alone, 32, detection));
            target.remove(key(anothers));
            assertThat(blocks.list()).as("not published: stays").filteredOn(x -> x.address().equals(alone)).singleElement()
                    .extracting(Mitigation.Block::expiresNanos).isEqualTo(detection);
            published.put(alone, FleetBlock.prefix("198.51.100.15", "host-self", "portscan", List.of(), System.currentTimeMillis(),
                    System.currentTimeMillis() + 120_000));
            target.remove(key(anothers)); // the tombstone before the detection's record came back
            assertThat(blocks.list()).as("its record not read back: stays").filteredOn(x -> x.address().equals(alone)).singleElement()
                    .extracting(Mitigation.Block::expiresNanos).isEqualTo(detection);
            assertThat(target.apply(published.get(alone), minute)).isFalse(); // read back
            target.remove(key(anothers));
            assertThat(blocks.list()).as("the tombstone that answers its record").noneMatch(x -> x.address().equals(alone));
            // the operator's shorter block that the detection replaced comes back, its expiry as the operator wrote it
            InetAddress sweeper = InetAddress.ofLiteral("198.51.100.12");
            blocks.blockUntil(sweeper, 32, minute);
            detected.put(sweeper, blocks.blockAtLeastReplacing(sweeper, 32, detection));
            assertThat(detected.get(sweeper).previous()).isEqualTo(minute);
            FleetBlock sweepersRecord = prefix("198.51.100.12");
            published.put(sweeper, sweepersRecord);
            assertThat(target.apply(sweepersRecord, minute)).isFalse();
            target.remove(key(sweepersRecord));
            assertThat(blocks.list()).as("the operator's block of a minute is back").anySatisfy(x -> {
                assertThat(x.address()).isEqualTo(sweeper);
                assertThat(x.expiresNanos()).isEqualTo(minute);
            });
            // but a fleet block the detection replaced does not come back with the tombstone of its own key
            InetAddress flooder = InetAddress.ofLiteral("198.51.100.13");
            FleetBlock floodersRecord = prefix("198.51.100.13");
            assertThat(target.apply(floodersRecord, minute)).isTrue();
            detected.put(flooder, blocks.blockAtLeastReplacing(flooder, 32, detection));
            assertThat(detected.get(flooder).previous()).as("the fleet's block, replaced").isEqualTo(minute);
            published.put(flooder, FleetBlock.prefix("198.51.100.13", "host-self", "synflood", List.of(), now0, now0 + 3_600_000));
            assertThat(target.apply(published.get(flooder), minute)).as("its record read back").isFalse();
            target.remove(key(floodersRecord));
            assertThat(blocks.list()).as("unblocked fleet-wide: nothing of it stays").extracting(x -> x.address().getHostAddress())
                    .doesNotContain("198.51.100.13");
            // the operator's shorter block, then the fleet's over it, then a detection's over that: the operator's comes back
            InetAddress both = InetAddress.ofLiteral("198.51.100.14");
            long operators = minute - 1_000_000_000L;
            blocks.blockUntil(both, 32, operators);
            FleetBlock bothRecord = prefix("198.51.100.14");
            assertThat(target.apply(bothRecord, minute)).isTrue();
            detected.put(both, blocks.blockAtLeastReplacing(both, 32, detection));
            published.put(both, FleetBlock.prefix("198.51.100.14", "host-self", "synflood", List.of(), now0, now0 + 3_600_000));
            assertThat(target.apply(published.get(both), minute)).as("its record read back").isFalse();
            target.remove(key(bothRecord));
            assertThat(blocks.list()).as("the operator's block, beneath the fleet's").anySatisfy(x -> {
                assertThat(x.address()).isEqualTo(both);
                assertThat(x.expiresNanos()).isEqualTo(operators);
            });

            // flows: the operator's flow block without expiry is neither shortened nor removed
            InetAddress a = InetAddress.ofLiteral("10.9.0.1");
            InetAddress b = InetAddress.ofLiteral("10.9.0.2");
            blocks.blockFlow(new Mitigation.Flow(a, 5000, b, 53, 17, 0), null);
            long now = System.currentTimeMillis();
            FleetBlock flow = FleetBlock.flow(new FleetBlock.Flow(a, 5000, b, 53, 17, 0), "host-b", "manual", List.of(), now, now + 60_000);
            assertThat(target.apply(flow, minute)).isFalse();
            assertThat(blocks.listFlows()).singleElement().extracting(Mitigation.FlowBlock::expiresNanos).isEqualTo(0L);
            target.remove(key(flow));
            assertThat(blocks.listFlows()).as("the operator's flow block stays").hasSize(1);
            blocks.unblockFlow(new Mitigation.Flow(a, 5000, b, 53, 17, 0));
            assertThat(target.apply(flow, minute)).isTrue();
            target.remove(key(flow));
            assertThat(blocks.listFlows()).as("the fleet's own flow block removed").isEmpty();

            // measures: the operator's syn-limit stays, rate and all; the fleet's own port-drop goes with its tombstone
            Measure operatorLimit = Measure.synLimit(VICTIM, 443, 50, 50, 0);
            measures.put(operatorLimit);
            FleetBlock limit = FleetBlock.measure(Measure.synLimit(VICTIM, 443, 1000, 1000, 0), "host-b", "synflood", List.of(), now,
                    now + 60_000);
            assertThat(target.apply(limit, minute)).isFalse();
            target.remove(key(limit));
            assertThat(measures.get(operatorLimit)).get().extracting(Measure::pps, Measure::expiresNanos).containsExactly(50L, 0L);
            FleetBlock drop = FleetBlock.measure(Measure.portDrop(17, 123, VICTIM, 0), "host-b", "amplification", List.of(), now,
                    now + 60_000);
            assertThat(target.apply(drop, minute)).isTrue();
            assertThat(measures.get(Measure.portDrop(17, 123, VICTIM, 0))).isPresent();
            target.remove(key(drop));
            assertThat(measures.get(Measure.portDrop(17, 123, VICTIM, 0))).isEmpty();

            // the operator's block for an hour, a fleet record for two: written over, and given back by the tombstone
            InetAddress hour = InetAddress.ofLiteral("198.51.100.12");
            long operatorHour = System.nanoTime() + HOUR;
            blocks.blockUntil(hour, 32, operatorHour);
            FleetBlock longer = prefix("198.51.100.12");
            assertThat(target.apply(longer, System.nanoTime() + 2 * HOUR)).isTrue();
            target.remove(key(longer));
            assertThat(blocks.list()).as("the operator's hour back").anySatisfy(x -> {
                assertThat(x.address()).isEqualTo(hour);
                assertThat(x.expiresNanos()).isEqualTo(operatorHour);
            });
            // the same for a measure: the operator's rate and expiry back
            Measure operatorHourLimit = Measure.synLimit(VICTIM, 8443, 50, 50, System.nanoTime() + HOUR);
            measures.put(operatorHourLimit);
            FleetBlock longerLimit = FleetBlock.measure(Measure.synLimit(VICTIM, 8443, 1000, 1000, 0), "host-b", "synflood", List.of(), now,
                    now + 60_000);
            assertThat(target.apply(longerLimit, System.nanoTime() + 2 * HOUR)).isTrue();
            assertThat(measures.get(operatorHourLimit).orElseThrow().pps()).as("the stricter rate while the fleet's is there").isEqualTo(50);
            target.remove(key(longerLimit));
            assertThat(measures.get(operatorHourLimit)).get().extracting(Measure::pps, Measure::burst, Measure::expiresNanos)
                    .containsExactly(50L, 50L, operatorHourLimit.expiresNanos());

            // a record "until removed" over the operator's hour, then the operator's own "until removed" over it: the
            // tombstone leaves the operator's (the fleet's never-expiring entry is not 0, so the two are told apart)
            InetAddress forever = InetAddress.ofLiteral("198.51.100.13");
            blocks.blockUntil(forever, 32, System.nanoTime() + HOUR);
            FleetBlock permanent = FleetBlock.prefix("198.51.100.13", "host-b", "manual", List.of(), now, 0);
            assertThat(target.apply(permanent, 0)).isTrue();
            assertThat(blocks.list()).filteredOn(x -> x.address().equals(forever)).singleElement()
                    .satisfies(x -> assertThat(Mitigation.neverExpires(x.expiresNanos())).isTrue())
                    .satisfies(x -> assertThat(x.toString()).contains("(no expiry)"));
            blocks.block(forever, 32, null); // xdpml blocks add 198.51.100.13
            target.remove(key(permanent));
            assertThat(blocks.list()).filteredOn(x -> x.address().equals(forever)).singleElement()
                    .extracting(Mitigation.Block::expiresNanos).isEqualTo(0L);

            // a later record of the same key renews it; the tombstone takes both back, the later first
            FleetBlock first = prefix("198.51.100.10");
            assertThat(target.apply(first, minute)).isTrue();
            assertThat(target.apply(first, minute + HOUR)).isTrue();
            target.remove(key(first));
            assertThat(blocks.list()).extracting(x -> x.address().getHostAddress()).doesNotContain("198.51.100.10");
            assertThat(target.written()).as("nothing left to remove but what the operator's entries made unremovable").isEqualTo(0);
        }
    }
}
