package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static io.xdpml.testing.Requirements.require;

import io.xdpml.packet.ParseSummary;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java layouts of kernel structs against the compiled object's BTF, read by bpftool: struct
 * sizes and every member's byte offset.
 */
class FlowLayoutTest {
    /** struct name -> size, and "struct.member" -> byte offset */
    static final Map<String, Integer> SIZES = new HashMap<>();
    static final Map<String, Integer> OFFSETS = new HashMap<>();

    @BeforeAll
    static void readBtf() throws Exception {
        Path obj = Files.createTempFile("xdp_flow", ".o");
        try (InputStream in = FlowLayoutTest.class.getResourceAsStream("/bpf/xdp_pipeline.bpf.o")) {
            assertThat(in).as("xdp_pipeline.bpf.o on the classpath").isNotNull();
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
        Matcher s = Pattern.compile("STRUCT '(\\w+)' size=(\\d+) vlen=\\d+\\n((?:\\t'.*\\n)*)").matcher(out);
        while (s.find()) {
            SIZES.put(s.group(1), Integer.parseInt(s.group(2)));
            Matcher m = Pattern.compile("\\t'(\\w+)' type_id=\\d+ bits_offset=(\\d+)").matcher(s.group(3));
            while (m.find()) {
                OFFSETS.put(s.group(1) + "." + m.group(1), Integer.parseInt(m.group(2)) / 8);
            }
        }
        assertThat(SIZES).containsKeys("xdpml_flow", "xdpml_flow_key", "xdpml_flow_dir", "xdpml_parse_summary");
    }

    @Test
    void flowKey() {
        assertThat(SIZES.get("xdpml_flow_key")).isEqualTo(FlowLayout.KEY_SIZE);
        assertThat(OFFSETS).containsEntry("xdpml_flow_key.addr_a", FlowLayout.KEY_ADDR_A)
                .containsEntry("xdpml_flow_key.addr_b", FlowLayout.KEY_ADDR_B)
                .containsEntry("xdpml_flow_key.port_a", FlowLayout.KEY_PORT_A)
                .containsEntry("xdpml_flow_key.port_b", FlowLayout.KEY_PORT_B)
                .containsEntry("xdpml_flow_key.protocol", FlowLayout.KEY_PROTOCOL)
                .containsEntry("xdpml_flow_key.ip_version", FlowLayout.KEY_IP_VERSION)
                .containsEntry("xdpml_flow_key.vlan", FlowLayout.KEY_VLAN)
                .containsEntry("xdpml_flow_key.vni", FlowLayout.KEY_VNI);
    }

    @Test
    void flowState() {
        assertThat(SIZES.get("xdpml_flow")).isEqualTo(FlowLayout.FLOW_SIZE);
        assertThat(SIZES.get("xdpml_flow_dir")).isEqualTo(FlowLayout.DIR_SIZE);
        assertThat(OFFSETS).containsEntry("xdpml_flow.first_ns", FlowLayout.FIRST_NS)
                .containsEntry("xdpml_flow.last_ns", FlowLayout.LAST_NS)
                .containsEntry("xdpml_flow.dir", FlowLayout.DIR)
                .containsEntry("xdpml_flow.iat_sum_us", FlowLayout.IAT_SUM_US)
                .containsEntry("xdpml_flow.iat_sum_sq", FlowLayout.IAT_SUM_SQ)
                .containsEntry("xdpml_flow.iat_min_us", FlowLayout.IAT_MIN_US)
                .containsEntry("xdpml_flow.iat_max_us", FlowLayout.IAT_MAX_US)
                .containsEntry("xdpml_flow.tcp_flags", FlowLayout.TCP_FLAGS)
                .containsEntry("xdpml_flow.len", FlowLayout.RUN_LEN)
                .containsEntry("xdpml_flow.iat", FlowLayout.RUN_IAT)
                .containsEntry("xdpml_flow.dir_run", FlowLayout.RUN_DIR)
                .containsEntry("xdpml_flow.initiator_is_a", FlowLayout.INITIATOR_IS_A)
                .containsEntry("xdpml_flow.closing", FlowLayout.CLOSING)
                .containsEntry("xdpml_flow.sampled", FlowLayout.SAMPLED)
                .containsEntry("xdpml_flow.verdict", FlowLayout.VERDICT)
                .containsEntry("xdpml_flow.verdict_gen", FlowLayout.VERDICT_GEN)
                .containsEntry("xdpml_flow.exported_ns", FlowLayout.EXPORTED_NS)
                .containsEntry("xdpml_flow.untimed", FlowLayout.UNTIMED)
                .containsEntry("xdpml_running.mean", FlowLayout.RUN_MEAN)
                .containsEntry("xdpml_running.mad", FlowLayout.RUN_MAD);
        assertThat(OFFSETS).containsEntry("xdpml_flow_dir.packets", FlowLayout.D_PACKETS)
                .containsEntry("xdpml_flow_dir.bytes", FlowLayout.D_BYTES)
                .containsEntry("xdpml_flow_dir.len_sum_sq", FlowLayout.D_LEN_SUM_SQ)
                .containsEntry("xdpml_flow_dir.header_bytes", FlowLayout.D_HEADER_BYTES)
                .containsEntry("xdpml_flow_dir.iat_sum_us", FlowLayout.D_IAT_SUM_US)
                .containsEntry("xdpml_flow_dir.iat_sum_sq", FlowLayout.D_IAT_SUM_SQ)
                .containsEntry("xdpml_flow_dir.last_ns", FlowLayout.D_LAST_NS)
                .containsEntry("xdpml_flow_dir.len_min", FlowLayout.D_LEN_MIN)
                .containsEntry("xdpml_flow_dir.len_max", FlowLayout.D_LEN_MAX)
                .containsEntry("xdpml_flow_dir.iat_min_us", FlowLayout.D_IAT_MIN_US)
                .containsEntry("xdpml_flow_dir.iat_max_us", FlowLayout.D_IAT_MAX_US)
                .containsEntry("xdpml_flow_dir.init_window", FlowLayout.D_INIT_WINDOW)
                .containsEntry("xdpml_flow_dir.data_packets", FlowLayout.D_DATA_PACKETS)
                .containsEntry("xdpml_flow_dir.untimed", FlowLayout.D_UNTIMED);
    }

    @Test
    void flowRecord() {
        assertThat(SIZES.get("xdpml_flow_record")).isEqualTo(FlowLayout.RECORD_SIZE);
        assertThat(OFFSETS).containsEntry("xdpml_flow_record.time_ns", FlowLayout.RECORD_TIME_NS)
                .containsEntry("xdpml_flow_record.reason", FlowLayout.RECORD_REASON)
                .containsEntry("xdpml_flow_record.key", FlowLayout.RECORD_KEY)
                .containsEntry("xdpml_flow_record.flow", FlowLayout.RECORD_FLOW);
    }

    @Test
    void parseSummary() {
        assertThat(SIZES.get("xdpml_parse_summary")).isEqualTo(ParseSummary.SIZE);
        assertThat(OFFSETS).containsEntry("xdpml_parse_summary.flags", ParseSummary.FLAGS_OFFSET)
                .containsEntry("xdpml_parse_summary.error", ParseSummary.ERROR_OFFSET)
                .containsEntry("xdpml_parse_summary.vlan_depth", ParseSummary.VLAN_DEPTH_OFFSET)
                .containsEntry("xdpml_parse_summary.inner_vlan_depth", ParseSummary.INNER_VLAN_DEPTH_OFFSET)
                .containsEntry("xdpml_parse_summary.l3_off", ParseSummary.L3_OFFSET_OFFSET)
                .containsEntry("xdpml_parse_summary.l4_off", ParseSummary.L4_OFFSET_OFFSET)
                .containsEntry("xdpml_parse_summary.l4_proto", ParseSummary.L4_PROTO_OFFSET)
                .containsEntry("xdpml_parse_summary.ipv6_ext", ParseSummary.IPV6_EXT_OFFSET)
                .containsEntry("xdpml_parse_summary.sport", ParseSummary.SPORT_OFFSET)
                .containsEntry("xdpml_parse_summary.dport", ParseSummary.DPORT_OFFSET)
                .containsEntry("xdpml_parse_summary.vni", ParseSummary.VNI_OFFSET);
    }

    @Test
    void flowCountersMatchTheHeader() throws Exception {
        String h = Files.readString(Path.of("bpf/include/xdpml/flow.h"));
        Map<String, Integer> c = io.xdpml.packet.ParseCounterHeaderTest.enumValues(h, "xdpml_flow_counter");
        for (FlowCounter fc : FlowCounter.values()) {
            assertThat(c).containsEntry("XDPML_FC_" + fc.name(), fc.id());
        }
        assertThat(c).containsEntry("XDPML_FC_MAX", FlowCounter.SLOTS);
        Map<String, Integer> r = io.xdpml.packet.ParseCounterHeaderTest.enumValues(h, "xdpml_flow_reason");
        for (FlowReason fr : FlowReason.values()) {
            if (fr == FlowReason.END) { // Java only: never in a kernel record
                assertThat(r).doesNotContainValue(fr.id());
                continue;
            }
            assertThat(r).containsEntry("XDPML_FR_" + fr.name(), fr.id());
        }
    }
}
