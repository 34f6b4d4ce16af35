package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.model.data.LabelRules;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The label rules file: conditions, first match wins, the default, and errors by line. */
class LabelRulesTest {
    private static final long V4 = 0x0000_ffff_0000_0000L;

    private static long v4(int a, int b, int c, int d) {
        return V4 | ((long) a << 24) | ((long) b << 16) | ((long) c << 8) | d;
    }

    private static final LabelRules RULES = LabelRules.parse(List.of(
            "# comment",
            "default benign",
            "synflood file=attack/cicddos*.pcap host=172.16.0.5   # the attacker, either direction",
            "benign   file=attack/cicddos*.pcap",
            "scan     src=10.0.0.0/8 dst=192.168.1.1",
            "v6       dst=2001:db8::/32",
            "late     time=1500000000.5..2017-07-14T02:40:01Z"), "r.rules");

    private static String label(String file, long srcLo, long dstLo, long t) {
        return RULES.label(Path.of(file), 0, srcLo, 0, dstLo, t);
    }

    @Test
    void firstMatchingRuleGivesTheLabel() {
        long ns = 1_000_000_000L;
        assertThat(label("/data/pcap/attack/cicddos2019-synflood.pcap", v4(172, 16, 0, 5), v4(192, 168, 50, 4), 0)).isEqualTo("synflood");
        assertThat(label("/data/pcap/attack/cicddos2019-synflood.pcap", v4(192, 168, 50, 4), v4(172, 16, 0, 5), 0)).isEqualTo("synflood");
        assertThat(label("attack/cicddos2019-synflood.pcap", v4(192, 168, 50, 4), v4(192, 168, 50, 1), 0)).isEqualTo("benign");
        assertThat(label("x.pcap", v4(10, 9, 8, 7), v4(192, 168, 1, 1), 0)).isEqualTo("scan");
        assertThat(label("x.pcap", v4(11, 9, 8, 7), v4(192, 168, 1, 1), 0)).isEqualTo("benign");
        assertThat(RULES.label(Path.of("x.pcap"), 0, 1, 0x2001_0db8_0000_0001L, 5, 0)).isEqualTo("v6");
        assertThat(RULES.label(Path.of("x.pcap"), 0, 1, 0x2001_0db9_0000_0001L, 5, 0)).isEqualTo("benign");
        assertThat(label("x.pcap", 1, 2, 1_500_000_000L * ns + 500_000_000L)).isEqualTo("late");
        assertThat(label("x.pcap", 1, 2, 1_500_000_000L * ns + 499_999_999L)).isEqualTo("benign");
        assertThat(label("x.pcap", 1, 2, 1_500_000_001L * ns)).isEqualTo("benign"); // 2017-07-14T02:40:01Z, exclusive
        assertThat(RULES.labels()).containsExactly("benign", "synflood", "scan", "v6", "late");
    }

    @Test
    void badLinesAreReportedWithLineAndReason() {
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x foo=1"), "r")).hasMessage("r:2: unknown condition 'foo' (file, src, dst, host, time)");
        assertThatThrownBy(() -> LabelRules.parse(List.of("x src=1.2.3.4"), "r")).hasMessage("r:1: no 'default LABEL' line");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x src=1.2.3.4/33"), "r")).hasMessage("r:2: prefix length 33 outside 0..32");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x host=example.com"), "r")).hasMessage("r:2: 'example.com' is not an IP address");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x time=5..3"), "r")).hasMessage("r:2: time range is empty: 5..3");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x"), "r")).hasMessageContaining("r:2: rule for 'x' has no condition");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "default b"), "r")).hasMessage("r:2: a second 'default'");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default a", "x/y file=a"), "r")).hasMessageContaining("r:2: label 'x/y'");
    }

    /**
     * A condition given twice in one rule is refused: all conditions must hold, so it is no list,
     * and the second silently replaced the first (10.0.0.1 labeled benign). Every shipped rules
     * file still parses.
     */
    @Test
    void aConditionGivenTwiceIsRefused() throws Exception {
        assertThatThrownBy(() -> LabelRules.parse(List.of("default benign", "attack src=10.0.0.1 src=10.0.0.2"), "t.rules"))
                .hasMessageStartingWith("t.rules:2: condition 'src' given twice");
        assertThatThrownBy(() -> LabelRules.parse(List.of("# two files", "default benign", "", "scan file=a/*.pcap file=b/*.pcap"), "t.rules"))
                .hasMessageStartingWith("t.rules:4: condition 'file' given twice");
        assertThatThrownBy(() -> LabelRules.parse(List.of("default benign", "late time=1.. host=::1 time=..2"), "t.rules"))
                .hasMessageStartingWith("t.rules:2: condition 'time' given twice");
        // either of two: two rules, or a glob's {a,b}
        LabelRules two = LabelRules.parse(List.of("default benign", "attack src=10.0.0.1", "attack src=10.0.0.2", "scan file={a,b}/*.pcap"), "t.rules");
        long v4 = 0x0000_ffff_0000_0000L;
        assertThat(two.label(Path.of("x.pcap"), 0, v4 | 0x0a000001L, 0, v4 | 0x0a000009L, 0)).isEqualTo("attack");
        assertThat(two.label(Path.of("x.pcap"), 0, v4 | 0x0a000002L, 0, v4 | 0x0a000009L, 0)).isEqualTo("attack");
        assertThat(two.label(Path.of("a/x.pcap"), 0, v4 | 1, 0, v4 | 2, 0)).isEqualTo("scan");
        assertThat(two.label(Path.of("b/x.pcap"), 0, v4 | 1, 0, v4 | 2, 0)).isEqualTo("scan");
        List<Path> shipped = new java.util.ArrayList<>();
        for (String d : List.of("models", "docs/heldout", "testdata")) {
            try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(Path.of(d))) {
                s.filter(p -> p.toString().endsWith(".rules")).forEach(shipped::add);
            }
        }
        assertThat(shipped).hasSizeGreaterThanOrEqualTo(5);
        for (Path f : shipped) {
            assertThat(LabelRules.read(f).classLabels()).as(f.toString()).isNotEmpty();
        }
    }
}
