package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.XdpFeatures;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.MetadataLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent says once at start when this kernel refuses bpf_xdp_adjust_meta and its AF_XDP
 * metadata travels in front of the frame (docs/kernel.md), and says nothing of it when it mirrors.
 */
class AgentMetadataLayoutLineTest {
    @Test
    void theStartSaysWhereTheMetadataTravels(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        boolean refused = MetadataLayout.forThisKernel() == MetadataLayout.IN_FRAME;
        for (String to : new String[] {"af_xdp", "mirror"}) {
            Path file = dir.resolve(to + ".yaml");
            try (AgentRig rig = new AgentRig("aml")) {
                Files.writeString(file, """
                        interfaces: [%s]
                        sampling: {every: 1}
                        delivery: {to: %s}
                        detectors: {enabled: [volumetric]}
                        outputs:
                          status: 0
                        """.formatted(rig.rx, to));
                rig.start(file);
                String out = rig.output();
                int said = out.split(java.util.regex.Pattern.quote(XdpFeatures.ADJUST_META_REFUSED), -1).length - 1;
                assertThat(said).as(to + ", refused=" + refused + ":\n" + out).isEqualTo(refused && to.equals("af_xdp") ? 1 : 0);
                assertThat(rig.agent().processors().get(0).program().metadataLayout())
                        .isEqualTo(to.equals("af_xdp") ? MetadataLayout.forThisKernel() : MetadataLayout.BEFORE_FRAME);
            }
        }
    }
}
