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

/** {@code xdpml demo}: the built-in default job: attack, detect, mitigate on a veth pair of its own. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Attack, detect, mitigate: a traffic mix into a veth pair of the demo's own, detected and blocked in XDP.",
        description = {"On a machine with nothing configured, as root: creates a network namespace with a veth pair, attaches",
            "the live system to the victim's end (XDP program through a BPF link, packets mirrored to Java, the detectors),",
            "and sends a mix with the generator of 'xdpml gen' for --seconds: benign clients, a SYN flood, a port scan, UDP",
            "amplification and a DNS tunnel, each kind from its own source range. Every second it prints what reached the",
            "victim per kind; detections and blocks as they happen (the sources a detection names are blocked in XDP); then",
            "a summary: per kind, the rate at the victim in the first and last seconds. Everything it created is removed.",
            "Without root or BPF (or with --offline) it says so and runs the same story on a generated capture, blocks",
            "applied by the Java reference. Exit code 0 when the flood, scan and tunnel were detected and blocked (down to",
            "<= 1% of their peak at the victim), amplification detected, and >= 99% of benign packets reached the victim.",
            "'xdpml selftest' is the older self-test of parsers and flow tables (kernel against Java)."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "15", description = "how long the mix is sent (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--rate", defaultValue = "20000", description = "frames per second of the mix (default: ${DEFAULT-VALUE})")
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
            out.println("xdpml demo: attack, detect, mitigate, live on this kernel");
            ok = LiveDemo.run(out, options);
        } else {
            out.println("xdpml demo: " + why.map(w -> "no live run here (" + w + "): ").orElse("--offline: ")
                    + "the same story offline, on a generated capture, blocks applied by the Java reference");
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
