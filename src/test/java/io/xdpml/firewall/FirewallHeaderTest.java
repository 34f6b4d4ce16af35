package io.xdpml.firewall;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.ParseCounterHeaderTest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** firewall.h and its Java twins agree: counter ids, and every struct's size and offsets (from the object's BTF). */
class FirewallHeaderTest {
    @Test
    void countersMatchFirewallH() throws Exception {
        Map<String, Integer> c = ParseCounterHeaderTest.enumValues(
                Files.readString(Path.of("bpf/include/xdpml/firewall.h")), "xdpml_fw_counter");
        for (FirewallCounter fc : FirewallCounter.values()) {
            assertThat(c).as(fc.cName()).containsEntry(fc.cName(), fc.id());
        }
        assertThat(c).containsEntry("XDPML_FWC_MAX", FirewallCounter.SLOTS);
        assertThat(c).hasSize(FirewallCounter.values().length + 1);
    }

    @Test
    void layoutsMatchTheObjectsBtf() throws Exception {
        Path obj = Files.createTempFile("xdp_firewall", ".o");
        try (InputStream in = getClass().getResourceAsStream("/bpf/xdp_pipeline.bpf.o")) {
            assertThat(in).isNotNull();
            Files.write(obj, in.readAllBytes());
        }
        Process p;
        try {
            p = new ProcessBuilder("bpftool", "btf", "dump", "file", obj.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            require(false, "bpftool not installed");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Files.delete(obj);
        Map<String, Integer> sizes = new HashMap<>();
        Map<String, Integer> offsets = new HashMap<>();
        Matcher s = Pattern.compile("STRUCT '(\\w+)' size=(\\d+) vlen=\\d+\\n((?:\\t'.*\\n)*)").matcher(out);
        while (s.find()) {
            sizes.put(s.group(1), Integer.parseInt(s.group(2)));
            Matcher m = Pattern.compile("\\t'(\\w+)' type_id=\\d+ bits_offset=(\\d+)").matcher(s.group(3));
            while (m.find()) {
                offsets.put(s.group(1) + "." + m.group(1), Integer.parseInt(m.group(2)) / 8);
            }
        }
        assertThat(sizes).containsEntry("xdpml_fw_prefix_key", FirewallLayout.PREFIX_KEY_SIZE)
                .containsEntry("xdpml_fw_rule_key", FirewallLayout.RULE_KEY_SIZE)
                .containsEntry("xdpml_fw_rule", FirewallLayout.RULE_SIZE)
                .containsEntry("xdpml_fw_config", FirewallLayout.CONFIG_SIZE)
                .containsEntry("xdpml_fw_ct_key", FirewallLayout.CT_KEY_SIZE)
                .containsEntry("xdpml_fw_ct", FirewallLayout.CT_SIZE)
                .containsEntry("xdpml_fw_rate_key", FirewallLayout.RATE_KEY_SIZE)
                .containsEntry("xdpml_fw_rate", FirewallLayout.RATE_SIZE)
                .containsEntry("xdpml_fw_counters", FirewallLayout.COUNTERS_SIZE)
                .containsEntry("xdpml_fw_measure_key", FirewallLayout.MEASURE_KEY_SIZE)
                .containsEntry("xdpml_fw_measure", FirewallLayout.MEASURE_SIZE)
                .containsEntry("xdpml_fw_bucket", 16);
        Map<String, Integer> expected = new HashMap<>();
        expected.put("xdpml_fw_prefix_key.gen", FirewallLayout.PREFIX_KEY_GEN);
        expected.put("xdpml_fw_prefix_key.kind", FirewallLayout.PREFIX_KEY_KIND);
        expected.put("xdpml_fw_prefix_key.family", FirewallLayout.PREFIX_KEY_FAMILY);
        expected.put("xdpml_fw_prefix_key.addr", FirewallLayout.PREFIX_KEY_ADDR);
        expected.put("xdpml_fw_rule_key.gen", FirewallLayout.RULE_KEY_GEN);
        expected.put("xdpml_fw_rule_key.proto", FirewallLayout.RULE_KEY_PROTO);
        expected.put("xdpml_fw_rule_key.src_set", FirewallLayout.RULE_KEY_SRC_SET);
        expected.put("xdpml_fw_rule_key.dst_set", FirewallLayout.RULE_KEY_DST_SET);
        expected.put("xdpml_fw_rule_key.port", FirewallLayout.RULE_KEY_PORT);
        expected.put("xdpml_fw_rule.slot", FirewallLayout.RULE_SLOT);
        expected.put("xdpml_fw_rule.action", FirewallLayout.RULE_ACTION);
        expected.put("xdpml_fw_config.default_action", FirewallLayout.CONFIG_DEFAULT_ACTION);
        expected.put("xdpml_fw_config.malformed_pass", FirewallLayout.CONFIG_MALFORMED_PASS);
        expected.put("xdpml_fw_config.conntrack", FirewallLayout.CONFIG_CONNTRACK);
        expected.put("xdpml_fw_config.ct_strict", FirewallLayout.CONFIG_CT_STRICT);
        expected.put("xdpml_fw_config.has_deny_src", FirewallLayout.CONFIG_HAS_DENY_SRC);
        expected.put("xdpml_fw_config.has_deny_dst", FirewallLayout.CONFIG_HAS_DENY_DST);
        expected.put("xdpml_fw_config.has_allow_src", FirewallLayout.CONFIG_HAS_ALLOW_SRC);
        expected.put("xdpml_fw_config.has_allow_dst", FirewallLayout.CONFIG_HAS_ALLOW_DST);
        expected.put("xdpml_fw_config.has_rules", FirewallLayout.CONFIG_HAS_RULES);
        expected.put("xdpml_fw_config.syn_cookies", FirewallLayout.CONFIG_SYN_COOKIES);
        expected.put("xdpml_fw_config.tunnel_check", FirewallLayout.CONFIG_TUNNEL_CHECK);
        expected.put("xdpml_fw_config.timeout_syn_ns", FirewallLayout.CONFIG_TIMEOUT_SYN);
        expected.put("xdpml_fw_config.timeout_est_ns", FirewallLayout.CONFIG_TIMEOUT_EST);
        expected.put("xdpml_fw_config.timeout_fin_ns", FirewallLayout.CONFIG_TIMEOUT_FIN);
        expected.put("xdpml_fw_config.timeout_udp_ns", FirewallLayout.CONFIG_TIMEOUT_UDP);
        expected.put("xdpml_fw_config.rate_pps", FirewallLayout.CONFIG_RATE_PPS);
        expected.put("xdpml_fw_config.rate_cap", FirewallLayout.CONFIG_RATE_CAP);
        expected.put("xdpml_fw_config.syn_pps", FirewallLayout.CONFIG_SYN_PPS);
        expected.put("xdpml_fw_config.syn_cap", FirewallLayout.CONFIG_SYN_CAP);
        expected.put("xdpml_fw_config.rule_count", FirewallLayout.CONFIG_RULE_COUNT);
        expected.put("xdpml_fw_config.flood_pps", FirewallLayout.CONFIG_FLOOD_PPS);
        expected.put("xdpml_fw_config.flood_cap", FirewallLayout.CONFIG_FLOOD_CAP);
        expected.put("xdpml_fw_config.stamp", FirewallLayout.CONFIG_STAMP);
        expected.put("xdpml_fw_config.bare_pps", FirewallLayout.CONFIG_BARE_PPS);
        expected.put("xdpml_fw_config.bare_cap", FirewallLayout.CONFIG_BARE_CAP);
        expected.put("xdpml_fw_ct_key.addr_a", FirewallLayout.CT_KEY_ADDR_A);
        expected.put("xdpml_fw_ct_key.addr_b", FirewallLayout.CT_KEY_ADDR_B);
        expected.put("xdpml_fw_ct_key.port_a", FirewallLayout.CT_KEY_PORT_A);
        expected.put("xdpml_fw_ct_key.port_b", FirewallLayout.CT_KEY_PORT_B);
        expected.put("xdpml_fw_ct_key.proto", FirewallLayout.CT_KEY_PROTO);
        expected.put("xdpml_fw_ct_key.family", FirewallLayout.CT_KEY_FAMILY);
        expected.put("xdpml_fw_ct_key.vni", FirewallLayout.CT_KEY_VNI);
        expected.put("xdpml_fw_rate_key.family", FirewallLayout.RATE_KEY_FAMILY);
        expected.put("xdpml_fw_rate_key.vni", FirewallLayout.RATE_KEY_VNI);
        expected.put("xdpml_fw_ct.last_ns", FirewallLayout.CT_LAST_NS);
        expected.put("xdpml_fw_ct.state", FirewallLayout.CT_STATE);
        expected.put("xdpml_fw_ct.initiator_is_a", FirewallLayout.CT_INITIATOR_IS_A);
        expected.put("xdpml_fw_ct.fin_seen", FirewallLayout.CT_FIN_SEEN);
        expected.put("xdpml_fw_ct.seq_known", FirewallLayout.CT_SEQ_KNOWN);
        expected.put("xdpml_fw_ct.next_seq", FirewallLayout.CT_NEXT_SEQ);
        expected.put("xdpml_fw_measure_key.victim", FirewallLayout.MEASURE_KEY_VICTIM);
        expected.put("xdpml_fw_measure_key.proto", FirewallLayout.MEASURE_KEY_PROTO);
        expected.put("xdpml_fw_measure_key.kind", FirewallLayout.MEASURE_KEY_KIND);
        expected.put("xdpml_fw_measure_key.port", FirewallLayout.MEASURE_KEY_PORT);
        expected.put("xdpml_fw_measure.expires_ns", FirewallLayout.MEASURE_EXPIRES_NS);
        expected.put("xdpml_fw_measure.hits", FirewallLayout.MEASURE_HITS);
        expected.put("xdpml_fw_measure.pps", FirewallLayout.MEASURE_PPS);
        expected.put("xdpml_fw_measure.cap", FirewallLayout.MEASURE_CAP);
        expected.put("xdpml_fw_measure.b", FirewallLayout.MEASURE_LEVEL);
        expected.put("xdpml_fw_bucket.level", FirewallLayout.MEASURE_LEVEL - FirewallLayout.MEASURE_LEVEL);
        expected.put("xdpml_fw_bucket.last_ns", FirewallLayout.MEASURE_LAST_NS - FirewallLayout.MEASURE_LEVEL);
        expected.put("xdpml_fw_verdict.reason", FirewallLayout.VERDICT_REASON);
        expected.put("xdpml_fw_verdict.slot", FirewallLayout.VERDICT_SLOT);
        for (var e : expected.entrySet()) {
            assertThat(offsets).as(e.getKey()).containsEntry(e.getKey(), e.getValue());
        }
    }
}
