package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-to-end benchmark's machinery: live frames through a veth reach each pipeline, every one. */
class VethThroughputTest {
    @Test
    void liveFramesReachEveryPipelineWhole() throws Exception {
        TestData.assumeBpf();
        List<String> before = LiveParserVethTest.namespaces();
        byte[] frame = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(1, 2).payload(22).build();
        List<VethThroughput.Result> rs = VethThroughput.measure(List.of("drop", "parse", "flow"), frame, 20_000, 1);
        assertThat(rs).extracting(VethThroughput.Result::pipeline).containsExactly("drop", "parse", "flow");
        assertThat(rs.get(0).received()).isEqualTo(-1);
        assertThat(rs.get(1).received()).as("parse saw every frame").isEqualTo(20_000);
        assertThat(rs.get(2).received()).as("flow saw every frame").isEqualTo(20_000);
        rs.forEach(r -> assertThat(r.mpps()).isPositive());
        assertThat(LiveParserVethTest.namespaces()).isEqualTo(before);
    }
}
