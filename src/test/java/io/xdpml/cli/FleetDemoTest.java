package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml fleet demo} as a user runs it: a real broker, the fleet detector and two real
 * agents in namespaces; every step of the story must hold (exit code 0), with the figures it prints,
 * and nothing it created may be left behind.
 */
class FleetDemoTest {
    @Test
    void theStoryHoldsAndLeavesNothingBehind() throws Exception {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("fleet", "demo");
        String out = r.out();
        System.out.println(out);
        assertThat(r.code()).as(out + r.err()).isZero();
        assertThat(out).doesNotContain("FAILED")
                .contains("host A | DETECTED ").contains("portscan      10.77.0.9 ")
                .contains("host A | BLOCKED 10.77.0.9 for 120 s (portscan")
                .contains("host B | FLEET BLOCKED 10.77.0.9/32 for 120 s (portscan on host-a)")
                .containsPattern("ok: host B's kernel holds the block \\d+ ms after host A decided it")
                .contains("ok: host B dropped all 400 probes in XDP before it was scanned; its detectors saw none")
                .containsPattern("fleet detector \\| \\S+ fleet-scan +10\\.77\\.0\\.33 .*on 2 hosts")
                .contains("host A | FLEET BLOCKED 10.77.0.33/32").contains("host B | FLEET BLOCKED 10.77.0.33/32")
                .contains("ok: neither host's own detectors saw a scan in it")
                .contains("VERDICT: the fleet held");
        // host B's own summary: nothing detected, the 400 probes dropped by its blocks stage
        assertThat(out).containsPattern("host B \\| \\S+: detached\\. \\d+ packets seen by XDP, .*, 400 packets dropped by blocks")
                .contains("host B | 0 detections {portscan=0}");
        // nothing left: namespaces, links to the host, pins
        assertThat(Files.readString(Path.of("/proc/net/dev"))).doesNotContainPattern("xfd[ab]" + ProcessHandle.current().pid() % 100000);
        try (Stream<Path> netns = list(Path.of("/run/netns")); Stream<Path> pins = list(BpfFs.ROOT)) {
            assertThat(netns.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("xdpml-fleet-") && n.contains("-"
                    + ProcessHandle.current().pid() + "-"));
            assertThat(pins.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("xdpml-fleet-demo-"));
        }
    }

    private static Stream<Path> list(Path dir) throws IOException {
        return Files.isDirectory(dir) ? Files.list(dir) : Stream.empty();
    }
}
