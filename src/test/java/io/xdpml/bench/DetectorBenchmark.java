package io.xdpml.bench;

import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * The detectors over a whole capture held in native memory, with its own timestamps: parse,
 * observation (and the flow table when a detector needs it) and the chosen detectors, a fresh
 * {@link DetectorSet} per replay (so subject creation and window closing are included). The score
 * is per replay; divide by the packets (printed at setup) for ns per packet. With and without early
 * reports (the looks at subjects over their floors while the window is open).
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="DetectorBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DetectorBenchmark {
    @Param({"benign/lan-trace-2012.pcap", "attack/synflood-spoofed.pcap"})
    public String capture;

    @Param({"all", "portscan,synflood,amplification,dnstunnel,volumetric"})
    public String detectors;

    /** Early reports (docs/detectors.md): 0 off, or the agent's default 200 ms. */
    @Param({"0", "200000000"})
    public long earlyNanos;

    private Arena arena;
    private MemorySegment frames;
    private long[] offsets;
    private int[] lengths;
    private long[] times;
    private int packets;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        arena = Arena.ofShared();
        Path file = Path.of(System.getProperty("xdpml.data", "testdata"), "pcap", capture);
        frames = arena.allocate(Files.size(file));
        offsets = new long[100_000];
        lengths = new int[100_000];
        times = new long[100_000];
        EthernetFramer framer = new EthernetFramer();
        long at = 0;
        try (CaptureReader r = CaptureReader.open(file)) {
            while (r.next()) {
                int len = framer.frame(r);
                if (len < 14) {
                    continue;
                }
                MemorySegment.copy(framer.frameSegment(), 0, frames, at, len);
                offsets[packets] = at;
                lengths[packets] = len;
                times[packets] = r.timestampNanos();
                at += len;
                packets++;
            }
        }
        System.out.println("\n" + capture + ": " + packets + " packets");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int replay() {
        DetectorSet set = new DetectorSet(Detectors.create(detectors, Detectors.earlySettings(detectors, earlyNanos)));
        ObservationBuilder builder = new ObservationBuilder(set.needsFlows());
        for (int i = 0; i < packets; i++) {
            set.observe(builder.observe(frames.asSlice(offsets[i], lengths[i]), lengths[i], times[i]));
        }
        set.finish();
        return set.detections().size();
    }
}
