package io.xdpml.cli;

import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.pcap.LinkType;
import io.xdpml.pcap.PcapWriter;
import io.xdpml.flow.LiveFlowCheck;
import io.xdpml.pipeline.CaptureInspector;
import io.xdpml.pipeline.LiveParserCheck;
import io.xdpml.pipeline.ParseEngine;
import io.xdpml.pipeline.SampleTraffic;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml selftest}: kernel and Java parsers and flow tables agree, offline and live (the first demo). */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        header = "Self-test: kernel and Java parsers and flow tables on sample traffic, offline and live on veth pairs.",
        description = {"Self-test on this machine, with nothing configured:",
            "1. It writes a capture of sample traffic (every protocol the parser knows, and broken frames).",
            "2. It inspects the capture with the kernel engine (the real XDP program through BPF_PROG_TEST_RUN) and the Java"
            + " engine.",
            "3. It creates a network namespace with a veth pair, attaches the XDP parser (native, then generic mode), sends"
            + " the frames through it for real, and compares the kernel's per-CPU counters with Java's.",
            "4. It attaches the flow pipeline the same way, sends TCP conversations and UDP flows, reads the flow records from"
            + " the BPF ring buffer as they come, and compares them and the flow table with the Java reference.",
            "Everything it creates is removed. Without root or BPF it says so, decodes the sample with the Java engine"
            + " alone, and exits 4: with no kernel side, nothing was compared.",
            "Exit code 0 when kernel and Java agree everywhere, 1 when they disagree, 4 when nothing could be compared."})
final class SelftestCommand implements Callable<Integer> {
    /** Exit code when the kernel side cannot run here (no root or BPF): nothing was compared, so nothing passed. */
    static final int NOTHING_COMPARED = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "100", description = "times the sample frames are sent through the veth (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--capture", description = "where to write the sample capture (default: a temporary file, removed)")
    Path capture;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<byte[]> frames = SampleTraffic.frames();
        Path dir = null;
        Path file = capture;
        if (file == null) {
            dir = Files.createTempDirectory("xdpml-demo");
            file = dir.resolve("sample.pcap");
        }
        boolean ok = true;
        try {
            try (PcapWriter w = PcapWriter.open(file, LinkType.ETHERNET)) {
                long t = 1_700_000_000_000_000_000L;
                for (byte[] f : frames) {
                    w.write(t += 1_000_000, MemorySegment.ofArray(f), f.length, f.length);
                }
            }
            out.printf("1/4  wrote %d sample frames to %s%n", frames.size(), file);
            out.flush();

            Optional<String> noBpf = BpfSupport.unavailableReason();
            ParseCounters java = inspect(file, EngineChoice.java);
            if (noBpf.isPresent()) {
                out.printf("2/4  inspect: Java engine only, the kernel engine cannot run here (%s)%n", noBpf.get());
                table(out, "java", java, null, null);
                out.println("3/4  live parser on veth: not run, it needs root and BPF");
                out.println("4/4  live flows on veth: not run, it needs root and BPF");
                out.println("NOTHING COMPARED: without the kernel side there is nothing to hold the Java reference against ("
                        + noBpf.get() + "). Run it as root on a machine with BPF.");
                out.flush();
                return NOTHING_COMPARED;
            }
            ParseCounters kernel = inspect(file, EngineChoice.kernel);
            out.println("2/4  inspect " + file.getFileName() + ": kernel (BPF_PROG_TEST_RUN) vs Java reference");
            ok &= table(out, "kernel", kernel, "java", java);
            out.flush();

            out.println("3/4  live: a veth pair in a new network namespace, the parser attached to one end, the frames"
                    + " sent " + rounds + " times into the other through AF_PACKET");
            for (XdpMode mode : new XdpMode[] {XdpMode.AUTO, XdpMode.GENERIC}) {
                LiveParserCheck.Outcome o = LiveParserCheck.run(frames, rounds, mode);
                out.printf("     %s mode%s: %d frames, kernel per-CPU counters vs Java expectation%n", o.mode(),
                        o.fallbackReason() == null ? "" : " (native failed: " + o.fallbackReason() + ")", o.framesSent());
                ok &= table(out, "kernel", o.kernel(), "expected", o.expected());
                if (o.attachedAfterClose()) {
                    out.println("     ERROR: the program was still attached after detach");
                    ok = false;
                }
                out.flush();
            }
            LiveFlowCheck.Outcome flows = LiveFlowCheck.run(LiveFlowCheck.conversations(50, 20));
            boolean flowsOk = flows.matches();
            out.printf("4/4  live flows: the flow pipeline on a veth pair (real clock), %d frames: 50 TCP conversations"
                    + " (handshake, data, FIN both ways, last ACK) and 20 UDP flows%n", flows.framesSent());
            out.printf("     flow records read from the ring buffer: %d (%d expected by the Java reference), %d lost%n",
                    flows.kernelRecords().size(), flows.javaRecords().size(), flows.recordsLost());
            out.printf("     kernel flow table: %d flows; packets, bytes, lengths, flags of every flow and record %s%n",
                    flows.kernelTable().size(), flowsOk ? "equal to Java's" : "DIFFER from Java's");
            flows.kernelRecords().values().stream().limit(2).forEach(r -> out.println("     e.g. " + r));
            ok &= flowsOk;
            out.println(ok ? "OK: kernel and Java agree on every counter, flow and record; namespaces, veths and programs removed."
                    : "FAILED: kernel and Java disagree (see above)");
            out.flush();
            return ok ? 0 : 1;
        } finally {
            if (dir != null) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
    }

    private static ParseCounters inspect(Path file, EngineChoice engine) throws Exception {
        try (ParseEngine e = engine.open(4789)) {
            CaptureInspector.inspect(file, e, null);
            return e.counters();
        }
    }

    /** Prints non-zero counters side by side; true when the two columns agree. */
    private static boolean table(PrintWriter out, String leftName, ParseCounters left, String rightName, ParseCounters right) {
        boolean same = true;
        out.printf("     %-24s %10s%s%n", "counter", leftName, rightName == null ? "" : String.format(" %10s", rightName));
        for (ParseCounter c : ParseCounter.values()) {
            long l = left.get(c);
            long r = right == null ? l : right.get(c);
            if (l == 0 && r == 0) {
                continue;
            }
            String name = c.isError() ? "errors." + c.jsonName() : c.jsonName();
            if (right == null) {
                out.printf("     %-24s %10d%n", name, l);
            } else {
                out.printf("     %-24s %10d %10d %s%n", name, l, r, l == r ? "" : "!=");
            }
            same &= l == r;
        }
        return same;
    }
}
