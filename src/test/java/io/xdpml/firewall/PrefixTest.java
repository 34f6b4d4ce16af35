package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A prefix's text is RFC 5952 and parses back to the same prefix. */
class PrefixTest {
    @Test
    void textIsRfc5952AndParsesBack() {
        String[][] cases = {
            {"0:0:0:0:0:fffe:0:0/95", "::fffe:0:0/95"}, // was "::fffe::/95", which does not parse
            {"2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"},
            {"2001:0:0:1:0:0:0:1/128", "2001:0:0:1::1/128"},
            {"::/0", "::/0"},
            {"0:0:0:0:0:0:0:1/128", "::1/128"},
            {"fe80:0:0:0:0:0:0:0/10", "fe80::/10"},
            {"2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2:3:4:5:6/128"},
            {"192.0.2.0/24", "192.0.2.0/24"},
        };
        for (String[] c : cases) {
            Prefix p = Prefix.parse(c[0]);
            assertThat(p.toString()).as(c[0]).isEqualTo(c[1]);
            assertThat(Prefix.parse(p.toString())).as(c[1]).isEqualTo(p);
        }
    }
}
