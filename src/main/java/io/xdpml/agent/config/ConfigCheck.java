package io.xdpml.agent.config;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;

/** {@code xdpml run --config FILE --check}: loads the file and says what it turns on, or every problem in it. */
public final class ConfigCheck {
    private ConfigCheck() {}

    /**
     * On success prints {@code FILE: ok} and then, indented, {@link AgentConfig#describe()}'s lines
     * to {@code out}; returns 0. Otherwise prints each problem as {@code FILE:LINE: reason} to
     * {@code err}; returns 1.
     */
    public static int run(Path file, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(out, true);
        PrintWriter e = new PrintWriter(err, true);
        return run(file, o, e);
    }

    /** The same, to writers (picocli's). */
    public static int run(Path file, PrintWriter out, PrintWriter err) {
        AgentConfig config;
        try {
            config = AgentConfigLoader.load(file);
        } catch (AgentConfigException e) {
            e.problems().forEach(err::println);
            err.flush();
            return 1;
        }
        out.println(file + ": ok");
        for (String line : config.describe()) {
            out.println("  " + line);
        }
        out.flush();
        return 0;
    }
}
