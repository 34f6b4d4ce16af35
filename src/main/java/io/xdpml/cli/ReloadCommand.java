package io.xdpml.cli;

import io.xdpml.agent.AgentInfo;
import io.xdpml.agent.AgentPins;
import io.xdpml.agent.ReloadRequests;
import io.xdpml.agent.config.AgentConfigException;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.kernel.Native;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml reload --iface IF}: the running agent re-reads its file (as on SIGHUP), and says how it went. */
@Command(name = "reload", mixinStandardHelpOptions = true,
        header = "Make a running agent re-read its configuration file and apply what changed.",
        description = {"Finds the agent on IF (its pins), checks its configuration file first (a file with problems is"
            + " reported as FILE:LINE: reason and the agent is not disturbed), then asks it through its pins (no signal: this"
            + " works for an agent started under nohup too) and waits for the"
            + " outcome: applied (the new generation) or rejected (the agent prints why; its running state is unchanged).",
            "Exit code 0 when applied, 1 otherwise."})
final class ReloadCommand implements Callable<Integer> {
    private static final int SIGHUP = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--iface", required = true, paramLabel = "IF", description = "an interface of the agent")
    String iface;

    @Option(names = "--timeout", defaultValue = "10", description = "seconds to wait for the agent (default: ${DEFAULT-VALUE})")
    double timeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AgentInfo before;
        int generation;
        try (AgentPins.Opened o = AgentPins.open(iface)) {
            before = o.info();
            generation = new io.xdpml.dataplane.ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync")).generation();
        }
        if (!before.alive()) {
            err.println("xdpml reload: the agent on " + iface + " (pid " + before.pid() + ") no longer runs");
            return 1;
        }
        if (before.config() == null) {
            err.println("xdpml reload: the agent on " + iface + " was started without --config: there is no file to re-read");
            return 1;
        }
        try {
            // offline CPUs pass here: the agent holds the file's cpumap.cpus against its running spread
            AgentConfigLoader.load(before.config(), java.util.stream.IntStream.range(0, io.xdpml.dataplane.CpuSpread.MAX_CPUS)
                    .boxed().collect(java.util.stream.Collectors.toSet()));
        } catch (AgentConfigException e) {
            e.print(err, "xdpml reload", "; the agent was not asked to reload and runs as before");
            return 1;
        }
        try (AgentPins.Opened o = AgentPins.open(iface)) {
            ReloadRequests.ask(o); // through the pins, not a signal: an agent under nohup ignores SIGHUP
        } catch (IllegalStateException e) { // an agent of an older xdpml: its pins have no request word
            if (Native.kill(before.pid(), SIGHUP) != 0) {
                err.println("xdpml reload: cannot signal pid " + before.pid() + " (errno " + Native.errno() + ")");
                return 1;
            }
        }
        long deadline = System.nanoTime() + (long) (timeout * 1e9);
        while (System.nanoTime() < deadline) {
            Thread.sleep(20);
            AgentInfo now;
            int g;
            try (AgentPins.Opened o = AgentPins.open(iface)) {
                now = o.info();
                g = new io.xdpml.dataplane.ConfigWord(o.map("xdpml_fw_gen"), o.map("xdpml_fw_sync")).generation();
            }
            if (now.reloads() > before.reloads()) {
                if (now.rejected() > before.rejected()) {
                    err.println("xdpml reload: the agent (pid " + now.pid() + ") rejected " + before.config()
                            + "; it runs as before (its output says why)");
                    return 1;
                }
                out.println("reloaded " + before.config() + " on " + iface + ": generation " + generation + " -> " + g);
                out.flush();
                return 0;
            }
        }
        err.println("xdpml reload: no answer from pid " + before.pid() + " within " + timeout + " s");
        return 1;
    }
}
