package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every command's and subcommand's {@code --help}, as picocli renders it from {@link Main#commandLine()}:
 * at most {@link Main#USAGE_WIDTH} columns, no picocli warning, descriptions written as paragraphs that
 * picocli wraps itself (no array of pre-broken lines, which picocli would re-wrap into ragged text).
 */
class HelpTextTest {
    /** A line that ends a sentence, a clause or introduces what follows: a paragraph may end there. */
    private static final Pattern PARAGRAPH_END = Pattern.compile("[.:;!?]$");

    private static Map<String, CommandLine> commands;

    @BeforeAll
    static void walk() {
        commands = new LinkedHashMap<>();
        walk("xdpml", Main.commandLine());
    }

    private static void walk(String path, CommandLine cl) {
        commands.put(path, cl);
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) { // aliases name the same command again
                walk(path + " " + name, sub);
            }
        });
    }

    @Test
    void theWalkReachesEveryCommandAndSubcommand() {
        // The commands of the README and the nested ones: the walk is recursive, not a fixed list.
        assertThat(commands.keySet()).contains("xdpml", "xdpml inspect", "xdpml flows", "xdpml fw load", "xdpml blocks add",
                "xdpml bench testrun", "xdpml bench stages", "xdpml bench processor", "xdpml demo", "xdpml run",
                "xdpml status", "xdpml reload", "xdpml vxlan", "xdpml classify", "xdpml gen", "xdpml detect");
        assertThat(commands.size()).isGreaterThanOrEqualTo(35);
    }

    @Test
    void usageWidthIsFixedAt80() {
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            assertThat(e.getValue().getUsageHelpWidth()).as(e.getKey()).isEqualTo(Main.USAGE_WIDTH).isEqualTo(80);
            assertThat(e.getValue().isUsageHelpAutoWidth()).as(e.getKey()).isFalse();
        }
    }

    @Test
    void everyHelpFitsIn80ColumnsWithoutWarnings() throws Exception {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            Rendered r = render(e.getValue());
            if (!r.warnings().isEmpty()) {
                problems.add(e.getKey() + " --help warns: " + r.warnings().strip());
            }
            List<String> lines = r.help().lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).length() > Main.USAGE_WIDTH) {
                    problems.add(e.getKey() + " --help line " + (i + 1) + " has " + lines.get(i).length() + " columns: " + lines.get(i));
                }
            }
            assertThat(r.help()).as(e.getKey()).contains("Usage: " + e.getKey());
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void warningsAreCaught() throws Exception {
        // The check above would be empty if picocli's warnings went elsewhere: an unescaped % is caught.
        CommandSpec spec = CommandSpec.create().name("bad");
        spec.usageMessage().description("down to 1% of its peak");
        CommandLine bad = new CommandLine(spec);
        assertThat(render(bad).warnings()).contains("Could not format");
    }

    /** Each description element is a paragraph: it ends as a sentence or clause does, or it is a blank line or an indented row that fits. */
    @Test
    void descriptionsAreParagraphsNotPreBrokenLines() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            CommandSpec spec = e.getValue().getCommandSpec();
            checkParagraphs(e.getKey() + " description", spec.usageMessage().description(), Main.USAGE_WIDTH, problems);
            checkParagraphs(e.getKey() + " header", spec.usageMessage().header(), Main.USAGE_WIDTH, problems);
            for (ArgSpec arg : spec.args()) {
                String name = arg.isOption() ? ((CommandLine.Model.OptionSpec) arg).longestName() : arg.paramLabel();
                // An option's description column starts after the names; rows there must fit in what is left.
                checkParagraphs(e.getKey() + " " + name, arg.description(), Main.USAGE_WIDTH - 30, problems);
            }
        }
        assertThat(problems).isEmpty();
    }

    /** The rendered help: no line stops short where picocli would have gone on (the mark of a pre-broken array). */
    @Test
    void noRenderedLineIsBrokenShortMidSentence() throws Exception {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            problems.addAll(shortBreaks(e.getKey(), render(e.getValue()).help()));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theShortBreakCheckCatchesAPreBrokenArray() {
        // What the help of 'xdpml fw' looked like before: lines of an array re-wrapped by picocli.
        String old = """
                Usage: xdpml fw [-hV] [COMMAND]
                The firewall program and its maps are pinned under /sys/fs/bpf/xdpml/fw and
                stay attached after
                the command exits (a pinned BPF link per interface). 'fw load' validates a
                """;
        assertThat(shortBreaks("xdpml fw", old)).hasSize(1).first().asString().contains("stay attached after");
    }

    @Test
    void descriptionsFormatWithoutError() {
        // picocli formats every description with String.format: a lone % must be written %%.
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            CommandSpec spec = e.getValue().getCommandSpec();
            List<String> texts = new ArrayList<>(List.of(spec.usageMessage().description()));
            texts.addAll(List.of(spec.usageMessage().header()));
            spec.args().forEach(a -> texts.addAll(List.of(a.description())));
            for (String t : texts) {
                try {
                    String.format(t);
                } catch (IllegalFormatException ex) {
                    problems.add(e.getKey() + ": " + ex + " in: " + t);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void optionDefaultsAreTheModelsNotCopies() {
        // A default written into a description goes stale; an option with a default value names it
        // through ${DEFAULT-VALUE} (or shows the very value).
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : commands.entrySet()) {
            for (CommandLine.Model.OptionSpec o : e.getValue().getCommandSpec().options()) {
                String dv = o.defaultValue();
                String text = String.join(" ", o.description());
                java.util.regex.Matcher m = Pattern.compile("\\(default:? ([^;)]+)[;)]").matcher(text);
                if (dv != null && m.find() && !m.group(1).strip().equals(dv) && !m.group(1).contains(dv)) {
                    problems.add(e.getKey() + " " + o.longestName() + ": description says default " + m.group(1) + ", the option's is " + dv);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    private static void checkParagraphs(String where, String[] elements, int rowWidth, List<String> problems) {
        for (int i = 0; i < elements.length; i++) {
            String el = elements[i];
            if (el.isBlank()) {
                continue;
            }
            if (Character.isWhitespace(el.charAt(0))) { // an indented row of a table: picocli would wrap it to column 0
                if (String.format(el).length() > rowWidth) {
                    problems.add(where + " row " + i + " is wider than " + rowWidth + " columns: " + el);
                }
                continue;
            }
            boolean last = i == elements.length - 1;
            boolean beforeRow = !last && !elements[i + 1].isEmpty() && Character.isWhitespace(elements[i + 1].charAt(0));
            if (!last && !beforeRow && !PARAGRAPH_END.matcher(el.strip()).find()) {
                problems.add(where + " element " + i + " ends mid-sentence (a pre-broken line; join it with the next): " + el);
            }
        }
    }

    /**
     * Pairs of rendered lines of the same text column where the first stops short of a paragraph's end
     * although the next line's first word would have fitted on it: picocli wraps greedily, so only a
     * line break written into the description does that.
     */
    static List<String> shortBreaks(String command, String help) {
        List<String> problems = new ArrayList<>();
        List<String> lines = help.lines().toList();
        boolean synopsis = false;
        for (int i = 0; i + 1 < lines.size(); i++) {
            String a = lines.get(i);
            String b = lines.get(i + 1);
            if (a.startsWith("Usage:")) {
                synopsis = true;
            } else if (synopsis && indent(a) == 0) {
                synopsis = false;
            }
            if (synopsis || a.isBlank() || b.isBlank() || PARAGRAPH_END.matcher(a.stripTrailing()).find()) {
                continue;
            }
            // Text columns: the description (column 0) and options' descriptions (deep); rows of options
            // and commands (indent 2 to 6) start anew by design.
            boolean textColumn = indent(b) == 0 || indent(b) >= 8;
            boolean sameColumn = indent(b) == indent(a) || indent(b) == indent(a) - 2; // -2: after a wrapped continuation
            String firstWord = b.strip().split(" ", 2)[0];
            if (textColumn && sameColumn && a.stripTrailing().length() + 1 + firstWord.length() <= Main.USAGE_WIDTH - 2) {
                problems.add(command + " --help breaks short at line " + (i + 1) + ": '" + a.strip() + "' / '" + b.strip() + "'");
            }
        }
        return problems;
    }

    private static int indent(String s) {
        int n = 0;
        while (n < s.length() && s.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    record Rendered(String help, String warnings) {}

    /** The usage help, and whatever picocli warned meanwhile (its tracer, or System.err). */
    static synchronized Rendered render(CommandLine cl) throws Exception {
        CommandLine.Tracer tracer = CommandLine.tracer();
        Field stream = CommandLine.Tracer.class.getDeclaredField("stream");
        stream.setAccessible(true);
        Object tracerStream = stream.get(tracer);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        CommandLine.TraceLevel level = tracer.getLevel();
        StringWriter help = new StringWriter();
        try {
            stream.set(tracer, capture);
            System.setErr(capture);
            if (tracer.isOff()) {
                tracer.setLevel(CommandLine.TraceLevel.WARN);
            }
            cl.usage(new PrintWriter(help, true));
        } finally {
            stream.set(tracer, tracerStream);
            System.setErr(err);
            tracer.setLevel(level);
        }
        return new Rendered(help.toString(), captured.toString(StandardCharsets.UTF_8));
    }
}
