package io.xdpml.cli;

import io.xdpml.demo.FleetDemo;
import io.xdpml.fleet.LocalBroker;
import io.xdpml.kernel.BpfSupport;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml fleet demo}: a broker, the fleet detector and two agents on one machine; a block travels, a spread scan is caught. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "The fleet on one machine: a broker, the fleet detector and two agents in namespaces of their own.",
        description = {"As root: starts a real Kafka broker (a child JVM, as 'xdpml fleet broker'), the fleet detector (as"
            + " 'xdpml fleet run --blocks') and two agents, host A and host B, each on a veth pair in a network namespace of"
            + " its own, joined to this host by another veth pair (169.254.77.0/29) to reach the broker. Then: (1) a port"
            + " scan against host A is detected there and its source blocked; the block travels through the compacted"
            + " topic xdpml.blocks and host B must hold it within 2 s; (2) the scanner turns to host B, whose XDP program"
            + " must drop every probe; (3) a scan spread over both hosts, below each host's own threshold, must be found"
            + " by the fleet detector and blocked on both. The agents' lines are printed behind their host's name.",
            "",
            "Exit code 0 when every step held, 1 when one failed (the verdict says which), 2 when it cannot run here (no"
            + " root or BPF, the broker's jars are not installed, or the addresses of its links are taken: another"
            + " fleet demo runs). Everything it created is removed, also on Ctrl-C or SIGTERM. Takes"
            + " about a minute."})
final class FleetDemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--block", defaultValue = "120", paramLabel = "S",
            description = "seconds a block (local or fleet) lasts (default: ${DEFAULT-VALUE})")
    long blockSeconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<String> why = BpfSupport.unavailableReason();
        if (why.isEmpty()) {
            try {
                LocalBroker.classPath();
            } catch (IllegalStateException e) {
                why = Optional.of(e.getMessage());
            }
        }
        if (why.isEmpty()) {
            why = FleetDemo.takeDemoLock(); // first: two demos starting together both found the addresses free
        }
        try {
            if (why.isEmpty()) {
                why = FleetDemo.linksInUse();
            }
            if (why.isPresent()) {
                err.println("xdpml fleet demo: cannot run here: " + why.get());
                err.flush();
                return 2;
            }
            out.println("xdpml fleet demo: two hosts, one broker, one fleet detector; a block decided on one host protects the other");
            out.flush();
            return FleetDemo.run(out, blockSeconds) ? 0 : 1;
        } finally {
            // released when the demo ends, not when the process does: a JVM that runs the command
            // again (the tests' in-process harness) must not find its own earlier demo's lock held
            FleetDemo.releaseDemoLock();
        }
    }
}
