package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml fw load} over pins of an older xdpml says so (the pinned program keeps running, only
 * 'fw clear' and a new load bring this one's). The pins of a program of before early drop
 * (2026-12-06, evening) are this one's without {@code xdpml_fw_ct_new}: their conntrack key and entry
 * are already of today's sizes, so only the missing table tells them apart (before, no note).
 */
class FirewallPinsOlderProgramTest {
    @Test
    void aLoadOverPinsWithoutTheUnassuredTableNotesAnOlderProgram() throws Exception {
        TestData.assumeBpf();
        Path dir = Path.of("/sys/fs/bpf/xdpml/fwolder-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        FirewallPins pins = new FirewallPins(dir);
        FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on\n", "older");
        FirewallProgram.Limits limits = new FirewallProgram.Limits(1 << 10, 1 << 10, 1 << 4, 1 << 10, 1 << 10);
        try {
            pins.load(c, null, limits, 4789);
            List<String> again = pins.load(c, null, limits, 4789);
            assertThat(again).as("this xdpml's own pins").noneMatch(l -> l.contains("older xdpml"));

            // the pins as a program of before early drop left them: no xdpml_fw_ct_new
            Files.delete(dir.resolve("xdpml_fw_ct_new"));
            List<String> older = pins.load(c, null, limits, 4789);
            assertThat(older).as("a load over an older program's pins").anyMatch(l -> l.contains("older xdpml"));
            try (FirewallPins.Opened o = pins.open()) {
                assertThat(o.maps().olderProgram()).isTrue();
                assertThat(o.maps().connections()).as("its one connection table, read").isZero();
            }
        } finally {
            pins.clear();
        }
        assertThat(dir).doesNotExist();
    }
}
