package io.xdpml.agent.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing wrong with an agent configuration: the file it is in (the YAML file, or a firewall
 * rules file it names), the line (1-based; 0 for the file as a whole, e.g. when it cannot be
 * read) and why.
 */
public record ConfigProblem(Path file, int line, String reason) {
    public ConfigProblem {
        Objects.requireNonNull(file);
        Objects.requireNonNull(reason);
        if (line < 0) {
            throw new IllegalArgumentException("line must be >= 0, not " + line);
        }
    }

    /** {@code FILE:LINE: reason}, or {@code FILE: reason} for line 0. */
    @Override
    public String toString() {
        return line == 0 ? file + ": " + reason : file + ":" + line + ": " + reason;
    }
}
