package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each row of {@code bench stages} is set against ("over its base"). */
class StagesBaseTest {
    @Test
    void theEntropyPipelinesAreSetAgainstTheParser() {
        Set<String> measured = Set.of("drop", "parse", "parse-entropy32", "parse-entropy");
        assertThat(BenchCommand.StagesBench.base("parse-entropy", measured)).isEqualTo("parse");
        assertThat(BenchCommand.StagesBench.base("parse-entropy32", measured)).isEqualTo("parse");
        assertThat(BenchCommand.StagesBench.base("frame", measured)).isEqualTo("parse");
        assertThat(BenchCommand.StagesBench.base("drop", measured)).isNull();
        assertThat(BenchCommand.StagesBench.base("dt", measured)).isEqualTo("flow");
    }
}
