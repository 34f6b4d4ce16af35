package io.xdpml.model.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfidenceReportTest {
    private static ConfidenceReport report(List<String> classes) {
        int k = classes.size();
        long[] n = new long[k];
        java.util.Arrays.fill(n, 1234);
        return new ConfidenceReport("capture.pcap", classes, new int[k], n, n.clone(), new long[k], new long[k], 0, 0, 0);
    }

    @Test
    void aClassNameLongerThanSixteenKeepsEveryRowAsLongAsTheHeader() {
        String table = report(List.of("benign", "reflection-amplification-udp", "scan")).classTable();
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(4);
        for (String l : lines) {
            assertThat(l).as(l).hasSameSizeAs(lines.getFirst());
        }
        assertThat(lines.get(2)).startsWith("reflection-amplification-udp ");
    }

    @Test
    void shortClassNamesPrintAsTheyAlwaysDid() {
        String header = report(List.of("benign", "attack")).classTable().lines().findFirst().orElseThrow();
        assertThat(header).isEqualTo(String.format(java.util.Locale.ROOT, "%-16s %9s %9s %10s %10s %10s", "class", "threshold", "support",
                "recall", "fpr", "to java"));
    }
}
