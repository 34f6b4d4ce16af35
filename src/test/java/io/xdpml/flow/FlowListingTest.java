package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code xdpml flows} lists every flow of a capture once ({@link FlowListing}, {@link FlowLog}):
 * for every shared capture, the kernel's listing (BPF_PROG_TEST_RUN, records through the ring
 * buffer) and the Java reference's are identical flow for flow (key, state bytes, end reason, report
 * time), and the packets of the listed flows add up exactly to the tracked packets. Three settings,
 * so that closes, tails, idle restarts, active reports and sweeps really happen (asserted): the
 * default (idle 120 s), a short idle timeout with an active timeout, and the same with the table
 * swept every 5 s of capture time (2 s linger), as the running agent does.
 */
class FlowListingTest {
    static final long S = 1_000_000_000L;

    enum Setting {
        DEFAULT(new FlowConfig(1 << 18, 120 * S, 4789), 0, 0),
        SHORT_IDLE_ACTIVE(new FlowConfig(1 << 18, 5 * S, 4789).withActiveTimeout(3 * S), 0, 0),
        SWEPT(new FlowConfig(1 << 18, 5 * S, 4789).withActiveTimeout(3 * S), 5 * S, 2 * S);

        final FlowConfig config;
        final long sweepEvery;
        final long linger;

        Setting(FlowConfig config, long sweepEvery, long linger) {
            this.config = config;
            this.sweepEvery = sweepEvery;
            this.linger = linger;
        }

        Function<FlowRecordListener, FlowEngine> engine(boolean kernel) {
            return l -> {
                FlowEngine e = kernel ? new KernelFlowEngine(config, l) : new JavaFlowEngine(config, TestRun.maxTestRunFrame(), l);
                return sweepEvery == 0 ? e : new Sweeping(e, sweepEvery, linger);
            };
        }
    }

    /** Sweeps the table every {@code every} ns of packet time, before the packet that crosses it. */
    static final class Sweeping extends ForwardingFlowEngine {
        private final long every;
        private final long linger;
        private long next;

        Sweeping(FlowEngine delegate, long every, long linger) {
            super(delegate);
            this.every = every;
            this.linger = linger;
        }

        @Override
        public void packet(MemorySegment frame, int length, long timestampNanos) {
            if (next == 0) {
                next = timestampNanos + every;
            } else if (Long.compareUnsigned(timestampNanos, next) >= 0) {
                delegate.sweep(timestampNanos, linger);
                next = timestampNanos + every;
            }
            delegate.packet(frame, length, timestampNanos);
        }
    }

    static FlowRecordListener counting(long[] perReason) {
        return (t, r, k, s) -> perReason[r.ordinal()]++;
    }

    @ParameterizedTest
    @EnumSource(Setting.class)
    void kernelAndJavaListEveryFlowOnceWithEveryTrackedPacket(Setting setting) throws Exception {
        TestData.assumeBpf();
        Map<FlowReason, Long> listed = new EnumMap<>(FlowReason.class);
        long[] records = new long[FlowReason.values().length];
        long flows = 0;
        long tailPackets = 0;
        long restarts = 0;
        long active = 0;
        System.out.printf("%s (idle %d s, active %d s, sweep every %d s):%n", setting, setting.config.idleTimeoutNanos() / S,
                setting.config.activeTimeoutNanos() / S, setting.sweepEvery / S);
        for (Path capture : TestData.captures()) {
            long[] kernelRecords = new long[FlowReason.values().length];
            long[] javaRecords = new long[FlowReason.values().length];
            FlowListing k = FlowListing.of(capture, setting.engine(true), counting(kernelRecords));
            FlowListing j = FlowListing.of(capture, setting.engine(false), counting(javaRecords));
            String name = capture.getParent().getFileName() + "/" + capture.getFileName();
            assertThat(k.replay().replayed()).as(name).isEqualTo(j.replay().replayed());
            assertThat(k.evictions()).as(name + " evictions").isZero();
            assertThat(k.recordsLost()).as(name + " records lost").isZero();
            assertThat(kernelRecords).as(name + " records per reason, kernel vs Java").isEqualTo(javaRecords);
            for (FlowListing l : List.of(k, j)) {
                assertThat(l.packets()).as(name + ": packets over the listed flows = tracked packets").isEqualTo(l.trackedPackets());
                assertThat(l.trackedPackets() + l.notIp()).as(name).isEqualTo(l.replay().replayed());
                assertThat(l.flows()).as(name + ": only ended flows").allMatch(EndedFlow::ended);
            }
            assertThat(k.flows()).as(name + ": kernel listing = Java listing").hasSameSizeAs(j.flows());
            for (int i = 0; i < j.flows().size(); i++) {
                assertThat(k.flows().get(i)).as("%s flow %d of %d", name, i, j.flows().size()).isEqualTo(j.flows().get(i));
            }
            assertThat(k.byReason()).isEqualTo(j.byReason());
            assertThat(k.tailPackets()).isEqualTo(j.tailPackets());
            System.out.printf("  %-45s %7d packets %6d flows %s, %d closed flows absorbed %d packets after the close,"
                    + " %d restarts, %d active reports; records %s%n", name, k.trackedPackets(), k.flows().size(),
                    k.byReason(), k.tailFlows(), k.tailPackets(), k.restarts(), k.activeReports(), nonZero(kernelRecords));
            k.byReason().forEach((r, n) -> listed.merge(r, n, Long::sum));
            for (int i = 0; i < records.length; i++) {
                records[i] += kernelRecords[i];
            }
            flows += k.flows().size();
            tailPackets += k.tailPackets();
            restarts += k.restarts();
            active += k.activeReports();
        }
        System.out.printf("  all: %d flows %s, %d tail packets, %d restarts, %d active reports; records %s%n", flows, listed,
                tailPackets, restarts, active, nonZero(records));
        assertThat(listed.get(FlowReason.TCP_CLOSE)).as("flows ended by tcp_close").isPositive();
        assertThat(listed.get(FlowReason.END)).as("flows still going at the end").isPositive();
        assertThat(tailPackets).as("packets absorbed after a close, now in their flows").isPositive();
        assertThat(records[FlowReason.TAIL.ordinal()]).as("tail records").isPositive();
        if (setting.sweepEvery == 0) {
            assertThat(restarts).as("restarts = idle records + tail records (closed flows restarted in place)")
                    .isEqualTo(records[FlowReason.IDLE.ordinal()] + records[FlowReason.TAIL.ordinal()]);
            assertThat(listed.get(FlowReason.IDLE)).as("flows ended by an idle restart").isPositive();
            assertThat(restarts).as("closed flows restarted in place (a reused 5-tuple)")
                    .isGreaterThan(records[FlowReason.IDLE.ordinal()]);
        }
        if (setting.config.activeTimeoutNanos() != 0) {
            assertThat(active).as("active reports (not listed)").isPositive();
        }
        if (setting.sweepEvery != 0) {
            assertThat(listed.get(FlowReason.SWEPT_IDLE)).as("flows the sweeper removed").isPositive();
            assertThat(records[FlowReason.TAIL.ordinal()]).as("tail records from sweeps and restarts")
                    .isGreaterThan(restarts - records[FlowReason.IDLE.ordinal()]);
        } else {
            assertThat(listed).doesNotContainKey(FlowReason.SWEPT_IDLE);
        }
    }

    private static Map<FlowReason, Long> nonZero(long[] perReason) {
        Map<FlowReason, Long> m = new EnumMap<>(FlowReason.class);
        for (FlowReason r : FlowReason.values()) {
            if (perReason[r.ordinal()] != 0) {
                m.put(r, perReason[r.ordinal()]);
            }
        }
        return m;
    }

    /**
     * One TCP conversation, closed, with a trailing ACK; then the same 5-tuple again after the idle
     * timeout (restart of a closed flow); then swept after the linger. Two flows, each once, each
     * with every packet, for both engines.
     */
    @Test
    void aClosedFlowKeepsItsTailWhetherRestartedOrSwept() {
        assertTail(false);
        TestData.assumeBpf();
        assertTail(true);
    }

    private static void assertTail(boolean kernel) {
        FlowConfig config = new FlowConfig(1024, 10 * S, 4789);
        List<EndedFlow> out = new ArrayList<>();
        List<FlowReason> records = new ArrayList<>();
        FlowLog log = new FlowLog(out::add);
        FlowRecordListener both = (t, r, k, s) -> {
            records.add(r);
            log.onRecord(t, r, k, s);
        };
        int syn = 2;
        int ack = 16;
        int fin = 1;
        int[][] conversation = { // flags, from the client?
            {syn, 1}, {syn | ack, 0}, {ack, 1}, {fin | ack, 1}, {fin | ack, 0}, {ack, 1}};
        try (FlowEngine e = kernel ? new KernelFlowEngine(config, both) : new JavaFlowEngine(config, 3520, both)) {
            long t = 100 * S;
            for (int round = 0; round < 2; round++) {
                for (int[] p : conversation) {
                    byte[] f = p[1] == 1
                            ? new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").tcp(40000, 80, p[0]).build()
                            : new FrameBuilder().ethernet().ipv4("198.51.100.2", "198.51.100.1").tcp(80, 40000, p[0]).build();
                    e.packet(MemorySegment.ofArray(f), f.length, t);
                    t += S / 100;
                }
                byte[] retransmittedFin = new FrameBuilder().ethernet().ipv4("198.51.100.2", "198.51.100.1").tcp(80, 40000, fin | ack).build();
                e.packet(MemorySegment.ofArray(retransmittedFin), retransmittedFin.length, t);
                t += 20 * S; // past the idle timeout: the second round restarts the closed flow in place
            }
            assertThat(log.held()).as("the second close waits for its flow to leave the table").isEqualTo(1);
            e.sweep(t, 2 * S); // the second conversation is removed after the linger
            log.finish(e::forEachFlow, t);
            String which = e.name();
            assertThat(records).as(which + " records").containsExactly(FlowReason.TCP_CLOSE, FlowReason.TAIL,
                    FlowReason.TCP_CLOSE, FlowReason.TAIL);
            assertThat(out).as(which + " flows").hasSize(2).allMatch(f -> f.reason() == FlowReason.TCP_CLOSE);
            assertThat(out).as(which + ": every packet, the last ACK and the retransmitted FIN included")
                    .allMatch(f -> f.packets() == 7);
            assertThat(out.get(0).firstNanos()).isLessThan(out.get(1).firstNanos());
            assertThat(log.tailFlows()).isEqualTo(2);
            assertThat(log.tailPackets()).isEqualTo(4);
            assertThat(log.held()).isZero();
            assertThat(e.counter(FlowCounter.PACKETS)).isEqualTo(14);
        }
    }
}
