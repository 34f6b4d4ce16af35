package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.cli.Main;
import io.xdpml.dataplane.ConfigWord;
import io.xdpml.flow.FlowFeature;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.FloatTreeEnsemble;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code xdpml deploy} into a running agent checks the model against what the agent's program was loaded with. */
class DeployIntoAgentTest {

    /** One tree on the flow's duration: up to 1 s "short", above "long". */
    static ModelFile durationModel() {
        int duration = FlowFeature.DURATION_US.ordinal();
        int[] f = {duration, TreeEnsemble.LEAF, TreeEnsemble.LEAF};
        int[] right = {2, 0, 0};
        int[] cls = {0, 0, 1};
        TreeEnsemble t = TreeEnsemble.tree(2, f, new long[] {1_000_000, 0, 0}, right, cls);
        FloatTreeEnsemble ft = new FloatTreeEnsemble(2, new int[] {0}, f, new double[] {1_000_000.5, 0, 0}, right, cls);
        return new ModelFile(ModelKind.DT, List.of("short", "long"), List.of("duration_us"), t, ft, null);
    }

    static String config(String iface, String clock) {
        return """
                interfaces: [%s]
                flows:
                  clock: %s
                model:
                  file: model.json
                  mode: packet
                outputs:
                  status: 0
                """.formatted(iface, clock);
    }

    record Run(int exit, String out, String err) {}

    static Run deploy(String iface, Path model) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute("deploy", "--iface", iface, "--model", model.toString());
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * An agent on the coarse clock refuses, at start and reload, a model that reads a time; so does
     * {@code xdpml deploy} into it now (the clock is in the agent's info record): nothing changes.
     * The same model goes into an agent on the precise clock, and a model without times into the
     * coarse one. Before 2026-12-06 deploy put it in, to classify on intervals that mostly read 0.
     */
    @Test
    void aModelReadingTimesIsRefusedByAnAgentOnTheCoarseClock(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        AgentRig.portModel().write(dir.resolve("model.json"));
        Path timed = dir.resolve("duration.json");
        durationModel().write(timed);
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("dpc")) {
            Files.writeString(file, config(rig.rx, "coarse"));
            rig.start(file);
            assertThat(rig.info().coarseClock()).as("the clock in the info record").isTrue();
            int word = rig.word();

            Run refused = deploy(rig.rx, timed);
            assertThat(refused.exit()).as("exit; out %s", refused.out()).isEqualTo(2);
            assertThat(refused.err()).contains("the running agent on " + rig.rx, "reads the coarse clock (flows.clock: coarse in " + file,
                    "but " + timed + " reads duration_us (times: they need clock: precise); nothing deployed");
            assertThat(rig.word()).as("the configuration word, unchanged").isEqualTo(word);
            assertThat(rig.info().modelClasses()).isEqualTo(2);

            Path other = dir.resolve("ports.json");
            AgentRig.portModel("a", "b").write(other);
            Run deployed = deploy(rig.rx, other);
            assertThat(deployed.exit()).as("exit; err %s", deployed.err()).isZero();
            assertThat((rig.word() ^ word) & ConfigWord.MODEL).as("the model slot switched").isNotZero();
        }
        try (AgentRig rig = new AgentRig("dpp")) {
            Files.writeString(file, config(rig.rx, "precise"));
            rig.start(file);
            assertThat(rig.info().coarseClock()).isFalse();
            Run deployed = deploy(rig.rx, timed);
            assertThat(deployed.exit()).as("exit; err %s", deployed.err()).isZero();
        }
    }
}
