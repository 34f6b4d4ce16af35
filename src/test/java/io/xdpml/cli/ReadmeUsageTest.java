package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README's usage block (the code block under "## Commands") against the picocli model of
 * {@link Main#commandLine()}: every command it names exists, every option it shows exists on that
 * command, and every command of the model is shown. So the README cannot drift from the commands.
 */
class ReadmeUsageTest {
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--?[A-Za-z][\\w-]*");

    /** One synopsis: the lines from an {@code xdpml ...} line up to the next one. */
    record Synopsis(int line, String text) {}

    static List<Synopsis> usageBlock(List<String> readme) {
        int start = readme.indexOf("## Commands");
        assertThat(start).as("README has a '## Commands' section").isNotNegative();
        int open = start + 1;
        while (!readme.get(open).startsWith("```")) {
            open++;
        }
        List<Synopsis> out = new ArrayList<>();
        for (int i = open + 1; !readme.get(i).startsWith("```"); i++) {
            String l = readme.get(i);
            if (l.startsWith("xdpml ")) {
                out.add(new Synopsis(i + 1, l));
            } else if (!l.isBlank()) {
                assertThat(out).as("line %d continues a synopsis", i + 1).isNotEmpty();
                Synopsis last = out.removeLast();
                out.add(new Synopsis(last.line(), last.text() + " " + l.strip()));
            }
        }
        return out;
    }

    /** What a synopsis shows: the command it names, the options shown for it, and any problem. */
    record Use(String command, Set<String> options) {}

    /**
     * Reads a synopsis against the model. Top-level {@code |} may start another command: a word after
     * it is looked up from the root, then beside the current command ({@code blocks list | add ...}).
     */
    static List<Use> read(Synopsis s, CommandLine root, List<String> problems) {
        List<Use> uses = new ArrayList<>();
        String where = "README line " + s.line() + ": ";
        String[] tokens = s.text().split("\\s+");
        CommandLine current = root;
        Set<String> options = new LinkedHashSet<>();
        int depth = 0;
        boolean naming = true; // still reading command words
        for (int t = 1; t < tokens.length; t++) { // tokens[0] is "xdpml"
            String tok = tokens[t];
            if (depth == 0 && tok.equals("|")) {
                String next = t + 1 < tokens.length ? tokens[t + 1] : "";
                CommandLine parent = current.getParent() == null ? root : current.getParent();
                CommandLine switchTo = root.getSubcommands().containsKey(next) ? root
                        : parent.getSubcommands().containsKey(next) ? parent : null;
                if (switchTo != null) {
                    uses.add(new Use(path(current), options));
                    options = new LinkedHashSet<>();
                    current = switchTo;
                    naming = true;
                }
                continue;
            }
            boolean bare = depth == 0 && tok.matches("[a-z][a-z0-9-]*");
            if (naming && bare && current.getSubcommands().containsKey(tok)) {
                current = current.getSubcommands().get(tok);
                continue;
            }
            if (naming && bare && !current.getSubcommands().isEmpty()) {
                problems.add(where + "'" + path(current) + "' has no subcommand '" + tok + "'");
            }
            naming = false;
            Matcher m = OPTION.matcher(tok);
            while (m.find()) {
                options.add(m.group());
            }
            for (char c : tok.toCharArray()) {
                depth += (c == '[' || c == '(') ? 1 : (c == ']' || c == ')') ? -1 : 0;
            }
        }
        uses.add(new Use(path(current), options));
        for (Use u : uses) {
            CommandLine cl = find(root, u.command());
            for (String o : u.options()) {
                if (cl.getCommandSpec().findOption(o) == null) {
                    problems.add(where + "'" + u.command() + "' has no option " + o);
                }
            }
        }
        return uses;
    }

    private static CommandLine find(CommandLine root, String path) {
        CommandLine cl = root;
        for (String w : path.split(" ")) {
            if (!w.equals("xdpml")) {
                cl = cl.getSubcommands().get(w);
            }
        }
        return cl;
    }

    private static String path(CommandLine cl) {
        return cl.getParent() == null ? "xdpml" : path(cl.getParent()) + " " + cl.getCommandName();
    }

    private static void commands(CommandLine cl, Set<String> out) {
        out.add(path(cl));
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName()) && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                commands(sub, out);
            }
        });
    }

    private static List<String> readme() throws IOException {
        return Files.readAllLines(Path.of("README.md"));
    }

    @Test
    void everyCommandAndOptionTheReadmeShowsExists() throws IOException {
        CommandLine root = Main.commandLine();
        List<String> problems = new ArrayList<>();
        List<Synopsis> block = usageBlock(readme());
        assertThat(block).hasSizeGreaterThan(20);
        for (Synopsis s : block) {
            read(s, root, problems);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyCommandIsShownInTheReadme() throws IOException {
        CommandLine root = Main.commandLine();
        Set<String> shown = new LinkedHashSet<>();
        for (Synopsis s : usageBlock(readme())) {
            read(s, root, new ArrayList<>()).forEach(u -> shown.add(u.command()));
        }
        Set<String> all = new LinkedHashSet<>();
        commands(root, all);
        all.removeIf(c -> !find(root, c).getSubcommands().isEmpty() && !c.equals("xdpml")); // groups: their subcommands are shown
        assertThat(shown).containsAll(all);
    }

    @Test
    void theCheckCatchesAWrongOptionAndAWrongCommand() {
        CommandLine root = Main.commandLine();
        List<String> problems = new ArrayList<>();
        read(new Synopsis(1, "xdpml flows FILE [--engine kernel|java] [--csv|--jsonl]"), root, problems);
        read(new Synopsis(2, "xdpml bench testrn [--runs N]"), root, problems);
        read(new Synopsis(3, "xdpml blocks list [--iface IF] | add --iface IF [--seconds S] | remove --iface IF --forever"), root, problems);
        assertThat(problems).containsExactly(
                "README line 1: 'xdpml flows' has no option --jsonl",
                "README line 2: 'xdpml bench' has no subcommand 'testrn'",
                "README line 2: 'xdpml bench' has no option --runs",
                "README line 3: 'xdpml blocks remove' has no option --forever");
        List<Use> uses = read(new Synopsis(4, "xdpml status [--iface IF] [--json] | reload --iface IF"), root, new ArrayList<>());
        assertThat(uses).extracting(Use::command).containsExactly("xdpml status", "xdpml reload");
    }
}
