package io.xdpml.agent.config;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Paths written in the YAML file, which are relative to the YAML file's directory: absolute for
 * the configuration, and as the user would write them (relative to where they named the YAML
 * file) for messages.
 */
final class ConfigPaths {
    private final Path yamlFile;

    ConfigPaths(Path yamlFile) {
        this.yamlFile = yamlFile;
    }

    /**
     * The path at {@code key} of {@code section}, or null when absent or not a usable path (reported).
     */
    Located read(SectionReader section, String key) {
        String text = section.string(key, null);
        if (text == null) {
            return null;
        }
        try {
            Path given = Path.of(text);
            Path dir = yamlFile.getParent();
            Path shown = given.isAbsolute() || dir == null ? given.normalize() : dir.resolve(given).normalize();
            Path absolute = yamlFile.toAbsolutePath().getParent().resolve(given).normalize();
            return new Located(absolute, shown, section.lineOf(key));
        } catch (InvalidPathException e) {
            section.problem(key, "'" + text + "' is not a path: " + e.getReason());
            return null;
        }
    }

    /** Why a file could not be read, for messages: "AccessDeniedException (/etc/x)". */
    static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /**
     * @param absolute for the configuration
     * @param shown    for messages
     * @param line     the YAML line naming it
     */
    record Located(Path absolute, Path shown, int line) {}
}
