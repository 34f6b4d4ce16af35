package io.xdpml.agent.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML text into {@link YamlNode}s with Jackson's streaming {@link YAMLParser}, which gives
 * every token its line. Repeated keys are found here rather than by Jackson's
 * STRICT_DUPLICATE_DETECTION, which stops the parse at the first one: this way each is reported
 * (with the line of the first) and the rest of the file is still checked.
 */
final class YamlTreeReader {
    private static final YAMLFactory YAML = YAMLFactory.builder().build();

    private final String[] lines;
    private final Problems problems;

    private YamlTreeReader(String text, Problems problems) {
        this.lines = text.split("\r?\n", -1);
        this.problems = problems;
    }

    /** The document's root, or null when there is none or the YAML is malformed (a problem is added then). */
    static YamlNode read(String text, Problems problems) {
        return new YamlTreeReader(text, problems).read(text);
    }

    private YamlNode read(String text) {
        try (YAMLParser p = YAML.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                problems.at(1, "the file is empty: it needs at least 'interfaces'");
                return null;
            }
            YamlNode root = node(p, first);
            if (p.nextToken() != null) {
                problems.at(line(p), "a second YAML document ('---'): the configuration is one document");
            }
            return root;
        } catch (JsonProcessingException e) {
            problems.at(syntaxLine(e), "YAML syntax: " + syntaxReason(e));
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String does no I/O
        }
    }

    private YamlNode node(YAMLParser p, JsonToken t) throws IOException {
        int line = line(p);
        return switch (t) {
            case START_OBJECT -> mapping(p, line);
            case START_ARRAY -> sequence(p, line);
            default -> scalar(p, t, line);
        };
    }

    private YamlNode.Mapping mapping(YAMLParser p, int line) throws IOException {
        List<YamlNode.Entry> entries = new ArrayList<>();
        Map<String, Integer> firstLine = new HashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            int keyLine = line(p);
            YamlNode value = node(p, p.nextToken());
            Integer first = firstLine.putIfAbsent(key, keyLine);
            if (first != null) {
                problems.at(keyLine, "key '" + key + "' is given twice (first on line " + first + ")");
            } else {
                entries.add(new YamlNode.Entry(key, keyLine, value));
            }
        }
        expect(t, JsonToken.END_OBJECT);
        return new YamlNode.Mapping(line, entries);
    }

    private YamlNode.Sequence sequence(YAMLParser p, int line) throws IOException {
        List<YamlNode> items = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                expect(null, JsonToken.END_ARRAY);
            }
            items.add(node(p, t));
        }
        return new YamlNode.Sequence(line, items);
    }

    private YamlNode.Scalar scalar(YAMLParser p, JsonToken t, int line) throws IOException {
        if (p.isCurrentAlias()) {
            problems.at(line, "YAML aliases (*" + p.getText() + ") are not supported here: write the value out");
            return new YamlNode.Scalar(line, YamlNode.Scalar.Type.NULL, "", null, false);
        }
        String text = p.getText();
        return switch (t) {
            // "key:" with nothing after it is an empty plain scalar, which Jackson gives as "" (YAML says null)
            case VALUE_STRING -> text.isEmpty() && !startsWithAnyOf(p, "\"'|>")
                    ? new YamlNode.Scalar(line, YamlNode.Scalar.Type.NULL, "", null, false)
                    : new YamlNode.Scalar(line, YamlNode.Scalar.Type.STRING, text, null, startsWithAnyOf(p, "|"));
            case VALUE_NUMBER_INT -> {
                if (text.matches("[-+]?0[0-9_]+")) { // YAML 1.1 octal: 04789 would be read as 2537
                    problems.at(line, "'" + text + "': a number with a leading zero is octal in YAML 1.1 (" + p.getBigIntegerValue()
                            + "); write it without the zero (or as 0x.. for hexadecimal), or quote it if it is text ('" + text + "')");
                }
                yield new YamlNode.Scalar(line, YamlNode.Scalar.Type.INTEGER, text, p.getBigIntegerValue(), false);
            }
            case VALUE_NUMBER_FLOAT -> new YamlNode.Scalar(line, YamlNode.Scalar.Type.DECIMAL, text, null, false);
            case VALUE_TRUE, VALUE_FALSE -> new YamlNode.Scalar(line, YamlNode.Scalar.Type.BOOLEAN,
                    Boolean.toString(t == JsonToken.VALUE_TRUE), null, false);
            case VALUE_NULL -> new YamlNode.Scalar(line, YamlNode.Scalar.Type.NULL, "", null, false);
            default -> throw new IllegalStateException("unexpected YAML token " + t + " on line " + line);
        };
    }

    /**
     * Whether the scalar just read starts with one of {@code chars} in the source: a quote, or a
     * block indicator ('|' for a literal block: its text starts on the next line).
     */
    private boolean startsWithAnyOf(YAMLParser p, String chars) {
        JsonLocation at = p.currentTokenLocation();
        int line = at.getLineNr() - 1;
        int column = at.getColumnNr() - 1;
        return line >= 0 && line < lines.length && column >= 0 && column < lines[line].length()
                && chars.indexOf(lines[line].charAt(column)) >= 0;
    }

    private static void expect(JsonToken got, JsonToken wanted) {
        if (got != wanted) {
            throw new IllegalStateException("YAML reader expected " + wanted + ", got " + got);
        }
    }

    private static int line(YAMLParser p) {
        return Math.max(1, p.currentTokenLocation().getLineNr());
    }

    /**
     * The line SnakeYAML found the problem on; Jackson's own location is sometimes that of the token
     * before (a tab at the start of a line is put on the line above).
     */
    private static int syntaxLine(JsonProcessingException e) {
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
            return m.getProblemMark().getLine() + 1;
        }
        JsonLocation where = e.getLocation();
        return where == null ? 1 : Math.max(1, where.getLineNr());
    }

    /** SnakeYAML's reason without its quoted excerpt of the file (the line number says where). */
    private static String syntaxReason(JsonProcessingException e) {
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m) {
            String context = m.getContext();
            String problem = m.getProblem();
            if (problem != null) {
                return context != null ? problem + " (" + context + ")" : problem;
            }
        }
        String message = e.getOriginalMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
