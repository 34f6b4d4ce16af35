package io.xdpml.xsk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.kernel.BpfLoadException;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpFeatures;
import io.xdpml.pipeline.SampleTraffic;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The two places of the AF_XDP metadata (deliver.h, {@link MetadataLayout}): the probe of
 * bpf_xdp_adjust_meta agrees with what the composed program can load; the in-frame layout loads on
 * every kernel, fills the same metadata, and gives a frame it does not redirect back unchanged.
 * (That Java reads the same metadata from a socket in either layout: XskVethTest.)
 */
class MetadataLayoutTest {
    private static final Stages AF_XDP = Stages.none().withBlocks(true).withSampling(Stages.Sampling.BY_PACKET, false);

    @Test
    void theProbeSaysWhetherTheComposedProgramCanCallAdjustMeta() {
        TestData.assumeBpf();
        XdpFeatures.Probe probe = XdpFeatures.adjustMetaProbe();
        assertThat(XdpFeatures.adjustMetaProbe()).as("probed once, cached").isSameAs(probe);
        assertThat(MetadataLayout.forThisKernel())
                .isEqualTo(probe.allowed() ? MetadataLayout.BEFORE_FRAME : MetadataLayout.IN_FRAME);
        assertThat(PipelineObject.metadataLayout(AF_XDP)).isEqualTo(MetadataLayout.forThisKernel());
        assertThat(PipelineObject.metadataLayout(AF_XDP.withSampling(Stages.Sampling.BY_PACKET, true)))
                .as("mirroring redirects nothing").isEqualTo(MetadataLayout.BEFORE_FRAME);
        try (BpfObject o = PipelineObject.open(AF_XDP)) {
            o.setConstant(PipelineObject.META_IN_HEAD, 0);
            if (probe.allowed()) {
                o.load();
            } else {
                assertThat(probe.reason()).contains("bpf_xdp_adjust_meta");
                assertThatThrownBy(o::load).isInstanceOf(BpfLoadException.class)
                        .satisfies(e -> assertThat(((BpfLoadException) e).log()).contains("bpf_xdp_adjust_meta"));
            }
        }
        try (BpfObject o = PipelineObject.open(AF_XDP)) {
            o.setConstant(PipelineObject.META_IN_HEAD, 1);
            o.load(); // on every kernel: the adjust_meta branch is dead code
        }
        try (BpfObject o = PipelineObject.open(AF_XDP)) {
            o.load(); // the layout the probe chose
        }
    }

    /**
     * BPF_PROG_TEST_RUN with no socket to take the frame (cfg_record_meta: the stage runs as far as
     * the redirect): the in-frame layout put 16 bytes in front of the frame and must take them away
     * again, so data_out equals data_in; the headroom layout leaves its 16 bytes in the metadata area,
     * before the frame, where the test run's data_out begins (on kernels that allow bpf_xdp_adjust_meta:
     * this half first ran on one on 2026-12-07, and expected the frame alone until then); and the
     * metadata it filled is the Java reference's.
     */
    @Test
    void aFrameNotRedirectedGoesOnAsItCameInEachLayout() {
        TestData.assumeBpf();
        List<MetadataLayout> layouts = XdpFeatures.adjustMetaAllowed()
                ? List.of(MetadataLayout.IN_FRAME, MetadataLayout.BEFORE_FRAME) : List.of(MetadataLayout.IN_FRAME);
        List<byte[]> frames = SampleTraffic.frames();
        for (MetadataLayout layout : layouts) {
            try (BpfObject o = PipelineObject.open(AF_XDP); Arena arena = Arena.ofConfined()) {
                o.setConstant("cfg_action", XskProgram.XDP_PASS);
                o.setConstant("cfg_record_meta", 1);
                o.setConstant(PipelineObject.META_IN_HEAD, layout.constant());
                o.load();
                XskMetadata kernel = XskMetadata.over(o.variable("last_meta"));
                kernel.wrap(0);
                XskMetadataReference ref = new XskMetadataReference();
                MemorySegment pkt = arena.allocate(TestRun.maxTestRunFrame(), 64);
                List<String> wrong = new ArrayList<>();
                try (TestRun run = o.program(PipelineObject.ENTRY).testRun()) {
                    for (int i = 0; i < frames.size(); i++) {
                        byte[] f = frames.get(i);
                        MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, f.length);
                        int action = run.run(pkt, f.length);
                        byte[] out = run.dataOut().asSlice(0, run.dataOutLength()).toArray(JAVA_BYTE);
                        // the test run's data_out begins at data_meta (net/bpf/test_run.c): in the headroom layout the
                        // metadata written there comes first, outside the frame, which must be as it came
                        int meta = layout == MetadataLayout.BEFORE_FRAME ? XskMetadata.SIZE : 0;
                        byte[] frame = java.util.Arrays.copyOfRange(out, Math.min(meta, out.length), out.length);
                        if (action != XskProgram.XDP_PASS || out.length != f.length + meta || !java.util.Arrays.equals(frame, f)) {
                            wrong.add(layout + " frame " + i + ": action " + action + ", " + f.length + " bytes in, "
                                    + out.length + " out");
                        }
                        ref.compute(pkt, 0, f.length);
                        if (!ref.matches(kernel)) wrong.add(layout + " frame " + i + ": metadata differs from the reference");
                    }
                }
                assertThat(wrong).as(layout.toString()).isEmpty();
                long[] c = o.map("xdpml_xsk_counters").sumPerCpuLongs(0);
                assertThat(c[XskCounter.NO_SOCKET.ordinal()]).as("every frame reached the redirect").isEqualTo(frames.size());
                assertThat(c[XskCounter.REDIRECTED.ordinal()]).isZero();
                assertThat(c[XskCounter.META_FAILED.ordinal()]).isZero();
            }
        }
    }
}
