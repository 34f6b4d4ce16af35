package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real files cut at many offsets: the reader yields exactly the packets wholly before the cut, then
 * throws PcapFormatException at the offset of the cut record/block, or ends cleanly when the cut
 * falls on a boundary. The boundaries come from an independent walk over the file's length fields.
 */
class TruncationTest {

    /** Start offsets of every record/block plus the file size; packetEnds: end offsets of packet records. */
    private record Layout(long headerEnd, TreeSet<Long> boundaries, List<Long> packetEnds) {}

    private static Layout walk(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        TreeSet<Long> boundaries = new TreeSet<>();
        List<Long> packetEnds = new ArrayList<>();
        boolean ng = b.getInt(0) == 0x0A0D0D0A;
        long headerEnd = ng ? b.getInt(4) : 24;
        int off = ng ? 0 : 24;
        while (off < f.length) {
            boundaries.add((long) off);
            int type = ng ? b.getInt(off) : -1;
            int len = ng ? b.getInt(off + 4) : 16 + b.getInt(off + 8);
            off += len;
            if (!ng || type == 6 || type == 3 || type == 2) {
                packetEnds.add((long) off);
            }
        }
        assertThat(off).isEqualTo(f.length);
        boundaries.add((long) off);
        return new Layout(headerEnd, boundaries, packetEnds);
    }

    @ParameterizedTest
    @ValueSource(strings = {"malformed/ndpi-badpackets.pcap", "benign/ndpi-tor.pcap", "attack/portscan-1-10000.pcapng",
            "tunnel/tcpdump-vxlan.pcap"})
    void cutAtManyOffsets(String relative) throws Exception {
        byte[] f = TestData.bytes(relative);
        Layout layout = walk(f);
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int c = 0; c <= Math.min(f.length, 700); c++) {
            cuts.add(c);
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 300; i++) {
            cuts.add(random.nextInt(f.length + 1));
        }
        for (long boundary : layout.boundaries()) { // around a sample of the boundaries
            if (random.nextInt(20) == 0) {
                for (long c = boundary - 1; c <= boundary + 1; c++) {
                    if (c >= 0 && c <= f.length) {
                        cuts.add((int) c);
                    }
                }
            }
        }
        for (int cut : cuts) {
            check(f, layout, cut, relative);
        }
    }

    private static void check(byte[] f, Layout layout, int cut, String name) {
        long expectedPackets = layout.packetEnds().stream().filter(e -> e <= cut).count();
        long start = cut < layout.headerEnd() ? 0 : layout.boundaries().floor((long) cut);
        boolean clean = cut >= layout.headerEnd() && start == cut;
        long packets = 0;
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(f).asSlice(0, cut), name)) {
            while (r.next()) {
                assertThat(r.dataOffset() + r.capturedLength()).isLessThanOrEqualTo(cut);
                packets++;
            }
            assertThat(clean).as("cut at %d ended cleanly", cut).isTrue();
        } catch (PcapFormatException e) {
            assertThat(clean).as("cut at %d failed: %s", cut, e.getMessage()).isFalse();
            assertThat(e.offset()).as("offset for cut at %d: %s", cut, e.getMessage()).isEqualTo(start);
            assertThat(e.getMessage()).contains("offset " + start);
        } catch (Throwable t) {
            fail("cut at " + cut + " threw " + t, t);
        }
        assertThat(packets).as("packets before cut at %d", cut).isEqualTo(expectedPackets);
    }
}
