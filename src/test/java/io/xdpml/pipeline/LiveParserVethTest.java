package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.ParseCounter;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parser attached to a real veth in a namespace the test creates, real frames through the
 * kernel's transmit and receive paths, counters read back from the per-CPU map.
 */
class LiveParserVethTest {
    @Test
    void nativeModeOnVethCountsEveryFrameLikeJava() throws Exception {
        TestData.assumeBpf();
        List<String> before = namespaces();
        LiveParserCheck.Outcome o = LiveParserCheck.run(SampleTraffic.frames(), 50, XdpMode.AUTO);
        assertThat(o.mode()).as("veth supports native XDP").isEqualTo(XdpMode.NATIVE);
        assertThat(o.fallbackReason()).isNull();
        assertThat(o.kernel().get(ParseCounter.PACKETS)).isEqualTo(o.framesSent());
        assertThat(o.kernel()).isEqualTo(o.expected());
        // the sample holds every layer: make sure the comparison is not vacuous
        for (ParseCounter c : List.of(ParseCounter.VLAN, ParseCounter.IPV4, ParseCounter.IPV6, ParseCounter.TCP,
                ParseCounter.UDP, ParseCounter.ICMP, ParseCounter.ICMPV6, ParseCounter.VXLAN, ParseCounter.FRAGMENTS,
                ParseCounter.TCP_TRUNCATED, ParseCounter.VXLAN_BAD_FLAGS, ParseCounter.VLAN_TOO_DEEP)) {
            assertThat(o.kernel().get(c)).as(c.jsonName()).isPositive();
        }
        assertThat(o.attachedAfterClose()).as("detached on close").isFalse();
        assertThat(namespaces()).as("namespace removed").isEqualTo(before);
    }

    @Test
    void genericModeWorksToo() throws Exception {
        TestData.assumeBpf();
        LiveParserCheck.Outcome o = LiveParserCheck.run(SampleTraffic.frames(), 10, XdpMode.GENERIC);
        assertThat(o.mode()).isEqualTo(XdpMode.GENERIC);
        assertThat(o.kernel().get(ParseCounter.PACKETS)).isEqualTo(o.framesSent());
        assertThat(o.kernel()).isEqualTo(o.expected());
        assertThat(o.attachedAfterClose()).isFalse();
    }

    static List<String> namespaces() throws IOException, InterruptedException {
        return io.xdpml.testing.Namespaces.mine();
    }
}
