package io.xdpml.xsk;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link XskMetadata}'s offsets against struct xdpml_xsk_meta in the compiled object's BTF (bpftool). */
class XskLayoutTest {
    @Test
    void metadataLayoutMatchesTheBtf() throws Exception {
        Path obj = Files.createTempFile("xdp_xsk", ".o");
        try (InputStream in = XskLayoutTest.class.getResourceAsStream("/bpf/xdp_pipeline.bpf.o")) {
            assertThat(in).as("xdp_pipeline.bpf.o on the classpath").isNotNull();
            Files.write(obj, in.readAllBytes());
        }
        String out;
        try {
            Process p = new ProcessBuilder("bpftool", "btf", "dump", "file", obj.toString()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
        } catch (java.io.IOException e) {
            require(false, "bpftool not installed");
            return;
        } finally {
            Files.delete(obj);
        }
        Matcher s = Pattern.compile("STRUCT 'xdpml_xsk_meta' size=(\\d+) vlen=\\d+\\n((?:\\t'.*\\n)*)").matcher(out);
        assertThat(s.find()).as("struct xdpml_xsk_meta in the BTF").isTrue();
        assertThat(Integer.parseInt(s.group(1))).isEqualTo(XskMetadata.SIZE);
        Map<String, Integer> off = new HashMap<>();
        Matcher m = Pattern.compile("\\t'(\\w+)' type_id=\\d+ bits_offset=(\\d+)").matcher(s.group(2));
        while (m.find()) off.put(m.group(1), Integer.parseInt(m.group(2)) / 8);
        assertThat(off).containsExactlyInAnyOrderEntriesOf(Map.of(
                "magic", XskMetadata.MAGIC_OFFSET,
                "flow_hash", XskMetadata.FLOW_HASH_OFFSET,
                "parse_flags", XskMetadata.PARSE_FLAGS_OFFSET,
                "parse_error", XskMetadata.PARSE_ERROR_OFFSET,
                "verdict", XskMetadata.VERDICT_OFFSET,
                "rx_queue", XskMetadata.RX_QUEUE_OFFSET));
        Matcher magic = Pattern.compile("#define XDPML_XSK_META_MAGIC (0x[0-9a-f]+)")
                .matcher(Files.readString(Path.of("bpf/include/xdpml/xsk.h")));
        assertThat(magic.find()).isTrue();
        assertThat(Integer.parseUnsignedInt(magic.group(1).substring(2), 16)).isEqualTo(XskMetadata.MAGIC);
    }

    @Test
    void counterNamesFollowTheHeaderEnum() throws Exception {
        String h = Files.readString(Path.of("bpf/include/xdpml/xsk.h"));
        Matcher m = Pattern.compile("XDPML_XC_(\\w+)").matcher(h.substring(h.indexOf("enum xdpml_xsk_counter")));
        java.util.List<String> names = new java.util.ArrayList<>();
        while (m.find()) if (!m.group(1).equals("MAX")) names.add(m.group(1));
        assertThat(names).containsExactly(java.util.Arrays.stream(XskCounter.values()).map(Enum::name).toArray(String[]::new));
        assertThat(h).contains("XDPML_XC_MAX = " + XskCounter.SLOTS);
    }
}
