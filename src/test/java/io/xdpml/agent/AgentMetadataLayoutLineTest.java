package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.XdpFeatures;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.MetadataLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.cli.Main;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent says once at start when this kernel refuses bpf_xdp_adjust_meta and its AF_XDP
 * metadata travels in front of the frame (docs/kernel.md), and says nothing of it when it mirrors;
 * {@code xdpml status} (text and --json) shows the layout in the deliver stage with AF_XDP delivery
 * (docs/agent.md), the one {@link XdpFeatures} probes here, and none with the mirror ring.
 */
class AgentMetadataLayoutLineTest {
    static DeployIntoAgentTest.Run status(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "status";
        System.arraycopy(args, 0, all, 1, args.length);
        int exit = cl.execute(all);
        return new DeployIntoAgentTest.Run(exit, out.toString(), err.toString());
    }

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

                // xdpml status, as from another shell (the pins): the deliver stage says where the metadata travels,
                // the layout the probe gives here, with AF_XDP; nothing of it with the mirror ring
                String expected = XdpFeatures.adjustMetaAllowed() ? "before_frame" : "in_frame";
                DeployIntoAgentTest.Run json = status("--iface", rig.rx, "--json");
                assertThat(json.exit()).as(json.err()).isZero();
                @SuppressWarnings("unchecked")
                Map<String, Object> deliver = (Map<String, Object>) ((Map<String, Object>) new ObjectMapper().readValue(json.out(), Map.class)
                        .get("stages")).get("deliver");
                DeployIntoAgentTest.Run text = status("--iface", rig.rx);
                assertThat(text.exit()).as(text.err()).isZero();
                System.out.println(to + ": status deliver " + deliver + "\n" + text.out());
                if (to.equals("af_xdp")) {
                    assertThat(deliver).as(json.out()).containsEntry("metadata_layout", expected);
                    assertThat(text.out()).as(text.out()).contains("metadata_layout: " + expected + (refused
                            ? " (" + XdpFeatures.ADJUST_META_REFUSED + ")" : " (bpf_xdp_adjust_meta: in the headroom before the frame)"));
                } else {
                    assertThat(deliver).as(json.out()).doesNotContainKey("metadata_layout");
                    assertThat(text.out()).doesNotContain("metadata_layout");
                }
            }
        }
    }
}
