package io.xdpml.bench;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.PayloadEntropy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Java payload entropy ({@link PayloadEntropy}, what detectors and the processor's callbacks
 * get) on a 1500-byte Ethernet/IPv4/UDP frame: the parse alone beside parse + entropy of the first
 * 64 bytes, for a payload of random bytes and of zeros (the kernel's slowest).
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="PayloadEntropyBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PayloadEntropyBenchmark {
    @Param({"random", "zeros"})
    public String payload;

    private final PacketParser parser = new PacketParser();
    private final ParseSummary summary = new ParseSummary();
    private final PayloadEntropy entropy = new PayloadEntropy();
    private Arena arena;
    private MemorySegment frame;
    private int length;

    @Setup
    public void setup() {
        byte[] p = new byte[1458];
        if (payload.equals("random")) {
            new Random(15).nextBytes(p);
        }
        byte[] f = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(p).build();
        arena = Arena.ofShared();
        frame = arena.allocate(f.length);
        frame.copyFrom(MemorySegment.ofArray(f));
        length = f.length;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int parse() {
        parser.parse(frame, length, summary);
        return summary.flags();
    }

    @Benchmark
    public int parseAndEntropy() {
        parser.parse(frame, length, summary);
        return entropy.ofPacket(frame, 0, length, summary);
    }
}
