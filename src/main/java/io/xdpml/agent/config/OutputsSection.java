package io.xdpml.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What the agent writes.
 *
 * @param json   detections as JSON lines to this file (absolute when it comes from the file), or null: none
 * @param status interval of the status line; zero: none
 */
public record OutputsSection(Path json, Duration status) {
    public static final Duration DEFAULT_STATUS = Duration.ofSeconds(1);

    public OutputsSection {
        Limits.notNegative("outputs.status", Objects.requireNonNull(status));
    }

    /** No JSON file, a status line every second. */
    public static OutputsSection defaults() {
        return new OutputsSection(null, DEFAULT_STATUS);
    }

    public OutputsSection withJson(Path file) {
        return new OutputsSection(file, status);
    }

    String describe() {
        return "outputs: " + (json == null ? "no JSON" : "detections as JSON lines to " + json) + ", "
                + (status.isZero() ? "no status line" : "status every " + Durations.format(status));
    }
}
