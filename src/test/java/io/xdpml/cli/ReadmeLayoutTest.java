package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's layout table (under "## Layout") names every BPF program, every shared BPF header and
 * every Java package of the main sources, and names nothing that is not there.
 */
class ReadmeLayoutTest {
    private static final Path ROOT = Path.of("");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** The names in the first column of the layout table. */
    static Set<String> layoutNames(List<String> readme) {
        int start = readme.indexOf("## Layout");
        assertThat(start).as("README has a '## Layout' section").isNotNegative();
        Set<String> names = new LinkedHashSet<>();
        int i = start + 1;
        while (i < readme.size() && !readme.get(i).startsWith("|")) {
            i++;
        }
        for (; i < readme.size() && readme.get(i).startsWith("|"); i++) {
            String first = readme.get(i).split("\\|")[1];
            Matcher m = CODE.matcher(first);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static Set<String> names() throws IOException {
        return layoutNames(Files.readAllLines(ROOT.resolve("README.md")));
    }

    private static List<String> files(String dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve(dir))) {
            return s.map(p -> dir + "/" + p.getFileName()).filter(n -> n.endsWith(suffix)).sorted().toList();
        }
    }

    /** Every package of src/main/java that holds a class. */
    static List<String> packages() throws IOException {
        Path src = ROOT.resolve("src/main/java");
        try (Stream<Path> s = Files.walk(src)) {
            return s.filter(p -> p.toString().endsWith(".java"))
                    .map(p -> src.relativize(p.getParent()).toString().replace('/', '.'))
                    .distinct().sorted().toList();
        }
    }

    @Test
    void everyBpfProgramAndHeaderIsNamed() throws IOException {
        Set<String> names = names();
        List<String> bpf = new ArrayList<>(files("bpf", ".bpf.c"));
        bpf.addAll(files("bpf/include/xdpml", ".h"));
        assertThat(bpf).contains("bpf/xdp_pipeline.bpf.c", "bpf/xdp_vxlan_gw.bpf.c", "bpf/include/xdpml/mitigation.h",
                "bpf/include/xdpml/vxlan_gw.h");
        assertThat(names).containsAll(bpf);
    }

    @Test
    void everyMainPackageIsNamed() throws IOException {
        List<String> packages = packages();
        assertThat(packages).contains("io.xdpml.cli", "io.xdpml.output", "io.xdpml.output.ipfix", "io.xdpml.model.onnx");
        assertThat(names()).containsAll(packages);
    }

    @Test
    void everythingNamedExists() throws IOException {
        List<String> packages = packages();
        List<String> missing = new ArrayList<>();
        for (String n : names()) {
            boolean exists = n.startsWith("io.xdpml") ? packages.contains(n) : Files.exists(ROOT.resolve(n));
            if (!exists) {
                missing.add(n);
            }
        }
        assertThat(missing).as("named in the README's layout table but not in the repository").isEmpty();
    }

    @Test
    void theTableIsReadFromItsFirstColumn() {
        Set<String> names = layoutNames(List.of("## Layout", "", "| path | holds |", "|---|---|",
                "| `bpf/a.bpf.c`, `bpf/b.bpf.c` | not `io.xdpml.x` here |", "| `io.xdpml.y` | y |", "", "| `later` | no |"));
        assertThat(names).containsExactly("bpf/a.bpf.c", "bpf/b.bpf.c", "io.xdpml.y");
    }
}
