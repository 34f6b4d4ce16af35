package io.xdpml.agent.config;

import io.xdpml.firewall.FirewallConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The firewall stage (docs/firewall.md): its rules, given inline or by file, already parsed.
 *
 * @param inlineRules    the rules as written in the YAML file, or null when they come from {@code file}
 * @param file           the rules file (absolute), or null when the rules are inline
 * @param rules          the parsed rules; {@link FirewallConfig#passAll()} when the section gives none
 * @param maxConnections capacity of the connection tracking table
 * @param maxSources     capacity of the per-source rate limit table
 */
public record FirewallSection(boolean enabled, String inlineRules, Path file, FirewallConfig rules, int maxConnections,
                              int maxSources) {
    public FirewallSection {
        Objects.requireNonNull(rules);
        if (file != null && !file.isAbsolute()) {
            throw new IllegalArgumentException("the firewall file must be an absolute path: " + file);
        }
        Limits.table("firewall.max-connections", maxConnections);
        Limits.table("firewall.max-sources", maxSources);
    }

    /** Off; no rules. */
    public static FirewallSection defaults() {
        return new FirewallSection(false, null, null, FirewallConfig.passAll(), Limits.DEFAULT_TABLE, Limits.DEFAULT_TABLE);
    }

    String describe() {
        if (!enabled) {
            return "firewall: off";
        }
        String from = file != null ? "rules from " + file : "inline rules";
        return "firewall: on (" + from + ": default " + (rules.defaultDrop() ? "drop" : "pass") + ", " + rules.rules().size()
                + (rules.rules().size() == 1 ? " rule" : " rules") + ", conntrack " + (rules.conntrack() ? "on" : "off")
                + (rules.synCookies() ? ", SYN cookies" : "")
                + "; max-connections " + maxConnections + ", max-sources " + maxSources + ")";
    }
}
