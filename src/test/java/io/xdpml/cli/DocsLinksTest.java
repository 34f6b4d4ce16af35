package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation stands on its own: every relative link of README.md, BENCHMARKS.md and docs/
 * leads to a file of the repository, and no text cites DESIGN.md, a file that is not in it (the
 * facts the docs rely on are in docs/machine-facts.md).
 */
class DocsLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    static List<Path> docs() throws IOException {
        List<Path> out = new ArrayList<>(List.of(Path.of("README.md"), Path.of("BENCHMARKS.md")));
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
        }
        return out;
    }

    /** The relative links of a markdown text that lead nowhere from {@code dir}. */
    static List<String> brokenLinks(Path dir, String text) {
        List<String> broken = new ArrayList<>();
        Matcher m = LINK.matcher(text);
        while (m.find()) {
            String target = m.group(1);
            if (target.matches("[a-z]+:.*") || target.startsWith("#")) {
                continue; // a URL or an anchor in the same file
            }
            String file = target.replaceFirst("#.*$", "");
            if (!Files.exists(dir.resolve(file))) {
                broken.add(target);
            }
        }
        return broken;
    }

    @Test
    void everyRelativeLinkLeadsToAFile() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path doc : docs()) {
            Path dir = doc.getParent() == null ? Path.of("") : doc.getParent();
            brokenLinks(dir, Files.readString(doc)).forEach(t -> problems.add(doc + ": " + t));
        }
        assertThat(problems).isEmpty();
        assertThat(brokenLinks(Path.of("docs"), "[a](kernel.md) [b](../BENCHMARKS.md#x) [c](nowhere.md) [d](https://x.org)"))
                .containsExactly("nowhere.md");
    }

    @Test
    void everyBpfProgramTheDocsNameExists() throws IOException {
        // BENCHMARKS.md is a record: it may name a program that was measured then and is gone now.
        Pattern program = Pattern.compile("xdp_[a-z_]+\\.bpf\\.c");
        List<String> missing = new ArrayList<>();
        for (Path doc : docs()) {
            if (doc.toString().equals("BENCHMARKS.md")) {
                continue;
            }
            Matcher m = program.matcher(Files.readString(doc));
            while (m.find()) {
                if (!Files.exists(Path.of("bpf", m.group())) && !Files.exists(Path.of("bpf/test", m.group()))) {
                    missing.add(doc + ": " + m.group());
                }
            }
        }
        assertThat(missing).as("BPF programs the docs name that are not in bpf/").isEmpty();
    }

    @Test
    void nothingCitesAFileOutsideTheRepository() throws IOException {
        List<Path> texts = new ArrayList<>(docs());
        try (Stream<Path> s = Stream.concat(Files.walk(Path.of("src")), Stream.concat(Files.walk(Path.of("bpf")), Files.walk(Path.of("scripts"))))) {
            s.filter(Files::isRegularFile).forEach(texts::add);
        }
        List<String> citing = new ArrayList<>();
        for (Path p : texts) {
            if (p.toString().endsWith("DocsLinksTest.java")) {
                continue;
            }
            String text = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (text.contains("DESIGN.md")) {
                citing.add(p.toString());
            }
        }
        assertThat(citing).as("cite DESIGN.md, which is not in the repository").isEmpty();
        assertThat(Path.of("docs/machine-facts.md")).exists();
    }
}
