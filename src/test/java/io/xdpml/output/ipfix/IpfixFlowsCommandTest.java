package io.xdpml.output.ipfix;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.cli.CliHarness;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.testing.TestData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xdpml flows FILE --ipfix-file F}: the file holds the listing's flows, one record each, with their counts. */
class IpfixFlowsCommandTest {
    @Test
    void theFileHoldsEveryListedFlow(@TempDir Path dir) throws Exception {
        Path capture = TestData.capture("benign/lan-trace-2012.pcap");
        Path file = dir.resolve("flows.ipfix");

        CliHarness.Result r = CliHarness.run("flows", capture.toString(), "--engine", "java", "--csv", "--ipfix-file", file.toString());

        assertThat(r.code()).as(r.err()).isZero();
        List<EndedFlow> listed = IpfixTestFlows.endedFlows(capture);
        assertThat(r.out().lines().count() - 1).as("CSV rows").isEqualTo(listed.size());
        List<IpfixReader.Record> records = new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file))).stream()
                .flatMap(m -> m.records().stream()).toList();
        assertThat(records).hasSize(listed.size());
        long packets = 0;
        long bytes = 0;
        for (IpfixReader.Record rec : records) {
            packets += rec.number(IpfixEncoder.PACKET_DELTA_COUNT) + rec.reverse(IpfixEncoder.PACKET_DELTA_COUNT);
            bytes += rec.number(IpfixEncoder.OCTET_DELTA_COUNT) + rec.reverse(IpfixEncoder.OCTET_DELTA_COUNT);
        }
        assertThat(packets).isEqualTo(listed.stream().mapToLong(EndedFlow::packets).sum()).isEqualTo(62_038);
        assertThat(bytes).isEqualTo(listed.stream().mapToLong(f -> f.view().bytes(FlowLayout.FWD) + f.view().bytes(FlowLayout.BWD)).sum());
        assertThat(r.err()).contains("IPFIX: " + listed.size() + " flows", "bytes to " + file);
    }
}
