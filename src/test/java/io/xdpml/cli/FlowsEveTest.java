package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.flow.EndedFlow;
import io.xdpml.output.CaptureFlows;
import io.xdpml.output.EveLines;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xdpml flows FILE --eve OUT}: one EVE flow event per listed flow, the same counts, Community IDs that check. */
class FlowsEveTest {
    @Test
    void everyListedFlowIsOneFlowEvent(@TempDir Path dir) throws Exception {
        Path capture = TestData.capture("benign/lan-trace-2012.pcap");
        Path eve = dir.resolve("eve.json");

        CliHarness.Result r = CliHarness.run("flows", capture.toString(), "--engine", "java", "--csv", "--eve", eve.toString());
        CliHarness.Result stdout = CliHarness.run("flows", capture.toString(), "--engine", "java", "--eve", "-");

        assertThat(r.code()).as(r.err()).isZero();
        List<EndedFlow> listed = CaptureFlows.of(capture).flows();
        List<JsonNode> lines = EveLines.parse(Files.readString(eve));
        assertThat(lines).hasSize(listed.size());
        assertThat(r.out().lines().count() - 1).as("the CSV listing beside it").isEqualTo(listed.size());
        long packets = 0;
        for (JsonNode line : lines) {
            EveLines.assertCommon(line);
            assertThat(line.get("event_type").asText()).isEqualTo("flow");
            packets += line.get("flow").get("pkts_toserver").asLong() + line.get("flow").get("pkts_toclient").asLong();
            if (line.has("community_id")) {
                assertThat(line.get("community_id").asText()).isEqualTo(EveLines.recomputedCommunityId(line));
            }
        }
        assertThat(packets).isEqualTo(62_038);
        assertThat(lines.stream().map(l -> l.get("xdpml").get("reason").asText()).distinct())
                .containsExactlyInAnyOrder("tcp_close", "idle", "end");
        assertThat(stdout.code()).as(stdout.err()).isZero();
        assertThat(EveLines.parse(stdout.out())).as("--eve -: EVE alone on standard output").hasSize(listed.size());
    }
}
