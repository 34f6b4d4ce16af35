package io.xdpml.bench;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Java reference flow tracker (parse + key + flow update) over every packet of
 * lan-trace-2012 with its own timestamps, held in native memory; ns per packet. Each invocation
 * replays the trace into a fresh tracker, so flow creation is included (6,024 flows).
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="FlowTrackerBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FlowTrackerBenchmark {
    static final int PACKETS = ParserBenchmark.LAN_TRACE_PACKETS;

    private Arena arena;
    private MemorySegment trace;
    private long[] offsets;
    private int[] lengths;
    private long[] times;

    @Setup
    public void setup() throws Exception {
        arena = Arena.ofShared();
        Path lan = Path.of(System.getProperty("xdpml.data", "testdata"), "pcap/benign/lan-trace-2012.pcap");
        offsets = new long[PACKETS];
        lengths = new int[PACKETS];
        times = new long[PACKETS];
        trace = arena.allocate(Files.size(lan));
        EthernetFramer framer = new EthernetFramer();
        long at = 0;
        try (CaptureReader r = CaptureReader.open(lan)) {
            for (int i = 0; r.next(); i++) {
                lengths[i] = framer.frame(r);
                times[i] = r.timestampNanos();
                MemorySegment.copy(framer.frameSegment(), 0, trace, at, lengths[i]);
                offsets[i] = at;
                at += lengths[i];
            }
        }
    }

    private static final class Files {
        static long size(Path p) throws java.io.IOException {
            return java.nio.file.Files.size(p);
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    private final io.xdpml.packet.PacketParser parser = new io.xdpml.packet.PacketParser();
    private final io.xdpml.packet.ParseSummary summary = new io.xdpml.packet.ParseSummary();
    private final io.xdpml.flow.FlowPacket packet = new io.xdpml.flow.FlowPacket();

    /** The part before the table: parse and flow key of every packet. */
    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public long parseAndKey() {
        long n = 0;
        for (int i = 0; i < PACKETS; i++) {
            parser.parse(trace, offsets[i], lengths[i], summary);
            if (packet.of(trace, offsets[i], lengths[i], summary)) {
                n++;
            }
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public long replayLanTrace() {
        try (JavaFlowEngine e = new JavaFlowEngine(FlowConfig.defaults(), 1 << 16)) {
            for (int i = 0; i < PACKETS; i++) {
                e.packet(trace.asSlice(offsets[i], lengths[i]), lengths[i], times[i]);
            }
            return e.counter(io.xdpml.flow.FlowCounter.NEW);
        }
    }
}
