package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A real SIGHUP raised in this JVM while no agent runs yet is kept and handed over once one does;
 * later ones reach it at once. Before 2026-12-06 {@code xdpml run} put its handler in only after
 * the agent was built, and a SIGHUP before that ended the process (exit 129).
 */
class EarlyHangupTest {
    @Test
    void aHangupBeforeTheAgentRunsIsHandedToItOnceItDoes() throws Exception {
        StringWriter said = new StringWriter();
        EarlyHangup h = EarlyHangup.install(new PrintWriter(said));
        try {
            AtomicInteger reloads = new AtomicInteger();
            sun.misc.Signal.raise(new sun.misc.Signal("HUP"));
            for (int i = 0; i < 200 && !h.pending(); i++) {
                Thread.sleep(10);
            }
            assertThat(h.pending()).as("the SIGHUP kept").isTrue();
            h.deliverTo(reloads::incrementAndGet);
            assertThat(reloads).as("handed over when the agent runs").hasValue(1);
            assertThat(h.pending()).isFalse();
            sun.misc.Signal.raise(new sun.misc.Signal("HUP"));
            for (int i = 0; i < 200 && reloads.get() < 2; i++) {
                Thread.sleep(10);
            }
            assertThat(reloads).as("a later SIGHUP reaches the agent at once").hasValue(2);
        } finally {
            h.restore();
        }
        assertThat(said.toString()).isEmpty();
    }
}
