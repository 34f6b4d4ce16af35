package io.xdpml.cli;

import io.xdpml.demo.DemoOptions;
import io.xdpml.demo.LiveDemo;
import io.xdpml.demo.OfflineDemo;
import io.xdpml.kernel.BpfSupport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml demo}: the built-in default job: the agent detects and mitigates an attack mix on a veth pair of its own. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "The whole system on a veth pair of its own: an attack mix detected and mitigated in XDP by the agent.",
        description = {"On a machine with nothing configured, as root: creates a network namespace with"
            + " a veth pair and runs the agent ('xdpml run --config', with a configuration the"
            + " demo writes and prints) on the victim's end: one XDP program with blocks, a"
            + " firewall of a few rules, flows, a shipped tree, every packet mirrored to the"
            + " detectors in Java, and mitigation: the sources a detection names are blocked,"
            + " amplification gets a port-drop, a spoofed SYN flood a SYN limit. It sends a mix"
            + " with the generator of 'xdpml gen' for --seconds: benign clients, a SYN flood"
            + " from six sources, a port scan, UDP amplification, a DNS tunnel and a SYN flood"
            + " from spoofed sources. A packet socket on the victim's interface counts what"
            + " reached the victim (after XDP) per kind: every second the demo prints that, the"
            + " agent prints its detections, blocks and measures; then a summary per kind.",
            "",
            "Exit code 0 when every attack is down to at most 1%% of its peak rate at the"
            + " victim (its peak up to its first block or measure, against the last 3 s) and"
            + " at least 99%% of the benign packets reached the victim.",
            "",
            "Everything it created is removed. Without root or BPF (or with --offline) it"
            + " says so and runs the same story on a generated capture through the Java twin"
            + " of the XDP program. 'xdpml selftest' is the older self-test of parsers and flow"
            + " tables (kernel against Java)."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "15", description = "how long the mix is sent (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--rate", defaultValue = "20000", description = "frames per second of the mix; times --window at least 10000 (default: ${DEFAULT-VALUE})")
    long rate;

    @Option(names = "--way", defaultValue = "testrun", description = "live: testrun (BPF_PROG_TEST_RUN live frames) or xsk (AF_XDP TX) (default: ${DEFAULT-VALUE})")
    String way;

    @Option(names = "--block", defaultValue = "60", description = "seconds a named source stays blocked (default: ${DEFAULT-VALUE})")
    long blockSeconds;

    @Option(names = "--window", defaultValue = "1", description = "detector window in seconds (default: ${DEFAULT-VALUE})")
    double windowSeconds;

    @Option(names = "--offline", description = "run the offline story even where BPF works")
    boolean offline;

    @Option(names = "--capture", paramLabel = "FILE", description = "offline: write the mix here and keep it (default: a temporary file, removed)")
    Path capture;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DemoOptions options = new DemoOptions(seconds, rate, way, blockSeconds, windowSeconds);
        Optional<String> why = BpfSupport.unavailableReason();
        boolean ok;
        if (why.isEmpty() && !offline) {
            out.println("xdpml demo: attack, detect, mitigate, live on this kernel, by the agent");
            ok = LiveDemo.run(out, options);
        } else {
            out.println("xdpml demo: " + why.map(w -> "no live run here (" + w + "): ").orElse("--offline: ")
                    + "the same story offline, on a generated capture, through the Java twin of the XDP program");
            Path file = capture;
            Path dir = null;
            if (file == null) {
                dir = Files.createTempDirectory("xdpml-demo");
                file = dir.resolve("mix.pcap");
            }
            try {
                ok = OfflineDemo.run(out, options, file);
            } finally {
                if (dir != null) {
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(dir);
                }
            }
        }
        out.flush();
        return ok ? 0 : 1;
    }
}
