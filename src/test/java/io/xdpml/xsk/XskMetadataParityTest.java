package io.xdpml.xsk;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pipeline.SampleTraffic;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One truth, two implementations: the metadata xdp_xsk.bpf.c computes for a frame (run with
 * BPF_PROG_TEST_RUN, cfg_record_meta keeping it in .bss) against {@link XskMetadataReference},
 * on the sample traffic, fuzzed frames and the Ethernet frames of every shared capture.
 */
class XskMetadataParityTest {
    static final int PER_CAPTURE = 20_000;

    @Test
    void kernelMetadataEqualsTheJavaReferenceOnEveryFrame() throws Exception {
        TestData.assumeBpf();
        List<byte[]> frames = new ArrayList<>(SampleTraffic.frames());
        FrameFuzzer fuzz = new FrameFuzzer(5, 600);
        for (int i = 0; i < 20_000; i++) frames.add(fuzz.next());
        try (BpfObject o = PipelineObject.open(Stages.none().withBlocks(true).withSampling(Stages.Sampling.BY_PACKET, false));
             Arena arena = Arena.ofConfined()) {
            o.setConstant("cfg_record_meta", 1);
            o.load();
            MemorySegment last = o.variable("last_meta");
            XskMetadata kernel = new XskMetadata(last);
            kernel.wrap(0);
            XskMetadataReference ref = new XskMetadataReference();
            MemorySegment pkt = arena.allocate(TestRun.maxTestRunFrame(), 64);
            List<String> mismatches = new ArrayList<>();
            long compared = 0;
            long withFlow = 0;
            try (TestRun run = o.program(PipelineObject.ENTRY).testRun()) {
                for (byte[] f : frames) {
                    if (f.length < 14) continue;
                    MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, f.length);
                    compared += check(run, pkt, f.length, kernel, ref, mismatches, "frame " + compared);
                    if (ref.flowHash() != 0) withFlow++;
                }
                for (Path capture : TestData.captures()) {
                    try (CaptureReader r = CaptureReader.open(capture)) {
                        int n = 0;
                        while (n < PER_CAPTURE && nextOrEnd(r)) {
                            int len = Math.min(r.capturedLength(), TestRun.maxTestRunFrame());
                            if (r.linkType() != 1 || len < 14) continue;
                            MemorySegment.copy(r.data(), 0, pkt, 0, len);
                            compared += check(run, pkt, len, kernel, ref, mismatches, capture.getFileName() + " #" + r.packetIndex());
                            if (ref.flowHash() != 0) withFlow++;
                            n++;
                        }
                    }
                }
            }
            assertThat(mismatches).isEmpty();
            assertThat(compared).isGreaterThan(frames.size() / 2);
            assertThat(withFlow).as("flows hashed: not vacuous").isGreaterThan(compared / 4);
            Map<XskCounter, Long> c = countersOf(o);
            assertThat(c.get(XskCounter.META_FAILED)).as("room for metadata in test runs").isZero();
            assertThat(c.get(XskCounter.SEEN)).isEqualTo(compared);
        }
    }

    private static int check(TestRun run, MemorySegment pkt, int len, XskMetadata kernel, XskMetadataReference ref,
                             List<String> mismatches, String what) {
        run.run(pkt, len);
        ref.compute(pkt, 0, len);
        if (!ref.matches(kernel) && mismatches.size() < 10) {
            mismatches.add(what + " (" + len + " bytes): kernel hash=" + Integer.toHexString(kernel.flowHash())
                    + " flags=" + kernel.parseFlags() + " error=" + kernel.parseError() + "; java hash="
                    + Integer.toHexString(ref.flowHash()) + " flags=" + ref.parseFlags() + " error=" + ref.parseError()
                    + "\n  " + HexFormat.of().formatHex(pkt.asSlice(0, Math.min(len, 80)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        }
        return 1;
    }

    /** The next record; false at the end and at a malformed record (the captures include broken files). */
    private static boolean nextOrEnd(CaptureReader r) {
        try {
            return r.next();
        } catch (io.xdpml.pcap.PcapFormatException e) {
            return false;
        }
    }

    private static Map<XskCounter, Long> countersOf(BpfObject o) {
        long[] sum = o.map("xdpml_xsk_counters").sumPerCpuLongs(0);
        Map<XskCounter, Long> m = new java.util.EnumMap<>(XskCounter.class);
        for (XskCounter x : XskCounter.values()) m.put(x, sum[x.ordinal()]);
        return m;
    }
}
