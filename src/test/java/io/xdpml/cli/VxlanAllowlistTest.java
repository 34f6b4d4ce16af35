package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.firewall.FirewallConfigException;
import io.xdpml.firewall.Prefix;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code xdpml vxlan --allowlist}: only the --match direction's allow lines; a file with lines the gateway cannot honour is refused. */
class VxlanAllowlistTest {
    @Test
    void onlyTheMatchDirectionsAllowLinesAreTaken() throws Exception {
        String text = "default drop\nallow src 10.0.0.0/30 # tenants\nallow 10.0.1.0/24\n";
        assertThat(VxlanCommand.allowlist(text, "a.conf", false))
                .containsExactly(Prefix.parse("10.0.0.0/30"), Prefix.parse("10.0.1.0/24"));
        assertThat(VxlanCommand.allowlist("allow dst 172.16.0.0/12\n", "a.conf", true))
                .containsExactly(Prefix.parse("172.16.0.0/12"));
    }

    @Test
    void theOtherDirectionDenyAndRulesRefuseTheWholeFile() {
        // before: 0.0.0.0/0 (an allowed destination) became an allowed source, the deny was ignored
        String text = "allow src 10.0.0.0/30\nallow dst 0.0.0.0/0\ndeny src 10.0.0.2\nrule drop udp port 53\nrate-limit 10/s\n";
        assertThatThrownBy(() -> VxlanCommand.allowlist(text, "a.conf", false))
                .isInstanceOf(FirewallConfigException.class)
                .satisfies(e -> assertThat(((FirewallConfigException) e).problems()).containsExactly(
                        "line 2: an allow of the other direction (--match src); the gateway uses only 'allow src' lines",
                        "line 3: the gateway has no deny list; the gateway uses only 'allow src' lines",
                        "line 4: the gateway applies no rules; the gateway uses only 'allow src' lines",
                        "line 5: the gateway does not apply 'rate-limit'; the gateway uses only 'allow src' lines"));
        assertThatThrownBy(() -> VxlanCommand.allowlist("allow 10.0.0.0/8\n", "a.conf", true))
                .hasMessageContaining("line 1: an allow of the other direction (--match dst)");
    }

    @Test
    void theJsonListServesEitherDirection() throws Exception {
        String json = "{\"version\": \"1\", \"total_ips\": 1, \"flat_ip_list\": [\"192.0.2.1\"]}\n";
        assertThat(VxlanCommand.allowlist(json, "a.json", true)).isEqualTo(List.of(Prefix.parse("192.0.2.1/32")));
    }
}
