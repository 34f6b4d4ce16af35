package io.xdpml.bench;

import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectionSink;
import io.xdpml.detect.Detector;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.FlowWalk;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.detect.PacketObservation;
import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code slowconn}'s census of a full flow table (65,536 open TCP flows, the agent's default table
 * size), the detector's own work apart from the walk over the kernel's table (the flows are copied
 * to the heap first): one source holding every flow to one service (one pair, reported), or every
 * flow from a source of its own (65,536 pairs, none slow: the most pairs a census can hold).
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="SlowConnCensusBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SlowConnCensusBenchmark {
    private static final long S = 1_000_000_000L;
    private static final int FLOWS = 65_536;

    /** Sources: 1 (every flow a slow connection of one source to one service) or 65,536 (a source per flow). */
    @Param({"1", "65536"})
    public int sources;

    /** The detector whose census is measured: slowconn or reqflood. */
    @Param({"slowconn", "reqflood"})
    public String detectorName;

    private MemorySegment[] keys;
    private MemorySegment[] states;
    private FlowWalk walk;
    private Detector detector;
    private final List<Detection> reported = new ArrayList<>();
    private final DetectionSink sink = reported::add;

    @Setup(Level.Trial)
    public void setUp() {
        ObservationBuilder table = new ObservationBuilder(true);
        for (int i = 0; i < FLOWS; i++) {
            String src = sources == 1 ? "10.0.0.9" : "10." + (1 + i / 65_025) + "." + (i / 255 % 255) + "." + (i % 255 + 1);
            int sport = sources == 1 ? 1024 + i % 64_000 : 40_000;
            String dst = sources == 1 ? "10.200." + (i / 64_000) + ".1" : "10.200.0.1";
            // a SYN, then a slowloris header line 10 s later
            feed(table, new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, 80, PacketObservation.TCP_SYN).build(), S);
            feed(table, new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, 80, PacketObservation.TCP_ACK | PacketObservation.TCP_PSH)
                    .payload(20).build(), 11 * S);
        }
        List<MemorySegment> k = new ArrayList<>();
        List<MemorySegment> s = new ArrayList<>();
        table.flows().forEach((key, state) -> {
            k.add(MemorySegment.ofArray(key.toArray(ValueLayout.JAVA_BYTE)));
            s.add(MemorySegment.ofArray(state.toArray(ValueLayout.JAVA_BYTE)));
        });
        keys = k.toArray(MemorySegment[]::new);
        states = s.toArray(MemorySegment[]::new);
        walk = each -> {
            for (int i = 0; i < keys.length; i++) {
                each.accept(keys[i], states[i]);
            }
        };
        detector = Detectors.create(detectorName).getFirst();
        detector.census(11 * S, 11 * S, walk, sink); // reqflood's marks set (slowconn keeps nothing between censuses but spare pairs)
        System.out.printf("%n%,d flows in the table, %d source(s), %s%n", keys.length, sources, detectorName);
    }

    private static void feed(ObservationBuilder table, byte[] frame, long t) {
        table.observe(MemorySegment.ofArray(frame), frame.length, t);
    }

    @Benchmark
    public int census() {
        reported.clear();
        detector.census(12 * S, 12 * S, walk, sink);
        return reported.size();
    }
}
