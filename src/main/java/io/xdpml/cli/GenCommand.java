package io.xdpml.cli;

import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.Interfaces;
import io.xdpml.pipeline.LiveFrameGenerator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml gen}: real frames out of an interface, from the kernel (live frames). */
@Command(name = "gen", mixinStandardHelpOptions = true,
        header = "Send real frames out of an interface: one frame kind at a rate or flat out, or a capture replayed.",
        description = {"The live-frames generator (BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on a program that",
            "returns XDP_TX): tens of Mpps on one core into a veth pair. On a veth pair the frames reach the peer only",
            "when the peer has an XDP program attached (any: xdpml deploy, fw load, ...). --capture replays a capture's",
            "frames in order, one test run each (~1 us per frame: for realism, not rate). Scenario mixes (floods, scans)",
            "and AF_XDP TX as a second way are not built yet. Needs root."})
final class GenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--iface", required = true, paramLabel = "IF", description = "interface to send out of")
    String iface;

    @Option(names = "--frame", defaultValue = "udp4", description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    BenchCommand.FrameKind frame;

    @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--count", defaultValue = "1000000", description = "frames to send (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = "--rate", defaultValue = "0", description = "frames per second, in 100 ms bursts (0: flat out)")
    long rate;

    @Option(names = "--capture", paramLabel = "FILE", description = "replay this capture's frames instead")
    Path capture;

    @Option(names = "--loops", defaultValue = "1", description = "with --capture: times to replay it (default: ${DEFAULT-VALUE})")
    int loops;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("gen needs BPF: " + why);
        });
        if (count < 0 || rate < 0 || loops < 1) {
            throw new IllegalArgumentException("--count and --rate must be >= 0, --loops >= 1");
        }
        try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(iface))) {
            long t0 = System.nanoTime();
            String what;
            if (capture != null) {
                g.replay(capture, loops);
                what = capture.getFileName() + (loops > 1 ? " x" + loops : "");
            } else {
                byte[] bytes = frame.build(size);
                g.send(bytes, count, rate);
                what = bytes.length + "-byte " + frame.description + " frames";
            }
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf("sent %d frames (%s) out of %s in %.3f s: %.3f Mpps%n", g.sent(), what, iface, s, g.sent() / s / 1e6);
        }
        out.flush();
        return 0;
    }
}
