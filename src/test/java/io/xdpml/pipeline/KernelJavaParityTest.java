package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One truth, two implementations: every packet of every shared capture goes through the real XDP
 * parser (BPF_PROG_TEST_RUN) and the Java reference; their summaries must be identical field by
 * field, and so must the counters (the kernel's per-CPU map against Java's count).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelJavaParityTest {
    @BeforeAll
    void requireBpf() {
        TestData.assumeBpf();
    }

    Stream<Path> captures() {
        return TestData.captures().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    void kernelAndJavaAgreeOnEveryPacket(Path capture) throws Exception {
        try (KernelParseEngine k = new KernelParseEngine(4789)) {
            PacketParser reference = new PacketParser(4789);
            ParseSummary expected = new ParseSummary();
            ParseCounters javaCounters = new ParseCounters();
            List<String> mismatches = new ArrayList<>();
            long[] compared = {0};
            int[] maxCompared = {0};
            CaptureInspector.Result r = CaptureInspector.inspect(capture, k, (index, frame, length, actual) -> {
                reference.parse(frame, length, expected);
                javaCounters.count(expected);
                compared[0]++;
                maxCompared[0] = Math.max(maxCompared[0], length);
                if (!expected.sameAs(actual) && mismatches.size() < 10) {
                    mismatches.add("packet " + index + " (" + length + " bytes)\n  kernel: " + actual + "\n  java:   "
                            + expected + "\n  frame:  " + HexFormat.of().formatHex(frame.asSlice(0, Math.min(length, 96))
                                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                }
            });
            assertThat(mismatches).as("per-packet differences in %s", capture.getFileName()).isEmpty();
            assertThat(compared[0]).isEqualTo(r.packets() - r.runts() - r.unframeable()).isPositive();
            assertThat(k.counters()).as("kernel per-CPU counters vs Java").isEqualTo(javaCounters);
            if (r.cut() > 0) { // frames over the test-run limit were compared at exactly that length
                assertThat(maxCompared[0]).isEqualTo(TestRun.maxTestRunFrame());
            }
        }
    }

    /**
     * {@code parse.vxlan-port: 0} decodes no VXLAN: UDP to port 0 carrying what looks like a VXLAN
     * header (and a short one, which would be a truncated VXLAN header) is plain UDP to both
     * parsers, and UDP to 4789 too; with 4789, the same frame to 4789 is a tunnel.
     */
    @org.junit.jupiter.api.Test
    void portZeroDecodesNoVxlan() {
        java.util.function.IntFunction<byte[]> tunnel = port -> new io.xdpml.packet.FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2")
                .udp(50000, port).vxlan(7).ethernet().ipv4("10.1.1.1", "10.2.2.2").udp(1, 2).build();
        byte[] shortToZero = new io.xdpml.packet.FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(50000, 0).payload(3).build();
        for (int configured : new int[] {0, 4789}) {
            try (KernelParseEngine k = new KernelParseEngine(configured)) {
                PacketParser javaParser = new PacketParser(configured);
                for (byte[] f : List.of(tunnel.apply(0), tunnel.apply(4789), shortToZero)) {
                    MemorySegment seg = MemorySegment.ofArray(f);
                    ParseSummary kernel = new ParseSummary();
                    ParseSummary reference = new ParseSummary();
                    k.parse(java.lang.foreign.Arena.ofAuto().allocate(f.length).copyFrom(seg), f.length, kernel);
                    javaParser.parse(seg, f.length, reference);
                    assertThat(kernel.sameAs(reference)).as("port %d configured: kernel %s, java %s", configured, kernel, reference).isTrue();
                    int dport = ((f[36] & 0xff) << 8) | (f[37] & 0xff);
                    boolean tunnelled = configured != 0 && dport == configured && f.length > 60;
                    assertThat(reference.error()).as("port %d configured, UDP to %d", configured, dport).isZero();
                    assertThat(reference.has(io.xdpml.packet.ParseFlags.VXLAN)).as("port %d configured, UDP to %d", configured, dport)
                            .isEqualTo(tunnelled);
                }
            }
        }
    }
}
