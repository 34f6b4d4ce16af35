package io.xdpml.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Community ID v1 against the spec's own vectors. Origins (data only, BSD 3-clause, Copyright (c)
 * 2017-2022 Corelight, Inc; compatible with Apache-2.0, the license text is in
 * src/test/resources/communityid/COPYING):
 *
 * <ul>
 *   <li>{@code specTables}: the three tables of github.com/corelight/community-id-spec
 *       baseline/README.md (defaults, seed 1, no base64), commit b1fe530f (2024-09-23);
 *   <li>{@code baselineFiles}: baseline/baseline_{deflt,seed1,nob64}.json of the same commit,
 *       copied unchanged into src/test/resources/communityid/;
 *   <li>{@code referenceImplementationTests}: the vectors of github.com/corelight/pycommunityid
 *       tests/communityid_test.py (the reference implementation the spec names), each with its
 *       default, no-base64 and seed-1 results.
 * </ul>
 */
class CommunityIdTest {
    static final CommunityId SEED0 = CommunityId.DEFAULT;
    static final CommunityId SEED1 = new CommunityId(1);

    static String hex(CommunityId c, String src, String dst, int proto, int sp, int dp) throws Exception {
        return "1:" + HexFormat.of().formatHex(c.digest(InetAddress.getByName(src).getAddress(),
                InetAddress.getByName(dst).getAddress(), proto, sp, dp));
    }

    /** The spec's tables; "-" ports (port-less protocol) are given as -1 and must not matter. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            6   | 1.2.3.4 | 5.6.7.8 | 1122 | 3344 | 1:wCb3OG7yAFWelaUydu0D+125CLM= | 1:HhA1B+6CoLbiKPEs5nhNYN4XWfk= | 1:c026f7386ef200559e95a53276ed03fb5db908b3
            6   | 5.6.7.8 | 1.2.3.4 | 3344 | 1122 | 1:wCb3OG7yAFWelaUydu0D+125CLM= | 1:HhA1B+6CoLbiKPEs5nhNYN4XWfk= | 1:c026f7386ef200559e95a53276ed03fb5db908b3
            17  | 1.2.3.4 | 5.6.7.8 | 1122 | 3344 | 1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg= | 1:OShq+iKDAMVouh/4bMxB9Sz4amw= | 1:d0cbbd227431eb3e1988264cffb1d78b658c84e8
            17  | 5.6.7.8 | 1.2.3.4 | 3344 | 1122 | 1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg= | 1:OShq+iKDAMVouh/4bMxB9Sz4amw= | 1:d0cbbd227431eb3e1988264cffb1d78b658c84e8
            132 | 1.2.3.4 | 5.6.7.8 | 1122 | 3344 | 1:EKt4MsxuyaE6mL+hmrEkQ9csDD8= | 1:uitchpn5MMGAQKBJh7bIr/bAr7s= | 1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f
            132 | 5.6.7.8 | 1.2.3.4 | 3344 | 1122 | 1:EKt4MsxuyaE6mL+hmrEkQ9csDD8= | 1:uitchpn5MMGAQKBJh7bIr/bAr7s= | 1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f
            1   | 1.2.3.4 | 5.6.7.8 | 8    | 0    | 1:crodRHL2FEsHjbv3UkRrfbs4bZ0= | 1:9pr4ZGTICiuZoIh90RRYE2RyXpU= | 1:72ba1d4472f6144b078dbbf752446b7dbb386d9d
            1   | 5.6.7.8 | 1.2.3.4 | 0    | 0    | 1:crodRHL2FEsHjbv3UkRrfbs4bZ0= | 1:9pr4ZGTICiuZoIh90RRYE2RyXpU= | 1:72ba1d4472f6144b078dbbf752446b7dbb386d9d
            1   | 1.2.3.4 | 5.6.7.8 | 11   | 0    | 1:f/YiSyWqczrTgfUCZlBUnvHRcPk= | 1:1DD7cWGC/Yg91YGsQeni8du3pIA= | 1:7ff6224b25aa733ad381f5026650549ef1d170f9
            58  | fe80:0001:0203:0405:0607:0809:0A0B:0C0D | fe80:1011:1213:1415:1617:1819:1A1B:1C1D | 128 | 0 | 1:0bf7hyMJUwt3fMED7z8LIfRpBeo= | 1:IO27GQzPuCtNnwFvjWALMHu5tJE= | 1:d1b7fb872309530b777cc103ef3f0b21f46905ea
            58  | fe80:1011:1213:1415:1617:1819:1A1B:1C1D | fe80:0001:0203:0405:0607:0809:0A0B:0C0D | 129 | 0 | 1:0bf7hyMJUwt3fMED7z8LIfRpBeo= | 1:IO27GQzPuCtNnwFvjWALMHu5tJE= | 1:d1b7fb872309530b777cc103ef3f0b21f46905ea
            58  | fe80:0001:0203:0405:0607:0809:0A0B:0C0D | fe80:1011:1213:1415:1617:1819:1A1B:1C1D | 146 | 0 | 1:fYC8+pz24E+EhANP1EZhpX0Dw10= | 1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s= | 1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d
            46  | 1.2.3.4 | 5.6.7.8 | -1   | -1   | 1:ikv3kmf89luf73WPz1jOs49S768= | 1:/buhqeOmaRCopOZFy9HnoJd5XW8= | 1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf
            46  | 5.6.7.8 | 1.2.3.4 | -1   | -1   | 1:ikv3kmf89luf73WPz1jOs49S768= | 1:/buhqeOmaRCopOZFy9HnoJd5XW8= | 1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf
            46  | fe80:0001:0203:0405:0607:0809:0A0B:0C0D | fe80:1011:1213:1415:1617:1819:1A1B:1C1D | -1 | -1 | 1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0= | 1:j6EyyfBzL4vWKHFXgUqb5Az3OxM= | 1:c10ff69b0ae75cfe259897077462f978f8d1f9ed
            46  | fe80:1011:1213:1415:1617:1819:1A1B:1C1D | fe80:0001:0203:0405:0607:0809:0A0B:0C0D | -1 | -1 | 1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0= | 1:j6EyyfBzL4vWKHFXgUqb5Az3OxM= | 1:c10ff69b0ae75cfe259897077462f978f8d1f9ed
            """)
    void specTables(int proto, String src, String dst, int sp, int dp, String deflt, String seed1, String noBase64) throws Exception {
        InetAddress s = InetAddress.getByName(src);
        InetAddress d = InetAddress.getByName(dst);
        assertThat(SEED0.of(s, d, proto, sp, dp)).isEqualTo(deflt);
        assertThat(SEED1.of(s, d, proto, sp, dp)).isEqualTo(seed1);
        assertThat(hex(SEED0, src, dst, proto, sp, dp)).isEqualTo(noBase64);
    }

    @Test
    void baselineFiles() throws Exception {
        ObjectMapper m = new ObjectMapper();
        int checked = 0;
        for (String variant : new String[] {"deflt", "seed1", "nob64"}) {
            JsonNode all;
            try (InputStream in = getClass().getResourceAsStream("/communityid/baseline_" + variant + ".json")) {
                assertThat(in).as(variant).isNotNull();
                all = m.readTree(in);
            }
            assertThat(all.size()).isEqualTo(23);
            for (JsonNode e : all) {
                int proto = e.get("proto").asInt();
                String src = e.get("saddr").asText();
                String dst = e.get("daddr").asText();
                int sp = e.get("sport").isNull() ? -1 : e.get("sport").asInt();
                int dp = e.get("dport").isNull() ? -1 : e.get("dport").asInt();
                String ours = switch (variant) {
                    case "deflt" -> SEED0.of(InetAddress.getByName(src), InetAddress.getByName(dst), proto, sp, dp);
                    case "seed1" -> SEED1.of(InetAddress.getByName(src), InetAddress.getByName(dst), proto, sp, dp);
                    default -> hex(SEED0, src, dst, proto, sp, dp);
                };
                assertThat(ours).as(variant + " " + e).isEqualTo(e.get("communityid").asText());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(69);
    }

    /** pycommunityid tests/communityid_test.py: results for the default, no base64, and seed 1. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            1   | 192.168.0.89 | 192.168.0.1 | 8  | 0  | 1:X0snYXpgwiv9TZtqg64sgzUn6Dk= | 1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839 | 1:03g6IloqVBdcZlPyX8r0hgoE7kA=
            1   | 192.168.0.1 | 192.168.0.89 | 0  | 8  | 1:X0snYXpgwiv9TZtqg64sgzUn6Dk= | 1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839 | 1:03g6IloqVBdcZlPyX8r0hgoE7kA=
            1   | 192.168.0.89 | 192.168.0.1 | 20 | 0  | 1:3o2RFccXzUgjl7zDpqmY7yJi8rI= | 1:de8d9115c717cd482397bcc3a6a998ef2262f2b2 | 1:lCXHHxavE1Vq3oX9NH5ladQg02o=
            1   | 192.168.0.89 | 192.168.0.1 | 20 | 1  | 1:tz/fHIDUHs19NkixVVoOZywde+I= | 1:b73fdf1c80d41ecd7d3648b1555a0e672c1d7be2 | 1:Ie3wmFyxiEyikbsbcO03d2nh+PM=
            1   | 192.168.0.1 | 192.168.0.89 | 0  | 20 | 1:X0snYXpgwiv9TZtqg64sgzUn6Dk= | 1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839 | 1:03g6IloqVBdcZlPyX8r0hgoE7kA=
            58  | fe80::200:86ff:fe05:80da | fe80::260:97ff:fe07:69ea | 135 | 0 | 1:dGHyGvjMfljg6Bppwm3bg0LO8TY= | 1:7461f21af8cc7e58e0e81a69c26ddb8342cef136 | 1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=
            58  | fe80::260:97ff:fe07:69ea | fe80::200:86ff:fe05:80da | 136 | 0 | 1:dGHyGvjMfljg6Bppwm3bg0LO8TY= | 1:7461f21af8cc7e58e0e81a69c26ddb8342cef136 | 1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=
            58  | 3ffe:507:0:1:260:97ff:fe07:69ea | 3ffe:507:0:1:200:86ff:fe05:80da | 3 | 0 | 1:NdobDX8PQNJbAyfkWxhtL2Pqp5w= | 1:35da1b0d7f0f40d25b0327e45b186d2f63eaa79c | 1:OlOWx9psIbBFi7lOCw/4MhlKR9M=
            58  | 3ffe:507:0:1:200:86ff:fe05:80da | 3ffe:507:0:1:260:97ff:fe07:69ea | 3 | 0 | 1:/OGBt9BN1ofenrmSPWYicpij2Vc= | 1:fce181b7d04dd687de9eb9923d66227298a3d957 | 1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=
            132 | 192.168.170.8 | 192.168.170.56 | 7 | 80 | 1:jQgCxbku+pNGw8WPbEc/TS/uTpQ= | 1:8d0802c5b92efa9346c3c58f6c473f4d2fee4e94 | 1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=
            132 | 192.168.170.56 | 192.168.170.8 | 80 | 7 | 1:jQgCxbku+pNGw8WPbEc/TS/uTpQ= | 1:8d0802c5b92efa9346c3c58f6c473f4d2fee4e94 | 1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=
            6   | 128.232.110.120 | 66.35.250.204 | 34855 | 80 | 1:LQU9qZlK+B5F3KDmev6m5PMibrg= | 1:2d053da9994af81e45dca0e67afea6e4f3226eb8 | 1:3V71V58M3Ksw/yuFALMcW0LAHvc=
            6   | 66.35.250.204 | 128.232.110.120 | 80 | 34855 | 1:LQU9qZlK+B5F3KDmev6m5PMibrg= | 1:2d053da9994af81e45dca0e67afea6e4f3226eb8 | 1:3V71V58M3Ksw/yuFALMcW0LAHvc=
            6   | 10.0.0.1 | 10.0.0.2 | 10 | 11569 | 1:SXBGMX1lBOwhhoDrZynfROxnhnM= | 1:497046317d6504ec218680eb6729df44ec678673 | 1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=
            17  | 192.168.1.52 | 8.8.8.8 | 54585 | 53 | 1:d/FP5EW3wiY1vCndhwleRRKHowQ= | 1:77f14fe445b7c22635bc29dd87095e451287a304 | 1:Q9We8WO3piVF8yEQBNJF4uiSVrI=
            17  | 8.8.8.8 | 192.168.1.52 | 53 | 54585 | 1:d/FP5EW3wiY1vCndhwleRRKHowQ= | 1:77f14fe445b7c22635bc29dd87095e451287a304 | 1:Q9We8WO3piVF8yEQBNJF4uiSVrI=
            46  | 10.1.24.4 | 10.1.12.1 | 0 | 0 | 1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4= | 1:fe7408e1187f4ed63799fd11da0245064565812e | 1:BK3BVW3U2eemuwVQVN3zd/GULno=
            46  | 10.1.12.1 | 10.1.24.4 | 0 | 0 | 1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4= | 1:fe7408e1187f4ed63799fd11da0245064565812e | 1:BK3BVW3U2eemuwVQVN3zd/GULno=
            """)
    void referenceImplementationTests(int proto, String src, String dst, int sp, int dp, String deflt, String noBase64, String seed1)
            throws Exception {
        InetAddress s = InetAddress.getByName(src);
        InetAddress d = InetAddress.getByName(dst);
        assertThat(SEED0.of(s, d, proto, sp, dp)).isEqualTo(deflt);
        assertThat(hex(SEED0, src, dst, proto, sp, dp)).isEqualTo(noBase64);
        assertThat(SEED1.of(s, d, proto, sp, dp)).isEqualTo(seed1);
    }

    @Test
    void icmpTables() {
        assertThat(CommunityId.icmpCounterpart(1, 8)).isEqualTo(0);
        assertThat(CommunityId.icmpCounterpart(1, 3)).isEqualTo(-1);
        assertThat(CommunityId.icmpCounterpart(58, 144)).isEqualTo(145);
        assertThat(CommunityId.icmpCounterpart(58, 1)).isEqualTo(-1);
        // every two-way type maps back to itself
        for (int proto : new int[] {1, 58}) {
            for (int t = 0; t < 256; t++) {
                int c = CommunityId.icmpCounterpart(proto, t);
                if (c >= 0) {
                    assertThat(CommunityId.icmpCounterpart(proto, c)).isEqualTo(t);
                }
            }
        }
    }

    @Test
    void refusesWhatIsNotAFlow() throws Exception {
        byte[] v4 = InetAddress.getByName("1.2.3.4").getAddress();
        byte[] v6 = InetAddress.getByName("fe80::1").getAddress();
        assertThatThrownBy(() -> SEED0.of(v4, v6, 6, 1, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SEED0.of(v4, v4, 6, 70000, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SEED0.of(v4, v4, 1, 256, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CommunityId(65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CommunityId(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
