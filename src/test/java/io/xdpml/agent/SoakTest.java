package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, "Soak", the short version of {@code xdpml bench soak} (~70 s): a real agent with every
 * stage on under a mix of live frames sent flat out for 60 s. Every packet is accounted for
 * exactly; heap after a full GC at the end within 20% of the one at 20 s, RSS growth over the same
 * time at most 30% (loose: a busy machine, a JIT still compiling). No timing is asserted.
 */
class SoakTest {
    @Test
    void aMinuteUnderLoadAccountsForEveryPacketAndStaysFlat() throws Exception {
        TestData.assumeBpf();
        StringWriter text = new StringWriter();
        SoakBench.Result r = SoakBench.run(60, 10, 20, 20, 30, Path.of("models/captures-dt.json"), new PrintWriter(text, true));
        System.out.println(text);
        r.counts().forEach(System.out::println);
        r.checks().forEach(c -> System.out.println((c.ok() ? "ok   " : "FAIL ") + c.name() + ": " + c.detail()));
        assertThat(r.samples()).hasSize(6);
        assertThat(r.packets()).as("packets counted").isPositive();
        for (SoakBench.Check c : r.checks()) {
            assertThat(c.ok()).as(c.name() + ": " + c.detail()).isTrue();
        }
    }
}
