package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * connflood's sustained rule, turned on (off by default) at the floor the docs suggest (300 new
 * completed connections from one source to one service within 60 s), on real captures: no report on every capture of the repository (the office LAN hour, the
 * nDPI browser, FTP, Teams and Tor captures, iperf3, pings, and the other attacks', which are no
 * connection floods) but its HTTP flood. The held-out sets' HULK capture and benign halves are not
 * in the repository (so not in this suite, which must run whole in CI): docs/detectors.md gives the
 * commands and what they printed.
 */
class ConnFloodSustainedCapturesTest {
    private static final String SUSTAINED = "connflood.sustainedConnections=300";
    private static final List<String> AGENT = List.of("connflood.windowNanos=2000000000", "connflood.earlyNanos=200000000", SUSTAINED);

    /** connflood's detections on the capture, up to its end or its first damage (the malformed captures have some). */
    private static List<Detection> connflood(Path capture, List<String> settings) throws IOException {
        DetectorSet set = new DetectorSet(Detectors.create("connflood", settings));
        CaptureDetection.run(capture, set);
        return set.detections();
    }

    @Test
    void noSustainedReportOnTheRepositorysCapturesButTheHttpFloods() throws IOException {
        List<Path> captures = new ArrayList<>(TestData.captures());
        try (Stream<Path> s = Files.list(TestData.dataDir().resolve("detect")); Stream<Path> p = Files.list(TestData.dataDir().resolve("ping"))) {
            captures.addAll(s.filter(f -> !f.getFileName().toString().equals("http-flood.pcap")).sorted().toList());
            captures.addAll(p.sorted().toList());
        }
        assertThat(captures).hasSizeGreaterThan(50).contains(TestData.capture("benign/lan-trace-2012.pcap"));
        for (Path c : captures) {
            assertThat(connflood(c, List.of(SUSTAINED))).as("%s", c).isEmpty();
            assertThat(connflood(c, AGENT)).as("%s, the agent's windows", c).isEmpty();
        }
    }
}
