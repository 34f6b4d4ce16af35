package io.xdpml.agent.config;

import io.xdpml.kernel.XdpMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code interfaces}: a list of names, or of {@code {name: eth0, mode: native|generic|auto}}. */
final class InterfacesReader {
    private static final List<String> MODES = List.of("auto", "native", "generic");

    private InterfacesReader() {}

    static List<InterfaceSpec> read(SectionReader top) {
        Problems problems = top.problems();
        YamlNode value = top.value("interfaces");
        if (value == null) {
            problems.at(1, "'interfaces' is missing: name the interfaces to attach to (e.g. interfaces: [eth0])");
            return List.of();
        }
        int keyLine = top.lineOf("interfaces");
        if (!(value instanceof YamlNode.Sequence list)) {
            problems.at(keyLine, "interfaces: expected a list of interfaces ([eth0, eth1]), not " + value.description());
            return List.of();
        }
        if (list.items().isEmpty()) {
            problems.at(keyLine, "interfaces: the list is empty: name at least one interface");
            return List.of();
        }
        List<InterfaceSpec> out = new ArrayList<>();
        Map<String, Integer> firstLine = new HashMap<>();
        for (YamlNode item : list.items()) {
            InterfaceSpec spec = item(item, problems);
            if (spec == null) {
                continue;
            }
            Integer first = firstLine.putIfAbsent(spec.name(), item.line());
            if (first != null) {
                problems.at(item.line(), "interfaces: '" + spec.name() + "' is listed twice (first on line " + first + ")");
            } else {
                out.add(spec);
            }
        }
        return out;
    }

    /** One entry, or null when it is wrong (reported). */
    private static InterfaceSpec item(YamlNode item, Problems problems) {
        String name;
        String mode = "auto";
        if (item instanceof YamlNode.Scalar s && s.type() == YamlNode.Scalar.Type.STRING) {
            name = s.text();
        } else if (item instanceof YamlNode.Mapping) {
            SectionReader entry = new SectionReader("interfaces", item.line(), item, problems, List.of("name", "mode"));
            if (!entry.has("name")) {
                problems.at(item.line(), "interfaces: an entry needs 'name'");
                return null;
            }
            name = entry.string("name", null);
            mode = entry.choice("mode", MODES, "auto");
            if (name == null) {
                return null;
            }
        } else {
            problems.at(item.line(), "interfaces: expected an interface name or {name: ..., mode: ...}, not " + item.description());
            return null;
        }
        String problem = InterfaceSpec.nameProblem(name);
        if (problem != null) {
            problems.at(item.line(), "interfaces: " + problem);
            return null;
        }
        return new InterfaceSpec(name, XdpMode.valueOf(mode.toUpperCase(Locale.ROOT)));
    }
}
