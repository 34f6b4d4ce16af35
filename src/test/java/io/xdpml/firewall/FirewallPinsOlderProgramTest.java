package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    private static FirewallConfig config() throws FirewallConfigException {
        return FirewallConfigParser.parse("default pass\nconntrack on\n", "pins test");
    }

    private static final FirewallProgram.Limits LIMITS = new FirewallProgram.Limits(1 << 10, 1 << 10, 1 << 4, 1 << 10, 1 << 10);

    /** A pin directory of this test's own under /sys/fs/bpf/xdpml. */
    private static Path dir(String name) {
        return Path.of("/sys/fs/bpf/xdpml/" + name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    @Test
    void aLoadOverPinsWithoutTheUnassuredTableNotesAnOlderProgram() throws Exception {
        TestData.assumeBpf();
        Path dir = dir("fwolder");
        FirewallPins pins = new FirewallPins(dir);
        FirewallConfig c = config();
        FirewallProgram.Limits limits = LIMITS;
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

    /**
     * A pin of the unassured table that is there but cannot be opened (here a directory in its
     * place: bpf_obj_get refuses it) is said, not taken for an older program without the table
     * (before, any failure counted as absent: the connection count, 'fw show --connections' and
     * 'fw clear' then left the table out without a word).
     */
    @Test
    void aPinOfTheUnassuredTableThatCannotBeOpenedIsSaidNotTakenForAnOlderProgram() throws Exception {
        TestData.assumeBpf();
        Path dir = dir("fwbadpin");
        FirewallPins pins = new FirewallPins(dir);
        Path pin = dir.resolve("xdpml_fw_ct_new");
        try {
            pins.load(config(), null, LIMITS, 4789);
            Files.delete(pin);
            Files.createDirectory(pin);
            assertThatThrownBy(pins::open).as("opening pins whose unassured table cannot be opened")
                    .isInstanceOf(io.xdpml.kernel.KernelException.class).hasMessageContaining("xdpml_fw_ct_new");
        } finally {
            Files.deleteIfExists(pin);
            pins.clear();
        }
        assertThat(dir).doesNotExist();
    }
}
