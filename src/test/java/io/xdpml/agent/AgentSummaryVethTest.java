package io.xdpml.agent;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's summary on a veth pair with every packet mirrored to Java and no status lines
 * ({@code status: 0}, as the demo runs it): besides the whole run's latency percentiles it has
 * those past the start (the seconds from {@link StatusLine#WARM_UP_NANOS} after the first second
 * with packets), which needs the agent to take the processor's histograms every second whether it
 * prints lines or not.
 */
class AgentSummaryVethTest {
    private static final Pattern PAST = Pattern.compile("; past the start \\(from ([0-9.]+) s after the first second with packets\\):"
            + " in Java p50 [0-9.]+ p99 [0-9.]+ p99\\.9 [0-9.]+ us, XDP copy to Java p50 [0-9.]+ p99 [0-9.]+ p99\\.9 [0-9.]+ us");

    @Test
    void theSummaryHasTheLatenciesPastTheStartWithoutStatusLines(@TempDir Path dir) throws Exception {
        require(BpfSupport.unavailableReason().isEmpty(), "needs BPF: " + BpfSupport.unavailableReason().orElse(""));
        try (AgentRig rig = new AgentRig("asum")) {
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, """
                    interfaces: [%s]
                    sampling: {every: 1}
                    delivery: {to: mirror}
                    detectors: {enabled: none}
                    outputs: {status: 0}
                    """.formatted(rig.rx));
            rig.start(config);
            // 1,000 frames/s for 9 s: the seconds from 6 s on are past the start
            try (AgentRig.Traffic t = rig.traffic(AgentRig.udp("10.77.0.1", 53), AgentRig.udp("10.77.0.3", 123), 5, 100)) {
                Thread.sleep(9_000);
            }
            Thread.sleep(300);
            assertThat(rig.stop()).isZero();
            String out = rig.output();
            assertThat(out).as("the whole run's").containsPattern("; XDP copy to Java p50 [0-9.]+ p99 [0-9.]+ p99\\.9 [0-9.]+ us");
            Matcher m = PAST.matcher(out);
            assertThat(m.find()).as("the part past the start in:%n%s", out).isTrue();
            // the first second with packets is the run's first, the loop's ticks a little late: 6 s, give or take
            assertThat(Double.parseDouble(m.group(1))).isBetween(5.85, 6.5);
        }
    }
}
