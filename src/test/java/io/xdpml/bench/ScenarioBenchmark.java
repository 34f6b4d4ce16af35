package io.xdpml.bench;

import io.xdpml.gen.Scenario;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The traffic generator's own cost: ns to build one frame of each scenario (headers, payload,
 * checksums) in the scenario's reused buffer, before any way of sending it.
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="ScenarioBenchmark -wi 3 -i 5 -w 1 -r 1"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ScenarioBenchmark {
    @Param({"benign", "synflood", "portscan", "amplification", "dnstunnel", "mix"})
    public String scenario;

    private Scenario s;

    @Setup
    public void setup() {
        s = Scenarios.create(scenario, ScenarioSettings.defaults());
    }

    /** One frame built; returns its length (so the work is not optimised away). */
    @Benchmark
    public int nextFrame() {
        s.next();
        return s.length();
    }
}
