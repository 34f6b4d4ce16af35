package io.xdpml.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code xdpml} command line. */
@Command(name = "xdpml", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Machine-learning packet processing on eBPF/XDP and AF_XDP.",
        subcommands = {InspectCommand.class, FlowsCommand.class, FwCommand.class, BlocksCommand.class, BenchCommand.class, DemoCommand.class, SelftestCommand.class, TrainCommand.class,
            EvalCommand.class, ReplayCommand.class, ClassifyCommand.class, ExportOnnxCommand.class, DeployCommand.class, GenCommand.class, DetectCommand.class, RunCommand.class, StatusCommand.class, ReloadCommand.class, VxlanCommand.class, FleetCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Width of every command's usage help: fixed, not the terminal's, so that help reads the same
     * everywhere (in a pipe, in the README, in tests) and descriptions can be written for it.
     */
    public static final int USAGE_WIDTH = 80;

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(USAGE_WIDTH);
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            // the whole name ("xdpml fleet demo"): the leaf's alone named another command ("xdpml demo")
            line.getErr().println(line.getCommandSpec().qualifiedName() + ": " + describe(ex));
            if (Boolean.getBoolean("xdpml.debug")) {
                ex.printStackTrace(line.getErr());
            }
            return 2;
        });
        return cl;
    }

    private static String describe(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + m;
        }
        if (ex instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + m;
        }
        if (ex instanceof java.nio.file.FileSystemException) {
            return m + " (" + ex.getClass().getSimpleName() + ")";
        }
        return m == null ? ex.toString() : m;
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"xdpml " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
