package io.xdpml.vxlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.firewall.FirewallConfigException;
import org.junit.jupiter.api.Test;

/** The NAT file: a key given twice is refused whatever its spelling; addresses are literals only. */
class NatFileParserTest {
    static String problems(String text) {
        try {
            NatFileParser.parse(text, "nat.txt");
        } catch (FirewallConfigException e) {
            return String.join("\n", e.problems());
        }
        return "";
    }

    @Test
    void theSameKeySpelledDifferentlyIsASecondMapping() {
        // before: compared as text, all accepted and the last line silently won in the map
        assertThat(problems("0.0.0.0 80 -> 10.0.0.1 1\n* 80 -> 10.0.0.2 2\n"))
                .isEqualTo("line 2: a second mapping for * 80 (first on line 1)");
        assertThat(problems("2001:db8::1 80 -> 2001:db8::a 1\n2001:DB8:0::1 80 -> 2001:db8::b 2\n"))
                .isEqualTo("line 2: a second mapping for 2001:DB8:0::1 80 (first on line 1)");
        assertThat(problems("::ffff:10.0.0.1 80 -> 10.0.0.3 1\n10.0.0.1 80 -> 10.0.0.4 2\n"))
                .isEqualTo("line 2: a second mapping for 10.0.0.1 80 (first on line 1)");
        assertThat(problems(":: 80 -> 2001:db8::a 1\n* 80 -> 2001:db8::b 2\n* 80 -> 10.0.0.5 3\n"))
                .isEqualTo("line 2: a second mapping for * 80 (first on line 1)");
    }

    @Test
    void onlyAddressLiteralsAreAccepted() throws Exception {
        assertThat(problems("cafe.be 80 -> 10.0.0.1 1\n10.0.0.1 80 -> cafe.be 1\n10.1 80 -> 10.0.0.1 1\n"
                + "1.2.3.4.5 80 -> 10.0.0.1 1\n")).isEqualTo("line 1: bad address 'cafe.be'\nline 2: bad address 'cafe.be'\n"
                + "line 3: bad address '10.1'\nline 4: bad address '1.2.3.4.5'");
        assertThat(NatFileParser.parse("* 53 -> 172.16.0.1 5353\n2001:db8::1 80 -> 2001:db8::2 8080\n", "nat.txt"))
                .containsExactly(new NatEntry(4, null, 53, new byte[] {(byte) 172, 16, 0, 1}, 5353),
                        new NatEntry(6, java.net.InetAddress.ofLiteral("2001:db8::1").getAddress(), 80,
                                java.net.InetAddress.ofLiteral("2001:db8::2").getAddress(), 8080));
        assertThatThrownBy(() -> NatFileParser.parse("10.0.0.1 80 -> 2001:db8::2 1\n", "nat.txt"))
                .hasMessageContaining("line 1: both addresses must be IPv4 or both IPv6");
    }
}
