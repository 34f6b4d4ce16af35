package io.xdpml.agent.config;

import io.xdpml.firewall.FirewallConfig;
import io.xdpml.firewall.FirewallConfigException;
import io.xdpml.firewall.FirewallConfigParser;
import io.xdpml.firewall.FirewallTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code firewall}: the rules inline or by file, parsed by {@link FirewallConfigParser}; each of its
 * "line N: reason" problems is put at the YAML line where rule line N sits (inline) or at line N of
 * the rules file.
 */
final class FirewallSectionReader {
    static final List<String> KEYS = List.of("enabled", "rules", "file", "max-connections", "max-sources");
    private static final Pattern LINE = Pattern.compile("line (\\d+): (.*)", Pattern.DOTALL);

    /** Rules the agent's program holds per generation (xdpml_fw_hits: two generations of 65,536, firewall.h). */
    static final int PROGRAM_RULES = 65_536;
    /** Prefix entries per generation (xdpml_fw_lists: 2^21 for both, firewall.h): a reload writes the other beside the running one. */
    static final int PROGRAM_PREFIXES = 1 << 20;

    private FirewallSectionReader() {}

    static FirewallSection read(SectionReader s, boolean enabled, ConfigPaths paths) {
        int maxConnections = (int) s.integer("max-connections", 1, Limits.MAX_TABLE, Limits.DEFAULT_TABLE);
        int maxSources = (int) s.integer("max-sources", 1, Limits.MAX_TABLE, Limits.DEFAULT_TABLE);
        boolean hasRules = s.has("rules");
        boolean hasFile = s.has("file");
        if (hasRules && hasFile) {
            String later = s.lineOf("rules") > s.lineOf("file") ? "rules" : "file";
            s.problem(later, "give the rules inline ('rules') or by path ('file'), not both");
        } else if (!hasRules && !hasFile && enabled) {
            s.problems().at(s.lineOf("enabled"), "firewall: enabled, but there are no rules: give 'rules' (inline) or 'file'");
        }
        FirewallConfig config = FirewallConfig.passAll();
        String inline = null;
        ConfigPaths.Located file = null;
        if (hasRules) {
            YamlNode.Scalar rules = s.scalar("rules");
            if (rules != null && rules.type() != YamlNode.Scalar.Type.STRING) {
                s.problem("rules", "expected the rules as text (rules: | and one statement a line), not " + rules.description());
            } else if (rules != null) {
                inline = rules.text();
                config = inline(rules, s.problems());
            }
        }
        if (hasFile) {
            file = paths.read(s, "file");
            if (file != null) {
                config = fromFile(file, s.problems());
            }
        }
        if (hasRules || hasFile) {
            fits(config, s, hasFile ? "file" : "rules");
        }
        return new FirewallSection(enabled, inline, file == null ? null : file.absolute(), config, maxConnections, maxSources);
    }

    /**
     * Whether the rules fit the tables of the agent's program, checked here as at install: the
     * parser allows more than the program holds, and until 2026-12-05 such rules passed --check
     * and failed at start (or, past half the prefix table, at every reload that changed them).
     */
    private static void fits(FirewallConfig config, SectionReader s, String key) {
        if (config.rules().size() > PROGRAM_RULES) {
            s.problem(key, config.rules().size() + " rules: the agent's program holds " + PROGRAM_RULES);
            return;
        }
        try {
            int prefixes = FirewallTables.compile(config, 0, 0).prefixes().count();
            if (prefixes > PROGRAM_PREFIXES) {
                s.problem(key, "the lists and rules make " + prefixes + " prefix entries: the agent's program holds "
                        + PROGRAM_PREFIXES + " (each reload writes its own beside the running ones)");
            }
        } catch (IllegalArgumentException e) { // the rules cross too many prefixes (FirewallTables.MAX_SET_PAIRS)
            s.problem(key, e.getMessage());
        }
    }

    private static FirewallConfig inline(YamlNode.Scalar rules, Problems problems) {
        try {
            return FirewallConfigParser.parse(rules.text(), "firewall.rules");
        } catch (FirewallConfigException e) {
            for (String p : e.problems()) {
                Matcher m = LINE.matcher(p);
                if (m.matches()) {
                    problems.at(yamlLine(rules, Integer.parseInt(m.group(1))), "firewall rules: " + m.group(2));
                } else {
                    problems.at(rules.line(), "firewall rules: " + p);
                }
            }
            return FirewallConfig.passAll();
        }
    }

    /**
     * The YAML line of the rules' line {@code n}: a literal block ({@code |}) starts on the line after
     * its indicator; any other scalar is put at its first line (a folded or quoted text does not keep
     * its lines).
     */
    private static int yamlLine(YamlNode.Scalar rules, int n) {
        return rules.literalBlock() ? rules.line() + n : rules.line();
    }

    private static FirewallConfig fromFile(ConfigPaths.Located file, Problems problems) {
        String text;
        try {
            text = Files.readString(file.absolute());
        } catch (NoSuchFileException e) {
            problems.at(file.line(), "firewall.file: " + file.shown() + " does not exist");
            return FirewallConfig.passAll();
        } catch (IOException e) {
            problems.at(file.line(), "firewall.file: cannot read " + file.shown() + ": " + ConfigPaths.reason(e));
            return FirewallConfig.passAll();
        }
        try {
            return FirewallConfigParser.parse(text, file.shown().toString());
        } catch (FirewallConfigException e) {
            for (String p : e.problems()) {
                Matcher m = LINE.matcher(p);
                if (m.matches()) {
                    problems.inFile(file.shown(), Integer.parseInt(m.group(1)), file.line(), m.group(2));
                } else {
                    problems.at(file.line(), "firewall.file " + file.shown() + ": " + p);
                }
            }
            return FirewallConfig.passAll();
        }
    }
}
