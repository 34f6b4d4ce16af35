package io.xdpml.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.firewall.Measure;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The blocks topic's record format: keys, values, tombstone keys, and what is rejected. */
class FleetBlockTest {

    @Test
    void prefixBlockRoundTrips() {
        FleetBlock b = FleetBlock.prefix("192.0.2.7", "host-a", "portscan", List.of("40 ports in 2 s"), 1000, 2000);
        assertThat(b.target()).isEqualTo("192.0.2.7/32");
        assertThat(b.key()).isEqualTo("prefix:192.0.2.7/32");
        assertThat(b.toJson()).isEqualTo("{\"type\":\"xdpml.block\",\"version\":1,\"kind\":\"prefix\",\"target\":\"192.0.2.7/32\","
                + "\"host\":\"host-a\",\"detector\":\"portscan\",\"reasons\":[\"40 ports in 2 s\"],\"created_ms\":1000,\"until_ms\":2000}");
        assertThat(FleetBlock.parse(b.key(), b.toJson())).isEqualTo(b);
        assertThat(FleetBlock.parse(null, b.toJson())).isEqualTo(b);
        assertThat(b.expiredAt(1999)).isFalse();
        assertThat(b.expiredAt(2000)).isTrue();
        assertThat(b.remainingMs(1500)).isEqualTo(500);
        FleetBlock v6 = FleetBlock.prefix("2001:db8:0::/48", "h", "manual", List.of(), 1, 0);
        assertThat(v6.key()).isEqualTo("prefix:2001:db8::/48");
        assertThat(v6.expiredAt(Long.MAX_VALUE)).isFalse();
        assertThat(v6.remainingMs(5)).isEqualTo(-1);
        assertThat(FleetBlock.parseKey("prefix:2001:db8::/48")).isEqualTo(new FleetBlock.Key(FleetBlock.Kind.PREFIX, "2001:db8::/48"));
    }

    @Test
    void flowBlockIsCanonical() throws Exception {
        InetAddress a = InetAddress.ofLiteral("198.51.100.1");
        InetAddress b = InetAddress.ofLiteral("192.0.2.1");
        FleetBlock f = FleetBlock.flow(new FleetBlock.Flow(a, 80, b, 40000, 6, 0), "h", "model", List.of(), 1, 2);
        assertThat(f.key()).isEqualTo("flow:tcp 192.0.2.1:40000 <-> 198.51.100.1:80");
        FleetBlock.Flow fl = f.flow();
        assertThat(fl.addressA()).isEqualTo(b);
        assertThat(fl.portB()).isEqualTo(80);
        assertThat(FleetBlock.parse(f.key(), f.toJson())).isEqualTo(f);
        FleetBlock v6 = FleetBlock.flow(new FleetBlock.Flow(InetAddress.ofLiteral("2001:db8::2"), 53, InetAddress.ofLiteral("2001:db8::1"), 5353, 17, 7), "h", "x", List.of(), 1, 2);
        assertThat(v6.key()).isEqualTo("flow:udp [2001:db8::1]:5353 <-> [2001:db8::2]:53 vlan 7");
        assertThat(FleetBlock.parseKey(v6.key()).flow()).isEqualTo(v6.flow());
        // a flow inside a VXLAN tunnel: its VNI is part of what is blocked, and of the key
        FleetBlock tunnelled = FleetBlock.flow(new FleetBlock.Flow(a, 80, b, 40000, 6, 5, 4242), "h", "model", List.of(), 1, 2);
        assertThat(tunnelled.key()).isEqualTo("flow:tcp 192.0.2.1:40000 <-> 198.51.100.1:80 vlan 5 vni 4242");
        assertThat(FleetBlock.parse(tunnelled.key(), tunnelled.toJson())).isEqualTo(tunnelled);
        assertThat(FleetBlock.Flow.parse("tcp 192.0.2.1:40000 <-> 198.51.100.1:80 vni 4242").vni()).isEqualTo(4242);
        assertThatThrownBy(() -> FleetBlock.Flow.parse("tcp 192.0.2.1:40000 <-> 198.51.100.1:80 vni 16777216"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FleetBlock.Flow.parse("tcp 192.0.2.1:40000 <-> 198.51.100.1:80 vni 1 vlan 5"))
                .as("vlan before vni").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void measureBlockKeyLeavesTheRateOut() {
        FleetBlock m = FleetBlock.measure(Measure.synLimit(InetAddress.ofLiteral("192.0.2.7"), 80, 1000, 200, 0), "h", "synflood",
                List.of(), 1, 2);
        assertThat(m.target()).isEqualTo("syn-limit tcp->192.0.2.7:80 1000/s burst 200");
        assertThat(m.key()).isEqualTo("measure:syn-limit tcp->192.0.2.7:80");
        assertThat(m.measure().pps()).isEqualTo(1000);
        assertThat(FleetBlock.parse(m.key(), m.toJson())).isEqualTo(m);
        assertThat(FleetBlock.parseKey(m.key()).measure().sameEntry(m.measure())).isTrue();
        FleetBlock d = FleetBlock.measure(Measure.portDrop(17, 53, InetAddress.ofLiteral("192.0.2.7"), 0), "h", "amplification",
                List.of(), 1, 2);
        assertThat(d.key()).isEqualTo("measure:port-drop udp/53->192.0.2.7");
    }

    @Test
    void numbersPastLongOrIntAreRejectedNotTruncated() {
        String good = FleetBlock.prefix("192.0.2.7", "h", "d", List.of(), 1, 2).toJson();
        // before 2026-12-05 these were read as their low bits: until_ms 2^64 as 0 (never ends), version 2^32+1 as 1
        assertThatThrownBy(() -> FleetBlock.parse(null, good.replace("\"until_ms\":2", "\"until_ms\":18446744073709551616")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'until_ms' 18446744073709551616 is not an integer");
        assertThatThrownBy(() -> FleetBlock.parse(null, good.replace("\"created_ms\":1", "\"created_ms\":9223372036854775808")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'created_ms'");
        assertThatThrownBy(() -> FleetBlock.parse(null, good.replace("\"version\":1", "\"version\":4294967297")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 4294967297 is not 1");
        assertThat(FleetBlock.parse(null, good.replace("\"until_ms\":2", "\"until_ms\":9223372036854775807")).untilMs())
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aBlockEndingPastWhatTheClockCountsIsAppliedUntilRemoved() {
        List<Long> expiries = new java.util.ArrayList<>();
        List<String> log = new java.util.ArrayList<>();
        FleetBlockSync.Target target = new FleetBlockSync.Target() {
            @Override
            public boolean apply(FleetBlock b, long expiresNanos) {
                expiries.add(expiresNanos);
                return true;
            }

            @Override
            public void remove(FleetBlock.Key key) {}
        };
        FleetBlockSync sync = new FleetBlockSync("127.0.0.1:9", java.util.Map.of(), "test", "t.blocks", false, target, log::add); // never started
        long now = System.currentTimeMillis();
        // before 2026-12-05 9999-12-31 (and Long.MAX_VALUE) wrapped into a negative expiry: the kernel (unsigned) never
        // expired it, while the agent took it for ended and forgot it, so that its tombstone removed nothing
        long offset = 0;
        for (long until : new long[] {253402300799000L, Long.MAX_VALUE, now + 60_000}) {
            FleetBlock b = FleetBlock.prefix("192.0.2.7", "h", "manual", List.of(), now, until);
            sync.handle(b.key(), b.toJson(), 0, offset++);
        }
        assertThat(expiries).hasSize(3);
        assertThat(expiries.subList(0, 2)).containsOnly(0L);
        assertThat(log.subList(0, 2)).allSatisfy(l -> assertThat(l).contains("until removed"));
        assertThat(expiries.get(2)).isBetween(System.nanoTime() + 50_000_000_000L, System.nanoTime() + 60_000_000_000L);
        assertThat(FleetBlockSync.expiresNanos(-1, 5)).isZero();
        assertThat(FleetBlockSync.expiresNanos(1000, 5)).isEqualTo(1_000_000_005L);
        assertThat(FleetBlockSync.expiresNanos(Long.MAX_VALUE / 1_000_000L, 0)).isZero(); // 292 years: past 2^62 ns
        assertThat(sync.counters().applied()).isEqualTo(3);
    }

    /**
     * What a replay skips: a record at or before its key's last record acted on (offsets compared
     * within one log), or one holding what that one held; a log that started again is compared by
     * what its records hold alone. (FleetKafkaTest.aReplayAfterAConsumerFailureActsOnlyOnWhatChanged
     * drives a real consumer through it.)
     */
    @Test
    void aRecordChangesNothingWhenOlderThanOrTheSameAsTheLastActedOn() {
        long now = System.currentTimeMillis();
        FleetBlock first = FleetBlock.prefix("192.0.2.7", "host-a", "portscan", List.of(), now, now + 60_000);
        FleetBlock second = FleetBlock.prefix("192.0.2.7", "host-b", "portscan", List.of(), now + 1, now + 60_000);
        String key = first.key();
        LastRecords last = new LastRecords();
        assertThat(last.changesNothing(key, first, 0, 3)).as("nothing acted on yet").isFalse();
        last.actedOn(key, first, 0, 3);
        last.actedOn(key, null, 0, 5); // its tombstone
        last.actedOn(key, second, 0, 8);
        assertThat(last.changesNothing(key, first, 0, 3)).as("replayed, older than the block in force").isTrue();
        assertThat(last.changesNothing(key, null, 0, 5)).as("an old tombstone replayed").isTrue();
        assertThat(last.changesNothing(key, second, 0, 8)).as("the record in force replayed").isTrue();
        assertThat(last.changesNothing(key, second, 0, 9)).as("the same block published again").isTrue();
        assertThat(last.changesNothing(key, null, 0, 9)).as("a new tombstone").isFalse();
        assertThat(last.changesNothing(key, first, 1, 2)).as("another partition: what it holds differs").isFalse();
        assertThat(last.highestOffset(0)).isEqualTo(8);
        last.forgetPlaces(0); // the topic created anew: its offsets start again
        assertThat(last.highestOffset(0)).isEqualTo(-1);
        assertThat(last.changesNothing(key, null, 0, 0)).as("a tombstone in the new log").isFalse();
        assertThat(last.changesNothing(key, second, 0, 1)).as("the block held, in the new log").isTrue();
    }

    @Test
    void badRecordsAreRejected() {
        String good = FleetBlock.prefix("192.0.2.7", "h", "d", List.of(), 1, 2).toJson();
        for (String bad : new String[] {"", "not json", "[1,2]", "42", "{}", good.replace("xdpml.block", "other"),
                good.replace("\"version\":1", "\"version\":2"), good.replace("192.0.2.7/32", "192.0.2.7/33"),
                good.replace("192.0.2.7/32", "192.0.2.7/24"), good.replace("192.0.2.7/32", "example.com"),
                good.replace("\"prefix\"", "\"country\""), good.replace("\"until_ms\":2", "\"until_ms\":-5"),
                good.replace("\"until_ms\":2", "\"until_ms\":\"soon\""), good.replace(",\"until_ms\":2", ""),
                good.replace("\"reasons\":[]", "\"reasons\":\"x\"")}) {
            assertThatThrownBy(() -> FleetBlock.parse("prefix:192.0.2.7/32", bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> FleetBlock.parse("prefix:192.0.2.8/32", good)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> FleetBlock.parse("prefix:192.0.2.7/32", null)).isInstanceOf(IllegalArgumentException.class);
        for (String key : new String[] {"192.0.2.7", "prefix:192.0.2.7", "prefix:192.0.2.1/24", "prefix:x", "flow:tcp a:1 <-> b:2",
                "measure:syn-limit tcp->192.0.2.7:80 10/s", "other:1", null}) {
            assertThatThrownBy(() -> FleetBlock.parseKey(key)).as(String.valueOf(key)).isInstanceOf(IllegalArgumentException.class);
        }
        // IPv6 prefixes over the blocks' IPv4 space: ::fffe:0:0/95 would block every IPv4 source past the /8 floor
        for (String wide : new String[] {"0:0:0:0:0:fffe:0:0/95", "::/80", "0:0:0:0:0:ffff:0:0/96"}) {
            assertThatThrownBy(() -> FleetBlock.prefix(wide, "h", "d", List.of(), 1, 2)).as(wide)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("::ffff:0:0/96");
        }
        assertThat(FleetBlock.prefix("2001:db8::/32", "h", "d", List.of(), 1, 2).key()).contains("2001:db8::/32");
        assertThatThrownBy(() -> FleetBlock.flow(new FleetBlock.Flow(InetAddress.ofLiteral("192.0.2.1"), 1, InetAddress.ofLiteral("2001:db8::1"), 2, 6, 0), "h", "d", List.of(), 1, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
