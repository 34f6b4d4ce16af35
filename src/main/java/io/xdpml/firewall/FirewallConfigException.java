package io.xdpml.firewall;

import java.util.List;

/** A config file that is not valid: every problem found, each with its line number and reason. */
public final class FirewallConfigException extends Exception {
    private final List<String> problems;

    public FirewallConfigException(String source, List<String> problems) {
        super(source + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "; nothing was changed\n  "
                + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** "line N: reason" each. */
    public List<String> problems() {
        return problems;
    }
}
