package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code xdpml demo} as the README runs it: live on this kernel, the attacks of the mix are
 * detected and blocked (exit code 0 only when the story held: the flood, scan and tunnel down to
 * at most 1% at the victim, benign traffic through), and nothing it created is left (no namespace,
 * no XDP program); offline, the same story holds on a generated capture.
 */
class DemoCommandTest {
    static CliHarness.Result demo(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "demo";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliHarness.run(all);
    }

    @Test
    void liveTheAttacksAreDetectedAndBlockedAndNothingIsLeft() throws Exception {
        TestData.assumeBpf();
        CliHarness.Result r = demo("--seconds", "10", "--rate", "10000");
        assertThat(r.code()).as("exit code; out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("live on this kernel")
                .containsPattern("DETECTED .*synflood").containsPattern("DETECTED .*portscan +10\\.77\\.0\\.7")
                .containsPattern("DETECTED .*dnstunnel +10\\.55\\.0\\.9").containsPattern("DETECTED .*amplification +10\\.99\\.0\\.1")
                .contains("BLOCKED 10.77.0.7").contains("BLOCKED 10.55.0.9").containsPattern("BLOCKED 10\\.66\\.0\\.[1-6] ")
                .doesNotContainPattern("BLOCKED 10\\.10\\.").contains("demo: the attacks were detected and mitigated");
        assertThat(ipNetnsList()).as("namespaces left").doesNotContain("xdpml-demo-" + ProcessHandle.current().pid() + "-");
    }

    @Test
    void offlineTheSameStoryHoldsOnACapture() {
        CliHarness.Result r = demo("--offline", "--seconds", "8", "--rate", "5000");
        assertThat(r.code()).as("exit code; out:%n%s", r.out()).isZero();
        assertThat(r.out()).contains("the same story offline").contains("wrote 40000 frames")
                .contains("BLOCKED 10.77.0.7").contains("BLOCKED 10.55.0.9").contains("benign traffic kept flowing")
                .contains("demo: the attacks were detected and mitigated");
    }

    private static String ipNetnsList() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        return s;
    }
}
