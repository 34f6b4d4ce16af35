package io.xdpml.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The C headers and their Java twins must agree: counters, flags and parser limits. */
public class ParseCounterHeaderTest {
    private static final Path INCLUDE = Path.of("bpf/include/xdpml");

    /** Evaluates the enumerators of a C enum (implicit increments and "= OTHER" references). */
    public static Map<String, Integer> enumValues(String source, String enumName) {
        Matcher m = Pattern.compile("enum " + enumName + "\\s*\\{(.*?)\\};", Pattern.DOTALL).matcher(source);
        assertThat(m.find()).as("enum %s in header", enumName).isTrue();
        String body = m.group(1).replaceAll("/\\*.*?\\*/", "");
        Map<String, Integer> values = new LinkedHashMap<>();
        int next = 0;
        for (String item : body.split(",")) {
            item = item.strip();
            if (item.isEmpty()) {
                continue;
            }
            String[] kv = item.split("=");
            String name = kv[0].strip();
            int v;
            if (kv.length > 1) {
                String expr = kv[1].strip();
                Matcher shift = Pattern.compile("\\(?1 << (\\d+)\\)?(?:\\s*-\\s*1)?").matcher(expr);
                if (values.containsKey(expr)) {
                    v = values.get(expr);
                } else if (expr.startsWith("(1 << ") && expr.endsWith("- 1")) {
                    Matcher n = Pattern.compile("\\d+").matcher(expr.substring(6));
                    n.find();
                    v = (1 << Integer.parseInt(n.group())) - 1;
                } else if (shift.matches()) {
                    v = 1 << Integer.parseInt(shift.group(1));
                } else {
                    v = Integer.decode(expr);
                }
            } else {
                v = next;
            }
            values.put(name, v);
            next = v + 1;
        }
        return values;
    }

    @Test
    void countersMatchCountersH() throws IOException {
        Map<String, Integer> c = enumValues(Files.readString(INCLUDE.resolve("counters.h")), "xdpml_counter");
        for (ParseCounter pc : ParseCounter.values()) {
            assertThat(c).as(pc.cName()).containsEntry(pc.cName(), pc.id());
        }
        assertThat(c).containsEntry("XDPML_COUNTER_MAX", ParseCounter.SLOTS).containsEntry("XDPML_E_FIRST",
                ParseCounter.FIRST_ERROR);
        long named = c.keySet().stream().filter(k -> !k.equals("XDPML_COUNTER_MAX") && !k.equals("XDPML_E_FIRST")).count();
        assertThat(named).as("every C counter has a Java twin").isEqualTo(ParseCounter.values().length);
    }

    @Test
    void flagsAndLimitsMatchParseH() throws IOException {
        String h = Files.readString(INCLUDE.resolve("parse.h"));
        Map<String, Integer> f = enumValues(h, "xdpml_flag");
        assertThat(f).containsEntry("XDPML_F_ETHERNET", ParseFlags.ETHERNET).containsEntry("XDPML_F_VLAN", ParseFlags.VLAN)
                .containsEntry("XDPML_F_IPV4", ParseFlags.IPV4).containsEntry("XDPML_F_IPV6", ParseFlags.IPV6)
                .containsEntry("XDPML_F_TCP", ParseFlags.TCP).containsEntry("XDPML_F_UDP", ParseFlags.UDP)
                .containsEntry("XDPML_F_ICMP", ParseFlags.ICMP).containsEntry("XDPML_F_ICMPV6", ParseFlags.ICMPV6)
                .containsEntry("XDPML_F_VXLAN", ParseFlags.VXLAN).containsEntry("XDPML_F_FRAGMENT", ParseFlags.FRAGMENT)
                .containsEntry("XDPML_F_LATER_FRAGMENT", ParseFlags.LATER_FRAGMENT);
        assertThat(define(h, "XDPML_MAX_VLAN")).isEqualTo(PacketParser.MAX_VLAN);
        assertThat(define(h, "XDPML_MAX_IPV6_EXT")).isEqualTo(PacketParser.MAX_IPV6_EXT);
        assertThat(define(h, "XDPML_MAX_HDR_OFF")).isEqualTo(PacketParser.MAX_HEADER_OFFSET);
        assertThat(define(h, "XDPML_VXLAN_PORT_DEFAULT")).isEqualTo(TransportHeaders.VXLAN_DEFAULT_PORT);
        assertThat(define(Files.readString(INCLUDE.resolve("counters.h")), "XDPML_FLAG_COMBOS"))
                .isEqualTo(ParseCounters.FLAG_COMBOS);
        // each counted flag bit i is counter i + 1
        for (int i = 0; i < ParseFlags.COUNTED_BITS; i++) {
            assertThat(ParseCounter.byId(i + 1)).isNotNull();
        }
        assertThat(ParseCounter.byId(ParseFlags.COUNTED_BITS)).isEqualTo(ParseCounter.FRAGMENTS);
    }

    private static int define(String h, String name) {
        Matcher m = Pattern.compile("#define " + name + "\\s+(\\w+)").matcher(h);
        assertThat(m.find()).as(name).isTrue();
        return Integer.decode(m.group(1));
    }
}
