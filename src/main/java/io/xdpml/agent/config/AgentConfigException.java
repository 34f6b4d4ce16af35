package io.xdpml.agent.config;

import java.util.List;

/** An agent configuration that cannot be used: every problem found in it, in file and line order. */
public final class AgentConfigException extends Exception {
    private final List<ConfigProblem> problems;

    public AgentConfigException(List<ConfigProblem> problems) {
        super(message(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an AgentConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }

    /**
     * Each problem on a line of its own, then {@code "<command>: N problem(s)<tail>"} (the commands
     * that load a configuration say so alike; tail: where, and what was left as it was).
     */
    public void print(java.io.PrintWriter err, String command, String tail) {
        for (ConfigProblem p : problems) {
            err.println(p);
        }
        err.println(command + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + tail);
        err.flush();
    }

    private static String message(List<ConfigProblem> problems) {
        StringBuilder b = new StringBuilder();
        b.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append(" in the configuration");
        for (ConfigProblem p : problems) {
            b.append("\n  ").append(p);
        }
        return b.toString();
    }
}
