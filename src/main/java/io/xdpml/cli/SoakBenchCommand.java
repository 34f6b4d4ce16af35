package io.xdpml.cli;

import io.xdpml.agent.SoakBench;
import io.xdpml.kernel.BpfSupport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench soak}: an agent with every stage on, traffic flat out for a duration; heap, RSS and every packet accounted for. */
@Command(name = "soak", mixinStandardHelpOptions = true,
        header = "An agent with every stage on under traffic flat out for a duration: heap after GC flat, RSS at a plateau, every packet accounted for.",
        description = {"A real agent (blocks, firewall with conntrack and rules, a flow table of 4,096 entries, the model, 1 in 100 sampled"
            + " to the mirror ring, the default detectors) on one end of a veth pair in a namespace of its own; a generator thread sends"
            + " a mix of live frames flat out into the other end: a new UDP flow per burst, TCP SYNs, frames a firewall rule drops,"
            + " frames from a blocked source, and single frames of new flows so that the flow table churns.",
            "Every --sample-every seconds a row: heap used after an explicit full GC (System.gc(), the figure from that collection's"
            + " notification), VmRSS, frames sent, frames the program counted, Mpps, sampled and received by Java. At the end a verdict:"
            + " heap after GC and RSS grow at most --heap-limit and --rss-limit percent from the first row at or after --baseline seconds"
            + " (default: 120, or a third of the run when it is shorter) to the end; sent = what the veth ran the program on + what it"
            + " dropped (ip -s link of the receiving end); the program's packets = the sum of exit actions; the per-stage drops add up to"
            + " the XDP_DROP exits; the firewall's reasons add up; sampled = mirrored + ring full + capped; Java received what was"
            + " mirrored. Exits 1 when a check fails. Needs root."})
final class SoakBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--minutes", description = "minutes of traffic (default: 10 unless --seconds)")
    Double minutes;

    @Option(names = "--seconds", description = "seconds of traffic (instead of --minutes)")
    Double seconds;

    @Option(names = "--sample-every", description = "seconds between rows (default: 60, or a sixth of the run when it is shorter)")
    Double every;

    @Option(names = "--baseline", description = "growth is measured from the first row at or after this many seconds (default: 120, or a third of the run when it is shorter)")
    Double baseline;

    @Option(names = "--heap-limit", defaultValue = "5", description = "allowed growth of heap after GC, percent (default: ${DEFAULT-VALUE})")
    double heapLimit;

    @Option(names = "--rss-limit", defaultValue = "5", description = "allowed growth of RSS, percent (default: ${DEFAULT-VALUE})")
    double rssLimit;

    @Option(names = "--model", description = "the model file (default: the shipped tree, captures-dt.json, from the jar)")
    Path model;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("bench soak needs BPF: " + why);
        });
        if (minutes != null && seconds != null) {
            throw new IllegalArgumentException("--minutes or --seconds, not both");
        }
        double duration = seconds != null ? seconds : 60 * (minutes != null ? minutes : 10);
        double interval = every != null ? every : Math.min(60, duration / 6);
        double base = baseline != null ? baseline : Math.min(120, duration / 3);
        if (duration <= 0 || interval <= 0 || base < 0 || heapLimit < 0 || rssLimit < 0) {
            throw new IllegalArgumentException("--minutes, --seconds and --sample-every must be positive, --baseline and the limits not negative");
        }
        out.printf(Locale.ROOT, "soak: agent on veth (native XDP), every stage on, %s s of traffic flat out, a row every %s s%n", trim(duration),
                trim(interval));
        out.println("load average at the start: " + loadAverage());
        out.flush();
        SoakBench.Result r = SoakBench.run(duration, interval, base, heapLimit, rssLimit, model, out);
        out.printf(Locale.ROOT, "%,d packets in %.1f s: %.2f Mpps (the program's count)%n", r.packets(), r.seconds(), r.mpps());
        out.println("load average at the end: " + loadAverage());
        out.println("heap after GC " + (r.samples().stream().allMatch(SoakBench.Sample::gcFromNotification)
                ? "from each System.gc()'s GC notification (the heap pools' usage after it)" : "from MemoryMXBean right after System.gc() (a notification was missing)"));
        for (String line : r.counts()) {
            out.println("  " + line);
        }
        out.println("verdict:");
        for (SoakBench.Check c : r.checks()) {
            out.printf("  %-4s %s: %s%n", c.ok() ? "ok" : "FAIL", c.name(), c.detail());
        }
        out.println(r.ok() ? "soak: ok" : "soak: FAILED");
        out.flush();
        return r.ok() ? 0 : 1;
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2] + " (1, 5, 15 min)";
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v); // 3.3, not 3.3333333333333335
    }
}
