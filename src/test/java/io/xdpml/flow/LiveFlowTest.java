package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import org.junit.jupiter.api.Test;

/** The flow pipeline on a real veth with its real clock; records consumed live from the ring buffer. */
class LiveFlowTest {
    @Test
    void liveTcpConversationsAreReportedAtCloseLikeTheReference() {
        TestData.assumeBpf();
        LiveFlowCheck.Outcome o = LiveFlowCheck.run(LiveFlowCheck.conversations(50, 20));
        assertThat(o.recordsLost()).isZero();
        assertThat(o.javaRecords()).hasSize(50); // one tcp_close per conversation, at the second FIN
        assertThat(o.javaRecords().values()).allMatch(r -> r.startsWith("tcp_close fwd 4/") && r.contains(" bwd 3/"));
        assertThat(o.kernelRecords()).isEqualTo(o.javaRecords());
        assertThat(o.javaTable()).hasSize(70);
        // the table holds the last ACK the record did not: 5 packets forward now
        assertThat(o.javaTable().values()).filteredOn(v -> v.contains("closing 11")).hasSize(50)
                .allMatch(v -> v.startsWith("fwd 5/"));
        assertThat(o.kernelTable()).isEqualTo(o.javaTable());
    }
}
