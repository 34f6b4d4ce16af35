package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import io.xdpml.testing.FrameFuzzer;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the Java parser alone (runs without BPF): hostile frames never throw, and
 * what the summary says is consistent with the frame (offsets inside it, ports only with a
 * transport header, an error or a clean end).
 */
class ParserFuzzTest {
    @Test
    void hostileFramesNeverBreakTheJavaParser() {
        long seed = Long.getLong("xdpml.fuzz.seed", 0xf022L);
        FrameFuzzer fuzzer = new FrameFuzzer(seed, 9000);
        PacketParser parser = new PacketParser();
        ParseSummary s = new ParseSummary();
        for (int i = 0; i < 200_000; i++) {
            byte[] f = fuzzer.next();
            parser.parse(MemorySegment.ofArray(f), f.length, s);
            String ctx = "frame " + i + " seed " + seed + ": " + s;
            assertThat(s.l3Offset()).as(ctx).isLessThan(f.length);
            assertThat(s.l4Offset()).as(ctx).isLessThan(f.length);
            if (s.l4Offset() != 0) {
                assertThat(s.l4Offset()).as(ctx).isGreaterThan(s.l3Offset());
            }
            if ((s.has(ParseFlags.TCP) || s.has(ParseFlags.UDP)) && !s.has(ParseFlags.VXLAN)) {
                assertThat(s.l4Offset()).as(ctx).isPositive();
            }
            if (s.has(ParseFlags.VXLAN)) {
                assertThat(s.has(ParseFlags.UDP)).as(ctx).isTrue();
            }
            if (s.error() == 0) {
                assertThat(s.has(ParseFlags.ETHERNET)).as(ctx).isTrue();
            }
        }
    }
}
