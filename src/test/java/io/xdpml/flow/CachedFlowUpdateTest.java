package io.xdpml.flow;

import static io.xdpml.flow.FlowLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A flow whose class is cached is updated without its timing statistics (FlowUpdater.updateCached,
 * xdpml_flow_update_cached): worked by hand on one flow. Six packets from the initiator at 0, 10,
 * 30 us (classified at the third), 60 and 100 us (class cached), and 150 us (the class gone stale
 * after a new deployment: timed again), with one answer at 80 us while cached.
 */
class CachedFlowUpdateTest {
    private static final long US = 1000;

    private static FlowPacket packet(boolean fromInitiator, long length, int window) {
        FlowPacket p = new FlowPacket();
        p.length = length;
        p.normLength = length;
        p.headerBytes = 40;
        p.tcpFlags = 0x10; // ACK
        p.tcpWindow = window;
        p.fromA = fromInitiator;
        return p;
    }

    @Test
    void countsStayExactAndTimingStopsWhileTheClassIsCached() {
        MemorySegment f = MemorySegment.ofArray(new byte[FLOW_SIZE]);
        FlowPacket out = packet(true, 100, 1000);
        FlowUpdater.update(f, out, 0);
        FlowUpdater.update(f, out, 10 * US);
        FlowUpdater.update(f, out, 30 * US);
        FlowUpdater.updateCached(f, out, 60 * US);
        FlowUpdater.updateCached(f, packet(false, 60, 512), 80 * US);
        FlowUpdater.updateCached(f, out, 100 * US);
        FlowUpdater.update(f, out, 150 * US);

        // what every packet counts
        assertThat(u64(f, dirOffset(FWD) + D_PACKETS)).isEqualTo(6);
        assertThat(u64(f, dirOffset(BWD) + D_PACKETS)).isEqualTo(1);
        assertThat(FlowFeature.DURATION_US.of(f)).isEqualTo(150);
        assertThat(FlowFeature.FWD_PKT_LEN_MEAN.of(f)).isEqualTo(100);
        assertThat(FlowFeature.BWD_PKT_LEN_MIN.of(f)).as("the answer, the first of its direction, while cached").isEqualTo(60);
        assertThat(FlowFeature.BWD_INIT_WIN.of(f)).isEqualTo(512);
        assertThat(FlowFeature.ACK_COUNT.of(f)).isEqualTo(7);
        assertThat(FlowFeature.FWD_HEADER_BYTES.of(f)).isEqualTo(240);
        // untimed: the cached packets, a direction's first excepted (it has no interval anyway)
        assertThat(u64(f, UNTIMED)).isEqualTo(3);
        assertThat(u32(f, dirOffset(FWD) + D_UNTIMED)).isEqualTo(2);
        assertThat(u32(f, dirOffset(BWD) + D_UNTIMED)).isZero();
        // the flow's intervals: 10, 20 before the cache, 50 (100 -> 150 us) after it; not 30, 20, 20
        assertThat(FlowFeature.FLOW_IAT_MIN.of(f)).isEqualTo(10);
        assertThat(FlowFeature.FLOW_IAT_MAX.of(f)).isEqualTo(50);
        assertThat(FlowFeature.FLOW_IAT_MEAN.of(f)).as("80 us over 3 intervals").isEqualTo(26);
        assertThat(FlowFeature.FLOW_IAT_VAR.of(f)).as("(100 + 400 + 2500) / 3 - 26^2").isEqualTo(324);
        assertThat(FlowFeature.FWD_IAT_MEAN.of(f)).isEqualTo(26);
        assertThat(FlowFeature.BWD_IAT_MEAN.of(f)).isZero();
        // running statistics over the four timed packets: intervals 0, 10, 20, 50 us; all from the initiator
        assertThat(FlowFeature.HS_IAT_MEAN.of(f)).as("0, 5, 10, then 10 + 40/4").isEqualTo(20L << 16);
        assertThat(FlowFeature.HS_DIR_MEAN.of(f)).isEqualTo(1L << 16);
    }

    @Test
    void withoutTheCacheEveryIntervalCounts() {
        MemorySegment f = MemorySegment.ofArray(new byte[FLOW_SIZE]);
        FlowPacket out = packet(true, 100, 1000);
        for (long t : new long[] {0, 10, 30, 60, 100, 150}) {
            FlowUpdater.update(f, out, t * US);
        }
        assertThat(u64(f, UNTIMED)).isZero();
        assertThat(FlowFeature.FLOW_IAT_MEAN.of(f)).as("150 us over 5 intervals").isEqualTo(30);
        assertThat(FlowFeature.FLOW_IAT_MIN.of(f)).isEqualTo(10);
        assertThat(FlowFeature.HS_IAT_MEAN.of(f)).as("0, 5, 10, 15, 20, 25").isEqualTo(25L << 16);
    }
}
