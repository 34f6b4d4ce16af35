package io.xdpml.bench;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
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
 * The Java reference parser: ns per packet on one 64-byte and one 1500-byte Ethernet/IPv4/UDP
 * frame (the frames of {@code xdpml bench testrun}), and over every packet of lan-trace-2012
 * held in native memory (parse and count, as the Java engine does).
 *
 * <pre>mvn -Pjmh test-compile exec:exec -Djmh.args="ParserBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ParserBenchmark {
    /** Packets of lan-trace-2012.pcap (the @OperationsPerInvocation of {@link #lanTrace}). */
    static final int LAN_TRACE_PACKETS = 62_781;

    private final PacketParser parser = new PacketParser();
    private final ParseSummary summary = new ParseSummary();
    private final ParseCounters counters = new ParseCounters();
    private Arena arena;
    private MemorySegment small;
    private MemorySegment large;
    private MemorySegment trace;
    private long[] offsets;
    private int[] lengths;

    @Setup
    public void setup() throws Exception {
        arena = Arena.ofShared();
        small = copy(frame(64));
        large = copy(frame(1500));
        Path lan = Path.of(System.getProperty("xdpml.data", "testdata"), "pcap/benign/lan-trace-2012.pcap");
        EthernetFramer framer = new EthernetFramer();
        offsets = new long[LAN_TRACE_PACKETS];
        lengths = new int[LAN_TRACE_PACKETS];
        long total = 0;
        try (CaptureReader r = CaptureReader.open(lan)) {
            int i = 0;
            while (r.next()) {
                lengths[i++] = framer.frame(r);
                total += r.capturedLength();
            }
            if (i != LAN_TRACE_PACKETS) {
                throw new IllegalStateException("lan-trace-2012 has " + i + " packets");
            }
        }
        trace = arena.allocate(total);
        long at = 0;
        try (CaptureReader r = CaptureReader.open(lan)) {
            int i = 0;
            while (r.next()) {
                framer.frame(r);
                MemorySegment.copy(framer.frameSegment(), 0, trace, at, lengths[i]);
                offsets[i++] = at;
                at += lengths[i - 1];
            }
        }
    }

    private static byte[] frame(int size) {
        return new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(size - 42).build();
    }

    private MemorySegment copy(byte[] b) {
        MemorySegment s = arena.allocate(b.length);
        s.copyFrom(MemorySegment.ofArray(b));
        return s;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int udp64() {
        parser.parse(small, small.byteSize(), summary);
        return summary.flags();
    }

    @Benchmark
    public int udp1500() {
        parser.parse(large, large.byteSize(), summary);
        return summary.flags();
    }

    /** Parse and count every packet of the trace; reported per packet. */
    @Benchmark
    @OperationsPerInvocation(LAN_TRACE_PACKETS)
    public ParseCounters lanTrace() {
        for (int i = 0; i < LAN_TRACE_PACKETS; i++) {
            parser.parse(trace, offsets[i], lengths[i], summary);
            counters.count(summary);
        }
        return counters;
    }
}
