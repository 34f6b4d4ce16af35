package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames (seeded; -Dxdpml.fuzz.frames, 10^5 in CI; -Dxdpml.fuzz.seed to
 * replay): the kernel parser, whose bounds the verifier proved, and the Java parser must give the
 * same summary for every one, and together the frames must reach every parse-error reason.
 */
class ParserDifferentialFuzzTest {
    @Test
    void kernelAndJavaAgreeOnHostileFrames() {
        TestData.assumeBpf();
        int frames = Integer.getInteger("xdpml.fuzz.frames", 100_000);
        long seed = Long.getLong("xdpml.fuzz.seed", 0x5eed_2026L);
        FrameFuzzer fuzzer = new FrameFuzzer(seed, TestRun.maxTestRunFrame());
        PacketParser reference = new PacketParser();
        ParseSummary expected = new ParseSummary();
        ParseSummary actual = new ParseSummary();
        ParseCounters javaCounters = new ParseCounters();
        List<String> mismatches = new ArrayList<>();
        Set<ParseCounter> reached = EnumSet.noneOf(ParseCounter.class);
        try (KernelParseEngine kernel = new KernelParseEngine(4789); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(TestRun.maxTestRunFrame());
            for (int i = 0; i < frames; i++) {
                byte[] f = fuzzer.next();
                MemorySegment.copy(f, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, f.length);
                kernel.parse(buf, f.length, actual);
                reference.parse(buf, f.length, expected);
                javaCounters.count(expected);
                if (expected.errorCounter() != null) {
                    reached.add(expected.errorCounter());
                }
                if (!expected.sameAs(actual) && mismatches.size() < 10) {
                    mismatches.add("frame " + i + " (seed " + seed + ")\n  kernel: " + actual + "\n  java:   " + expected
                            + "\n  " + HexFormat.of().formatHex(f, 0, Math.min(f.length, 128)));
                }
            }
            assertThat(mismatches).as("kernel/Java differences").isEmpty();
            assertThat(kernel.counters()).isEqualTo(javaCounters);
        }
        Set<ParseCounter> missed = EnumSet.noneOf(ParseCounter.class);
        for (ParseCounter c : ParseCounter.values()) {
            if (c.isError() && !reached.contains(c)) {
                missed.add(c);
            }
        }
        if (frames >= 100_000) {
            assertThat(missed).as("error reasons the generator never reached in %d frames", frames).isEmpty();
        }
    }
}
