package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/flows.md lists every feature with its unit and scale, and nothing else. */
class FlowDocsTest {
    @Test
    void featureTableMatchesFlowFeature() throws Exception {
        String doc = Files.readString(Path.of("docs/flows.md"));
        String features = doc.substring(doc.indexOf("## Features"), doc.indexOf("## ", doc.indexOf("## Features") + 3));
        long rows = features.lines().filter(l -> l.matches("\\| `[a-z0-9_]+` \\|.*")).count();
        for (FlowFeature f : FlowFeature.values()) {
            assertThat(doc).contains("| `" + f.columnName() + "` | " + f.unit() + " | " + f.scale() + " | " + f.description() + " |");
        }
        assertThat(rows).isEqualTo(FlowFeature.values().length);
        // the CSV's fixed columns as the issue states them
        assertThat(FlowCsv.header()).startsWith("src_addr,src_port,dst_addr,dst_port,protocol,first_ns,last_ns,"
                + "fwd_packets,bwd_packets,fwd_bytes,bwd_bytes,");
        assertThat(FlowCsv.header()).endsWith(",ip_version,vlan,vni,end_reason");
        // the record table names every reason a record can have (end is a listing's, not a record's)
        String records = doc.substring(doc.indexOf("## Flow records to Java"), doc.indexOf("## ", doc.indexOf("## Flow records to Java") + 3));
        for (FlowReason r : FlowReason.values()) {
            if (r != FlowReason.END) {
                assertThat(records).contains("| `" + r.label() + "` |");
            }
        }
    }
}
