package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The ring buffer under a flood of short flows: the spoofed SYN flood (37,841 packets, a new flow
 * almost every packet) replayed three times, each replay after the previous one's flows went idle,
 * so that every flow reports once per replay. The ring holds ~45 records and is drained only every
 * 2,000 packets, so most records find no room: Java must receive every record the kernel reserved,
 * and received + lost must be exactly what the reference tracker emitted.
 */
class FlowRecordFloodTest {
    static final long S = 1_000_000_000L;

    @Test
    void everyReservedRecordArrivesAndLostOnesAreCountedExactly() throws Exception {
        TestData.assumeBpf();
        Path flood = TestData.capture("attack/synflood-spoofed.pcap");
        FlowConfig config = new FlowConfig(1 << 17, S, 4789).withRingBytes(1 << 14);
        long[] received = {0};
        long[] expected = {0};
        try (KernelFlowEngine k = new KernelFlowEngine(config, (t, r, key, s) -> received[0]++).drainEveryPacket(false);
             JavaFlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), (t, r, key, s) -> expected[0]++)) {
            FlowEngine drainingKernel = new DrainEvery(k, 2000);
            long span = 0;
            for (int loop = 0; loop < 3; loop++) {
                long offset = loop * (span + 10 * S);
                FlowReplay.replay(flood, drainingKernel, offset);
                FlowReplay.replay(flood, j, offset);
                if (loop == 0) {
                    long[] first = {Long.MAX_VALUE};
                    long[] last = {0};
                    j.forEachFlow((key, s) -> {
                        first[0] = Math.min(first[0], FlowLayout.u64(s, FlowLayout.FIRST_NS));
                        last[0] = Math.max(last[0], FlowLayout.u64(s, FlowLayout.LAST_NS));
                    });
                    span = last[0] - first[0];
                }
            }
            k.drainRecords();
            long written = k.counter(FlowCounter.RECORDS);
            long lost = k.counter(FlowCounter.RECORDS_LOST);
            System.out.printf("flood: %d records emitted by the reference, kernel wrote %d (received %d), lost %d%n",
                    expected[0], written, received[0], lost);
            assertThat(expected[0]).as("the flood really emits records").isGreaterThan(10_000);
            assertThat(lost).as("the small ring really overflowed").isPositive();
            assertThat(received[0]).as("Java received every record the kernel wrote").isEqualTo(written).isPositive();
            assertThat(written + lost).as("written + lost = emitted").isEqualTo(expected[0]);
        }
    }

    @Test
    void aLongFlowIsReportedEveryActiveTimeout() {
        checkActive(new JavaFlowEngine(new FlowConfig(1024, 60 * S, 4789).withActiveTimeout(S), 3520, counter()));
        TestData.assumeBpf();
        checkActive(new KernelFlowEngine(new FlowConfig(1024, 60 * S, 4789).withActiveTimeout(S), counter()));
    }

    private final long[] active = {0};

    private FlowRecordListener counter() {
        active[0] = 0;
        return (t, r, k, s) -> {
            if (r == FlowReason.ACTIVE) {
                active[0]++;
            }
        };
    }

    private void checkActive(FlowEngine e) {
        try (e) {
            byte[] f = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(5000, 6000).payload(20).build();
            for (int i = 0; i < 100; i++) { // a packet every 100 ms for 9.9 s
                e.packet(MemorySegment.ofArray(f), f.length, 100 * S + i * (S / 10));
            }
            assertThat(active[0]).as("active records of a 9.9 s flow, 1 s active timeout").isEqualTo(9);
        }
    }

    /** Drains the kernel's ring every n packets only. */
    private record DrainEvery(KernelFlowEngine k, int n, long[] count) implements FlowEngine {
        DrainEvery(KernelFlowEngine k, int n) {
            this(k, n, new long[1]);
        }

        @Override
        public void packet(MemorySegment frame, int length, long timestampNanos) {
            k.packet(frame, length, timestampNanos);
            if (++count[0] % n == 0) {
                k.drainRecords();
            }
        }

        @Override
        public void forEachFlow(java.util.function.BiConsumer<MemorySegment, MemorySegment> action) {
            k.forEachFlow(action);
        }

        @Override
        public long counter(FlowCounter c) {
            return k.counter(c);
        }

        @Override
        public int sweep(long nowNanos, long lingerNanos) {
            return k.sweep(nowNanos, lingerNanos);
        }

        @Override
        public long evictions() {
            return k.evictions();
        }

        @Override
        public io.xdpml.packet.ParseCounters parseCounters() {
            return k.parseCounters();
        }

        @Override
        public int maxFrameLength() {
            return k.maxFrameLength();
        }

        @Override
        public String name() {
            return "kernel, drained every " + n;
        }

        @Override
        public void close() {}
    }
}
