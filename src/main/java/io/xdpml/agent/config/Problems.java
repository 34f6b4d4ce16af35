package io.xdpml.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The problems found while loading one YAML file. They are reported in the YAML file's line order;
 * a problem in another file (a firewall rules file) sits at the line of the YAML key naming it.
 */
final class Problems {
    private record Found(int yamlLine, int sequence, ConfigProblem problem) {}

    private final Path file;
    private final List<Found> found = new ArrayList<>();

    Problems(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** A problem at {@code line} of the YAML file. */
    void at(int line, String reason) {
        found.add(new Found(line, found.size(), new ConfigProblem(file, line, reason)));
    }

    /** A problem at {@code line} of {@code other}, a file the YAML file names at {@code yamlLine}. */
    void inFile(Path other, int line, int yamlLine, String reason) {
        found.add(new Found(yamlLine, found.size(), new ConfigProblem(other, line, reason)));
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    int count() {
        return found.size();
    }

    List<ConfigProblem> sorted() {
        return found.stream().sorted(Comparator.comparingInt(Found::yamlLine).thenComparingInt(Found::sequence))
                .map(Found::problem).toList();
    }
}
