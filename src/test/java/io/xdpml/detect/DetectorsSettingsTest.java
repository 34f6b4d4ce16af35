package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Settings of the form {@code detector.parameter=value} ({@link Detectors#create(String, List)}, what
 * {@code --set} and the agent's {@code detectors.set} take): a decimal must be finite. The Configs
 * check their decimals with comparisons, which NaN fails whichever way they are written, so that
 * {@code x < 0} lets it through: until 2026-12-06 {@code portscan.maxReplyRatio=NaN} was taken and
 * silently turned portscan off (no reply ratio is at most NaN).
 */
class DetectorsSettingsTest {

    @Test
    void everyDecimalParameterRefusesNaNAndTheInfinitiesNamingTheSetting() {
        List<String> decimals = new ArrayList<>();
        for (String name : Detectors.names()) {
            Class<?> config = java.util.Arrays.stream(Detectors.create(name).getFirst().getClass().getDeclaredClasses())
                    .filter(c -> c.isRecord() && c.getSimpleName().equals("Config")).findFirst().orElseThrow();
            for (RecordComponent c : config.getRecordComponents()) {
                if (c.getType() == double.class) {
                    decimals.add(name + "." + c.getName());
                }
            }
        }
        assertThat(decimals).as("the detectors have decimal parameters").contains("portscan.maxReplyRatio", "synflood.minSynRate");
        for (String setting : decimals) {
            String detector = setting.substring(0, setting.indexOf('.'));
            for (String value : List.of("NaN", "Infinity", "-Infinity")) {
                assertThatThrownBy(() -> Detectors.create(detector, List.of(setting + "=" + value)))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage(setting + ": '" + value + "' is not a finite number");
            }
        }
    }

    @Test
    void aFiniteDecimalIsStillTaken() {
        assertThat(Detectors.create("portscan", List.of("portscan.maxReplyRatio=0.5"))).hasSize(1);
        assertThat(Detectors.create("portscan", List.of("portscan.maxReplyRatio=1e3"))).hasSize(1);
    }
}
